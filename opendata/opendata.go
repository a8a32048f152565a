// Package opendata is ecowatch's public portal and open data: what may be
// published (a per-field Policy with safe defaults), the public records
// built from the registry and the measurements, API keys that researchers
// request and administrators approve, the per-caller rate limits, the
// daily bulk files with their checksummed index, and the client that
// downloads and verifies them.
//
// Nothing here decides who is signed in: the HTTP layer (httpapi) does,
// and asks this package what a public response may hold. Anything not
// declared in Fields is never published, so a new registry field stays
// private until someone declares it here.
//
// Example (what the HTTP layer does for /open/enterprises):
//
//	pol := opendata.DefaultPolicy()
//	rec := pol.Enterprise(e)          // only the fields the policy publishes
//	b, _ := json.Marshal(rec)         // {"credit_code":…,"name":…,…}
package opendata

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings are the operating limits of the open data service, one
// setting of `ecowatch serve` (--opendata) in ParseSettings' syntax.
type Settings struct {
	// Anonymous, Key and Token are the request rates of the public (per
	// address), of an approved API key and of a signed-in account or a
	// department's scoped token.
	Anonymous, Key, Token Rate
	// Settle is how long after an interval its data may still change
	// (devices re-send, 补发, up to days later); older history is served
	// as immutable and its bulk files are final.
	Settle time.Duration
	// BulkEvery is how often the bulk files are brought up to date (0:
	// never, bulk-every=off); BulkDays how many days back they cover.
	BulkEvery time.Duration
	BulkDays  int
}

// DefaultSettings: a phone opening the air page makes about five
// requests, so 120 a minute per address leaves room for a household behind
// one NAT address while stopping a scraper; keys get ten times that and
// departments a hundred times. Three days covers the re-sends HJ 212
// devices make after an outage of a weekend. The bulk files cover a month
// by default: the first pass reads every point and factor of every day
// (set bulk-days=366 or more to publish a year; files of final days are
// written once and kept).
var DefaultSettings = Settings{
	Anonymous: Rate{N: 120, Per: time.Minute},
	Key:       Rate{N: 1200, Per: time.Minute},
	Token:     Rate{N: 12000, Per: time.Minute},
	Settle:    72 * time.Hour,
	BulkEvery: time.Hour,
	BulkDays:  31,
}

// Rate is N requests per Per, with bursts of N.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string {
	if r.N <= 0 {
		return "off"
	}
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}} {
		if r.Per == u.d {
			return fmt.Sprintf("%d/%s", r.N, u.s)
		}
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}

// ParseRate reads "120/m", "10/s", "5000/h" or "off" (no limit).
func ParseRate(s string) (Rate, error) {
	if s == "off" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	v, err := strconv.Atoi(n)
	if !ok || err != nil || v <= 0 {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/m or N/h with N > 0, or off", s)
	}
	d := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[per]
	if d == 0 {
		return Rate{}, fmt.Errorf("rate %q: the unit after / must be s, m or h", s)
	}
	return Rate{N: v, Per: d}, nil
}

// ParseSettings reads comma-separated key=value pairs over the defaults:
// anonymous=120/m, key=1200/m, token=12000/m, settle=72h, bulk-every=1h,
// bulk-days=31 (bulk-every=off generates no bulk files). An empty string
// is the defaults.
func ParseSettings(s string) (Settings, error) {
	out := DefaultSettings
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return out, fmt.Errorf("opendata setting %q: want key=value", kv)
		}
		var err error
		switch k {
		case "anonymous":
			out.Anonymous, err = ParseRate(v)
		case "key":
			out.Key, err = ParseRate(v)
		case "token":
			out.Token, err = ParseRate(v)
		case "bulk-every":
			if v == "off" {
				out.BulkEvery = 0
				continue
			}
			fallthrough
		case "settle":
			var d time.Duration
			if d, err = time.ParseDuration(v); err == nil && d <= 0 {
				err = fmt.Errorf("%s: want a positive duration", v)
			}
			if k == "settle" {
				out.Settle = d
			} else {
				out.BulkEvery = d
			}
		case "bulk-days":
			var n int
			if n, err = strconv.Atoi(v); err == nil && (n < 1 || n > 10*366) {
				err = fmt.Errorf("%d: want 1 to 3660", n)
			}
			out.BulkDays = n
		default:
			return out, fmt.Errorf("opendata setting %q: unknown key (want anonymous, key, token, settle, bulk-every or bulk-days)", k)
		}
		if err != nil {
			return out, fmt.Errorf("opendata setting %s: %w", k, err)
		}
	}
	return out, nil
}
