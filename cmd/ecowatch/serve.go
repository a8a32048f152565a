package main

import (
	"context"
	"errors"
)

// serveCommand is a placeholder until its issue lands.
func serveCommand() command {
	return command{
		Name:    "serve",
		Summary: "run gateway, workers and web in one process (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
