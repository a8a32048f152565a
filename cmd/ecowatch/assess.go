package main

import (
	"context"
	"errors"
)

// assessCommand is a placeholder until its issue lands.
func assessCommand() command {
	return command{
		Name:    "assess",
		Summary: "compute AQI, air assessment, water classes (standards engine) (not yet built)",
		Run: func(ctx context.Context, e env, args []string) error {
			return errors.New("not yet built")
		},
	}
}
