// Package web serves the browser application: the Vite/Vue project in this
// directory, built into dist/ and embedded in the binary.
//
// `go build` and `go test` work on a fresh clone without Node.js: without the
// "ui" build tag the binary embeds a placeholder page that says how to build
// the real one; `make` runs the Vite build and compiles with -tags ui.
package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Built reports whether the binary carries the real UI.
func Built() bool { return built }

// Handler serves the UI. Files under assets/ carry a content hash in their
// names, so they are cached for a year; every other path that is not a file
// gets index.html, so the single-page router can handle deep links.
func Handler() http.Handler {
	files := uiFS()
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p == "" || p == "." {
			p = "index.html"
		}
		if st, err := fs.Stat(files, p); err != nil || st.IsDir() {
			serveIndex(w, r, files)
			return
		}
		if strings.HasPrefix(p, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fileServer.ServeHTTP(w, r)
	})
}

func serveIndex(w http.ResponseWriter, r *http.Request, files fs.FS) {
	b, err := fs.ReadFile(files, "index.html")
	if err != nil {
		http.Error(w, "index.html missing from the embedded UI", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}
