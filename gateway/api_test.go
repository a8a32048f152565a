package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAPIErrors(t *testing.T) {
	h := newHarness(t, nil)
	h.register("MN1", "pw")
	api := httptest.NewServer(h.srv.Handler())
	defer api.Close()
	// Each case's status comes from writeError's mapping: bad input 400,
	// unknown things 404, a device that is not connected 409.
	cases := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/devices/MN1/commands", `{"cn":"1062","params":[{"name":"RtdInterval","value":"30"}]}`, http.StatusConflict},
		{"POST", "/api/devices/MN1/commands", `{"cn":"9014"}`, http.StatusBadRequest},
		{"POST", "/api/devices/NOPE/commands", `{"cn":"1011"}`, http.StatusNotFound},
		{"POST", "/api/devices/MN1/commands", `{"cn":`, http.StatusBadRequest},
		{"POST", "/api/devices/MN1/commands?wait=forever", `{"cn":"1011"}`, http.StatusBadRequest},
		{"POST", "/api/devices", `{"mn":"X","point":"P","quirks":"no-such-quirk"}`, http.StatusBadRequest},
		{"POST", "/api/devices", `{"mn":"X"}`, http.StatusBadRequest},
		{"POST", "/api/devices", `{"mn":"X","point":"P","extra":1}`, http.StatusBadRequest},
		{"GET", "/api/devices/MN1/commands/20200101000000000", "", http.StatusNotFound},
		{"GET", "/api/gateway/presence", "", http.StatusOK},
		{"GET", "/api/gateway/waiting", "", http.StatusOK},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, api.URL+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s %s: status %d, want %d", c.method, c.path, c.body, resp.StatusCode, c.want)
		}
	}
}
