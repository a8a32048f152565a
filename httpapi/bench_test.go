package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDashboard measures the command centre's periodic calls served
// in process (no network), signed in as the province supervisor, on the
// test fixture's registry. The load test with a simulator feeding frames
// is in the report of issue 6; this guards the per-request cost.
func BenchmarkDashboard(b *testing.B) {
	for _, path := range []string{"/overview", "/air/cities/latest", "/devices?limit=50", "/enterprises?limit=50"} {
		b.Run(path, func(b *testing.B) {
			f := newFixture(b)
			c := f.creds["province"]
			req := httptest.NewRequest("GET", Prefix+path, nil)
			req.AddCookie(c.cookie)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				f.api.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, w.Code, w.Body)
				}
			}
		})
	}
}
