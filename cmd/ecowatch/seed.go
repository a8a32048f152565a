package main

import (
	"context"
	"errors"
)

// seedCommand is a placeholder until its issue lands.
func seedCommand() command {
	return command{
		Name:    "seed",
		Summary: "load default data (seed hunan) (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
