package main

import (
	"context"
	"errors"
)

// hj212Command is a placeholder until its issue lands.
func hj212Command() command {
	return command{
		Name:    "hj212",
		Summary: "decode, encode and answer HJ 212 frames (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
