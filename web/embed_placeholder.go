//go:build !ui

package web

import (
	"embed"
	"io/fs"
)

//go:embed placeholder
var placeholder embed.FS

const built = false

func uiFS() fs.FS {
	sub, err := fs.Sub(placeholder, "placeholder")
	if err != nil {
		panic(err) // the embed directive guarantees the directory exists
	}
	return sub
}
