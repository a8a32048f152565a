package main

import (
	"context"
	"errors"
	"fmt"

	"ecowatch/store"
)

// backupCommand writes a consistent copy of the embedded store while it
// may be in use by a running server (SQLite's VACUUM INTO reads one
// snapshot). PostgreSQL is backed up with pg_dump or base backups.
func backupCommand() command {
	return command{
		Name:    "backup",
		Summary: "write a consistent copy of the embedded store",
		Run: func(ctx context.Context, e env, args []string) error {
			fs := newFlagSet(e, "backup", "backup --data-dir DIR --out FILE")
			out := fs.String("out", "", "write the copy to this file, which must not exist")
			sf, err := parseStoreCommand(e, fs, args)
			if err != nil {
				return err
			}
			if *sf.postgres != "" {
				return errors.New("backup copies the embedded store; back up PostgreSQL with pg_dump or pg_basebackup (see store/README.md)")
			}
			if *out == "" {
				return usageError(fs, errors.New("--out FILE is required"))
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			b, ok := st.(store.Backuper)
			if !ok {
				return errors.New("this store cannot back itself up")
			}
			if err := b.Backup(ctx, *out); err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "backup written to %s\n", *out)
			return nil
		},
	}
}
