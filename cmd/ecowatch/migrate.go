package main

import (
	"context"
	"errors"
)

// migrateCommand is a placeholder until its issue lands.
func migrateCommand() command {
	return command{
		Name:    "migrate",
		Summary: "apply the store's migrations (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
