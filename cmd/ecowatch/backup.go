package main

import (
	"context"
	"errors"
)

// backupCommand is a placeholder until its issue lands.
func backupCommand() command {
	return command{
		Name:    "backup",
		Summary: "write a consistent copy of the embedded store (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
