package main

import (
	"context"
	"fmt"

	"ecowatch/seed"
)

// seedCommand loads default data. The only data set is "hunan": Hunan
// Province's regions, air stations, departments and 2020 targets.
func seedCommand() command {
	return command{
		Name:    "seed",
		Summary: "load default data: seed hunan",
		Run: func(ctx context.Context, e env, args []string) error {
			fs := newFlagSet(e, "seed", "seed hunan [--data-dir DIR | --postgres URL]")
			if len(args) == 0 || args[0] != "hunan" {
				if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
					return usageError(fs, fmt.Errorf("unknown data set %q (want hunan)", args[0]))
				}
				addStoreFlags(fs)
				fs.Usage()
				return errUsage
			}
			sf, err := parseStoreCommand(e, fs, args[1:])
			if err != nil {
				return err
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := seed.Hunan(ctx, st)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "seeded Hunan: %v\n", sum)
			return nil
		},
	}
}
