package main

import (
	"context"
	"errors"
	"fmt"

	"ecowatch/casework"
	"ecowatch/store"
)

func init() { registerCommand(auditCommand) }

// auditCommand checks the hash-chained audit log: `ecowatch audit verify`
// walks it in order and reports the first altered or missing entry (exit
// status 1), so an operator can prove the log was not edited behind the
// application's back.
func auditCommand() command {
	return command{
		Name:    "audit",
		Summary: "check the audit log's hash chain (audit verify)",
		Run: func(ctx context.Context, e env, args []string) error {
			if len(args) == 0 || args[0] != "verify" {
				fmt.Fprintln(e.Stderr, "usage: ecowatch audit verify [--data-dir DIR | --postgres URL]")
				return errUsage
			}
			fs := newFlagSet(e, "audit verify", "audit verify [--data-dir DIR | --postgres URL]")
			sf, err := parseStoreCommand(e, fs, args[1:])
			if err != nil {
				return err
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sqler, ok := st.(store.SQLer)
			if !ok {
				return errors.New("this store has no SQL handle")
			}
			rep, err := casework.Verify(ctx, sqler.SQL())
			if err != nil {
				return err
			}
			if rep.Break != nil {
				return fmt.Errorf("audit log broken after %d good entries: %s", rep.Checked-1, rep.Break)
			}
			fmt.Fprintf(e.Stdout, "audit log intact: %d entries, last id %d\n", rep.Checked, rep.LastID)
			return nil
		},
	}
}
