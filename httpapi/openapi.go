package httpapi

import (
	_ "embed"
	"net/http"

	"ecowatch/auth"
)

// openAPIDoc is the OpenAPI 3 document of the API, written by hand next
// to the route table; TestOpenAPIMatchesRoutes fails when a route is
// missing from it or it names a route that does not exist.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

func (a *API) openAPI(w http.ResponseWriter, _ *http.Request, _ auth.Principal) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPIDoc)
	return nil
}
