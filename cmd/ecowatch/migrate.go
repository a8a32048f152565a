package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/sqlite"
)

// storeFlags are the flags of every command that opens a store: an
// embedded store in a data directory, or PostgreSQL at a URL (also
// ECOWATCH_DATA_DIR / ECOWATCH_POSTGRES, or the config file).
type storeFlags struct {
	dataDir  *string
	postgres *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		dataDir:  fs.String("data-dir", "", "embedded store in this directory (also "+envName("data-dir")+")"),
		postgres: fs.String("postgres", "", "PostgreSQL store at this URL, e.g. postgres://user@host/db (also "+envName("postgres")+")"),
	}
}

var errNoStore = errors.New("no store given: use --data-dir DIR (embedded) or --postgres URL")

func (f storeFlags) check() error {
	switch {
	case *f.dataDir != "" && *f.postgres != "":
		return errors.New("give either --data-dir or --postgres, not both")
	case *f.dataDir == "" && *f.postgres == "":
		return errNoStore
	}
	return nil
}

// open opens (and migrates) the store the flags name.
func (f storeFlags) open(ctx context.Context) (store.Store, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if *f.postgres != "" {
		return postgres.Open(ctx, *f.postgres)
	}
	return sqlite.Open(ctx, *f.dataDir)
}

// usageError prints err and the command's flags, and marks the error as
// already reported.
func usageError(fs *flag.FlagSet, err error) error {
	fmt.Fprintf(fs.Output(), "%v\n", err)
	fs.Usage()
	return errUsage
}

func newFlagSet(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ecowatch %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

func parseStoreCommand(e env, fs *flag.FlagSet, args []string) (storeFlags, error) {
	sf := addStoreFlags(fs)
	if err := parseSettings(fs, args, e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return sf, errUsage
		}
		if strings.HasPrefix(err.Error(), "flag provided but not defined") || strings.Contains(err.Error(), "invalid value") {
			return sf, errUsage // the flag package has printed it with the usage
		}
		return sf, err
	}
	if err := sf.check(); err != nil {
		return sf, usageError(fs, err)
	}
	return sf, nil
}

// migrateCommand applies the store's migrations. Every command that opens
// a store also migrates it first; this one does only that, for operators
// who migrate before rolling out a new version.
func migrateCommand() command {
	return command{
		Name:    "migrate",
		Summary: "apply the store's schema migrations",
		Run: func(ctx context.Context, e env, args []string) error {
			fs := newFlagSet(e, "migrate", "migrate [--data-dir DIR | --postgres URL]")
			sf, err := parseStoreCommand(e, fs, args)
			if err != nil {
				return err
			}
			var applied []string
			if *sf.postgres != "" {
				applied, err = postgres.MigrateURL(ctx, *sf.postgres)
			} else {
				applied, err = sqlite.MigrateDir(ctx, *sf.dataDir)
			}
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(e.Stdout, "schema up to date")
			}
			for _, m := range applied {
				fmt.Fprintf(e.Stdout, "applied %s\n", m)
			}
			return nil
		},
	}
}
