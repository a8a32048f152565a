package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"ecowatch/auth"
)

// The OpenAPI 3 document of the API is written by hand next to the route
// table: openapi.json holds the core routes, and each feature adds a
// fragment openapi/<feature>.json with its own "paths" and
// "components.schemas", merged in at start-up (a path or schema defined
// twice is a start-up error). TestOpenAPIMatchesRoutes fails when a route
// is missing from the document or it names a route that does not exist.
//
//go:embed openapi.json openapi
var openAPIFiles embed.FS

var openAPIDoc = mustMergeOpenAPI(openAPIFiles)

func mustMergeOpenAPI(fsys fs.FS) []byte {
	b, err := mergeOpenAPI(fsys)
	if err != nil {
		panic(err)
	}
	return b
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	base, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	paths, _ := doc["paths"].(map[string]any)
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if paths == nil || schemas == nil {
		return nil, fmt.Errorf("openapi.json: want paths and components.schemas")
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var frag struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for k, v := range frag.Paths {
			if _, dup := paths[k]; dup {
				return nil, fmt.Errorf("%s: path %s is defined twice", n, k)
			}
			paths[k] = v
		}
		for k, v := range frag.Components.Schemas {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("%s: schema %s is defined twice", n, k)
			}
			schemas[k] = v
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (a *API) openAPI(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIDoc)
	return nil
}
