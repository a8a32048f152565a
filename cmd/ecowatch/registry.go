package main

import (
	"context"
	"errors"
)

// registryCommand is a placeholder until its issue lands.
func registryCommand() command {
	return command{
		Name:    "registry",
		Summary: "list and import the registry (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
