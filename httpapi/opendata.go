package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/auth"
	"ecowatch/hj212"
	"ecowatch/opendata"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets/cnemc"
)

// The open data API (issue 12): read-only, versioned with the rest under
// /api/v1/open, for everyone. What a response may hold is the
// publication policy's (package opendata); the rate limit depends on who
// asks: the public by address, an approved API key (X-API-Key), a signed-in
// account or a department's scoped token. Every public route answers the
// same content to every caller, so responses carry ETags and are cacheable
// by shared caches: immutable once the data are older than the settle
// time, a minute otherwise.

// OpenDataConfig configures the open data routes.
type OpenDataConfig struct {
	// Settings are the rate limits and the settle time; the zero value is
	// opendata.DefaultSettings.
	Settings opendata.Settings
	// Policy is what is published; nil is opendata.DefaultPolicy().
	Policy *opendata.Policy
	// Keys keeps the API keys; nil builds it over the store's SQL handle.
	Keys *opendata.Keys
	// BulkDir holds the bulk files (opendata.Bulk); "" serves none.
	BulkDir string
}

type opendataState struct {
	set     opendata.Settings
	pol     *opendata.Policy
	keys    *opendata.Keys
	lim     *opendata.Limiter
	bulkDir string

	// airNow is /open/air/now encoded once per refresh of the AQI and the
	// registry snapshot (it is the page every citizen opens): plain and
	// gzipped, with their ETags.
	airMu  sync.Mutex
	airNow *opendataBody

	// memo keeps computed record lists that are costly and change slowly
	// (a year of water classes reads every hourly value of every section).
	memoMu sync.Mutex
	memo   map[string]opendataMemo
}

type opendataMemo struct {
	until time.Time
	recs  []*opendata.Record
}

// opendataMemoMax bounds the memo; past it, it starts again empty.
const opendataMemoMax = 256

// remember returns the records of key computed within ttl, or computes
// them. Two requests racing for the same key may both compute: simpler
// than a wait, and bounded by the rate limits.
func (st *opendataState) remember(key string, now time.Time, ttl time.Duration, compute func() ([]*opendata.Record, error)) ([]*opendata.Record, error) {
	st.memoMu.Lock()
	m, ok := st.memo[key]
	st.memoMu.Unlock()
	if ok && now.Before(m.until) {
		return m.recs, nil
	}
	recs, err := compute()
	if err != nil {
		return nil, err
	}
	st.memoMu.Lock()
	defer st.memoMu.Unlock()
	if st.memo == nil || len(st.memo) >= opendataMemoMax {
		st.memo = map[string]opendataMemo{}
	}
	st.memo[key] = opendataMemo{until: now.Add(ttl), recs: recs}
	return recs, nil
}

// opendataBody is an encoded response kept for reuse.
type opendataBody struct {
	airAt, snapAt time.Time
	plain, gz     []byte
	etag, gzEtag  string
}

func init() {
	addFeature(feature{name: "opendata", setup: opendataSetup, routes: opendataRoutes})
}

func opendataSetup(a *API) error {
	c := a.cfg.OpenData
	st := &opendataState{set: c.Settings, pol: c.Policy, keys: c.Keys, lim: opendata.NewLimiter(), bulkDir: c.BulkDir}
	if st.set == (opendata.Settings{}) {
		st.set = opendata.DefaultSettings
	}
	if st.pol == nil {
		st.pol = opendata.DefaultPolicy()
	}
	if st.keys == nil {
		sq, ok := a.cfg.Store.(store.SQLer)
		if !ok {
			return fmt.Errorf("store %T has no SQL handle for the API keys", a.cfg.Store)
		}
		st.keys = &opendata.Keys{SQL: sq.SQL()}
	}
	a.opendata = st
	return nil
}

func opendataRoutes(a *API) []Route {
	g := a.opendataGuard
	return []Route{
		{"GET", "/open/policy", anyone, "", "Open data: every publishable field and whether it is published", g(a.opendataPolicy)},
		{"GET", "/open/air/now", anyone, "", "Open data: each city's and station's latest hourly AQI with HJ 633 health advice", g(a.opendataAirNow)},
		{"GET", "/open/aqi", anyone, "", "Open data: hourly or daily AQI of a station or a city", g(a.opendataAQI)},
		{"GET", "/open/stations", anyone, "", "Open data: air stations", g(a.opendataStations)},
		{"GET", "/open/sections", anyone, "", "Open data: water sections, automatic water stations and drinking-water sources", g(a.opendataSections)},
		{"GET", "/open/assessments", anyone, "", "Open data: GB 3838 classes of water sections by day or month", g(a.opendataAssessments)},
		{"GET", "/open/enterprises", anyone, "", "Open data: enterprises (public fields)", g(a.opendataEnterprises)},
		{"GET", "/open/enterprises/{code}", anyone, "", "Open data: an enterprise's compliance: outlets, latest values against limits, exceedance hours", g(a.opendataEnterprise)},
		{"GET", "/open/measurements", anyone, "", "Open data: hourly or daily measurements with flags and rule sets", g(a.opendataMeasurements)},
		{"GET", "/open/bulk", anyone, "", "Open data: index of the daily bulk files with sizes and SHA-256", g(a.opendataBulkIndex)},
		{"GET", "/open/bulk/{kind}/{year}/{file}", anyone, "", "Open data: one daily bulk file (CSV, gzip)", g(a.opendataBulkFile)},
		{"POST", "/open/keys", anyone, "", "Open data: request an API key (approved by an administrator)", g(a.opendataRequestKey)},
		{"GET", "/open/keys", admin, auth.ScopeAdmin, "Open data API key requests", a.opendataKeys},
		{"PATCH", "/open/keys/{id}", admin, auth.ScopeAdmin, "Approve, reject or revoke an open data API key", a.opendataDecide},
	}
}

// Cache-Control values: history older than the settle time never changes
// (RFC 8246 immutable); "now" data change within the hour, and a minute's
// staleness is what the air map already accepts (airTTL).
const (
	opendataImmutable = "public, max-age=31536000, immutable"
	opendataShort     = "public, max-age=60"
	opendataRegistry  = "public, max-age=300"
)

type opendataHandler = func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// opendataGuard applies the caller's rate limit before the handler.
func (a *API) opendataGuard(h opendataHandler) opendataHandler {
	return func(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
		// Public data: other sites' pages may read it, errors (429) included.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-API-Key-Status")
		caller, rate, err := a.opendataCaller(w, r, p)
		if err != nil {
			return err
		}
		ok, retry, remaining := a.opendata.lim.Allow(caller, rate, a.now())
		if rate.N > 0 {
			w.Header().Set("X-RateLimit-Limit", rate.String())
			w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		}
		if !ok {
			secs := max(int(math.Ceil(retry.Seconds())), 1)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			return &Error{Code: CodeRateLimited, Message: fmt.Sprintf("rate limit of %s exceeded; retry in %d s (an API key raises the limit)", rate, secs),
				MessageZh: fmt.Sprintf("请求过于频繁（上限 %s），请 %d 秒后再试；申请 API 密钥可提高上限", rate, secs)}
		}
		return h(w, r, p)
	}
}

// opendataCaller names the rate-limit bucket and rate of a request.
func (a *API) opendataCaller(w http.ResponseWriter, r *http.Request, p auth.Principal) (string, opendata.Rate, error) {
	set := a.opendata.set
	if p.SignedIn() {
		return "user:" + strconv.FormatInt(p.UserID, 10), set.Token, nil
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		if !strings.HasPrefix(k, opendata.KeyPrefix) {
			return "", set.Key, errorf(CodeUnauthenticated, "X-API-Key: not an open data key (they start with %s)", opendata.KeyPrefix)
		}
		key, err := a.opendata.keys.ByHash(r.Context(), auth.HashSecret(k))
		if errors.Is(err, store.ErrNotFound) {
			return "", set.Key, errorf(CodeUnauthenticated, "X-API-Key: unknown key")
		}
		if err != nil {
			return "", set.Key, err
		}
		w.Header().Set("X-API-Key-Status", key.Status)
		switch key.Status {
		case opendata.KeyApproved:
			return "key:" + strconv.FormatInt(key.ID, 10), set.Key, nil
		case opendata.KeyRejected, opendata.KeyRevoked:
			return "", set.Key, errorf(CodeUnauthenticated, "X-API-Key: the key was %s", key.Status)
		}
		// A pending key works at the public's limits until approved.
	}
	return "addr:" + a.remote(r), set.Anonymous, nil
}

// opendataSend writes a body with its validators: a strong ETag of the
// content and Last-Modified, answering conditional requests with 304
// (http.ServeContent implements RFC 9110 §13's precedence).
func opendataSend(w http.ResponseWriter, r *http.Request, body []byte, ctype string, modified time.Time, cache string) error {
	sum := sha256.Sum256(body)
	h := w.Header()
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", ctype)
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
	return nil
}

func opendataJSON(w http.ResponseWriter, r *http.Request, v any, modified time.Time, cache string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return opendataSend(w, r, b.Bytes(), "application/json; charset=utf-8", modified, cache)
}

// opendataFormat is json (default) or csv.
func opendataFormat(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return "json", nil
	case "csv":
		return "csv", nil
	default:
		return "", &Error{Code: CodeInvalid, Message: fmt.Sprintf("format %q: want json or csv", f), Fields: []FieldError{{"format", "want json or csv"}}}
	}
}

// opendataList pages records in JSON, or writes all of them as CSV.
func (a *API) opendataList(w http.ResponseWriter, r *http.Request, res opendata.Resource, name string, recs []*opendata.Record,
	modified time.Time, cache string) error {
	format, err := opendataFormat(r)
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	if format == "csv" {
		if len(recs) > maxExport {
			return errorf(CodeInvalid, "%d rows: at most %d per CSV request; narrow the filters or use the bulk files (/open/bulk)", len(recs), maxExport)
		}
		var b bytes.Buffer
		if err := opendata.WriteCSV(&b, a.opendata.pol.Columns(res), recs); err != nil {
			return err
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return opendataSend(w, r, b.Bytes(), "text/csv; charset=utf-8", modified, cache)
	}
	lo := min(pg.Offset, len(recs))
	hi := min(lo+pg.Limit, len(recs))
	items := recs[lo:hi]
	if items == nil {
		items = []*opendata.Record{}
	}
	return opendataJSON(w, r, map[string]any{"items": items, "total": len(recs), "limit": pg.Limit, "offset": pg.Offset}, modified, cache)
}

// opendataIsStation says whether a point is an air station: the
// city-level points of an imported release (cnemc) are city averages, not
// stations, and are not averaged again into their city.
func opendataIsStation(pt registry.Point) bool {
	return pt.Kind == registry.KindAirStation && !cnemc.IsCityPoint(pt.Code)
}

// opendataRegion reads the region filter: a GB/T 2260 code whose level
// decides the prefix that matches (43 for the province, 4301 for a city,
// the whole code for a county).
func opendataRegion(r *http.Request) (func(code string) bool, error) {
	code := r.URL.Query().Get("region")
	if code == "" {
		return func(string) bool { return true }, nil
	}
	lv, err := registry.LevelOf(code)
	if err != nil {
		return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("region %q: want a six-digit GB/T 2260 code", code), Fields: []FieldError{{"region", "want six digits"}}}
	}
	prefix := code
	switch lv {
	case registry.LevelProvince:
		prefix = code[:2]
	case registry.LevelCity:
		prefix = code[:4]
	}
	return func(c string) bool { return strings.HasPrefix(c, prefix) }, nil
}

// opendataCache decides the caching of a history window: immutable once
// it ended more than the settle time ago, with the end of the settle time
// as its Last-Modified; recent data may change any second (a frame
// arrives), so they get no Last-Modified, only the ETag of their content.
func (a *API) opendataCache(to time.Time) (time.Time, string) {
	now := a.now()
	if !to.IsZero() && !now.Before(to.Add(a.opendata.set.Settle)) {
		return to.Add(a.opendata.set.Settle), opendataImmutable
	}
	return time.Time{}, opendataShort
}

func (a *API) opendataPolicy(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	return opendataJSON(w, r, map[string]any{"items": a.opendata.pol.View()}, time.Time{}, opendataRegistry)
}

func (a *API) opendataStations(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	in, err := opendataRegion(r)
	if err != nil {
		return err
	}
	var recs []*opendata.Record
	for _, pt := range s.pointList {
		if opendataIsStation(pt) && in(pt.RegionCode) {
			recs = append(recs, a.opendata.pol.Station(pt))
		}
	}
	return a.opendataList(w, r, opendata.Station, "stations", recs, s.at.Truncate(time.Second), opendataRegistry)
}

func (a *API) opendataSections(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	in, err := opendataRegion(r)
	if err != nil {
		return err
	}
	var recs []*opendata.Record
	for _, pt := range s.pointList {
		if opendata.IsSection(pt.Kind) && in(pt.RegionCode) {
			recs = append(recs, a.opendata.pol.Section(pt))
		}
	}
	return a.opendataList(w, r, opendata.Section, "sections", recs, s.at.Truncate(time.Second), opendataRegistry)
}

func (a *API) opendataEnterprises(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	in, err := opendataRegion(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	text, key := strings.TrimSpace(q.Get("q")), q.Get("key_unit")
	var recs []*opendata.Record
	for _, e := range s.entList {
		if !in(e.RegionCode) || key != "" && !slices.Contains(e.KeyUnits, registry.KeyUnit(key)) ||
			text != "" && !strings.Contains(e.Name, text) && e.CreditCode != text {
			continue
		}
		recs = append(recs, a.opendata.pol.Enterprise(e))
	}
	return a.opendataList(w, r, opendata.Enterprise, "enterprises", recs, s.at.Truncate(time.Second), opendataRegistry)
}

// opendataPoints selects the published points of a request: the codes in
// point (comma-separated), else those of region, else all, of the kinds
// ok accepts.
func (a *API) opendataPoints(r *http.Request, s *snapshot, ok func(registry.Point) bool) ([]registry.Point, bool, error) {
	in, err := opendataRegion(r)
	if err != nil {
		return nil, false, err
	}
	var out []registry.Point
	if v := r.URL.Query().Get("point"); v != "" {
		codes := strings.Split(v, ",")
		if len(codes) > 50 {
			return nil, true, &Error{Code: CodeInvalid, Message: "point: at most 50 codes", Fields: []FieldError{{"point", "at most 50 codes"}}}
		}
		for _, c := range codes {
			pt, found := s.points[c]
			if !found || !ok(pt) || !a.opendata.pol.PublishesPoint(pt) {
				return nil, true, errorf(CodeNotFound, "point %q: no published point with this code", c)
			}
			out = append(out, pt)
		}
		return out, true, nil
	}
	for _, pt := range s.pointList {
		if ok(pt) && in(pt.RegionCode) && a.opendata.pol.PublishesPoint(pt) {
			out = append(out, pt)
		}
	}
	return out, false, nil
}

func (a *API) opendataMeasurements(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	kind := store.Hour
	switch q.Get("kind") {
	case "", "hour":
	case "day":
		kind = store.Day
	default:
		return &Error{Code: CodeInvalid, Message: "kind: want hour or day", Fields: []FieldError{{"kind", "want hour or day"}}}
	}
	factor := q.Get("factor")
	if factor != "" {
		if err := registry.ValidateFactorCode(factor); err != nil {
			return &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{"factor", "want an HJ 212 factor code such as a34004"}}}
		}
	}
	pts, byCode, err := a.opendataPoints(r, s, func(registry.Point) bool { return true })
	if err != nil {
		return err
	}
	now := a.now().In(store.CST)
	span := 24 * time.Hour
	if kind == store.Day {
		span = 30 * 24 * time.Hour
	}
	end := now.Add(time.Hour).Truncate(time.Hour)
	from, to, err := timeRange(r, end.Add(-span), end)
	if err != nil {
		return err
	}
	// One request reads at most about 100,000 rows: a month of hourly data
	// (or ten years of daily data) of up to 50 named points, or a day (a
	// month) of all of them; the bulk files hold the rest.
	limit := map[bool]map[store.Kind]time.Duration{
		true:  {store.Hour: 31 * 24 * time.Hour, store.Day: 3660 * 24 * time.Hour},
		false: {store.Hour: 24 * time.Hour, store.Day: 31 * 24 * time.Hour},
	}[byCode][kind]
	if to.Sub(from) > limit {
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("from–to spans %s; at most %s per request %s (the bulk files at /open/bulk hold everything)",
			to.Sub(from), limit, map[bool]string{true: "for named points", false: "without point"}[byCode]), Fields: []FieldError{{"from", "range too long"}}}
	}
	recs, err := a.opendata.pol.Measurements(r.Context(), a.cfg.Store, opendata.Query{Points: pts, Factor: factor, Kind: kind, From: from, To: to})
	if err != nil {
		return err
	}
	mod, cache := a.opendataCache(to)
	return a.opendataList(w, r, opendata.Measurement, "measurements-"+kind.String(), recs, mod, cache)
}

// opendataAQI is a station's (point) or a city's (city) hourly or daily
// AQI, computed as /air/stations/{code}/series and /air/cities/{code}/series
// do.
func (a *API) opendataAQI(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	code, city := q.Get("point"), q.Get("city")
	if (code == "") == (city == "") {
		return &Error{Code: CodeInvalid, Message: "give either point (an air station) or city (a city code)", Fields: []FieldError{{"point", "point or city"}}}
	}
	kind, from, to, err := a.seriesRange(r)
	if err != nil {
		return err
	}
	area, stations := code, []string{code}
	if code != "" {
		pt, ok := s.points[code]
		if !ok || !opendataIsStation(pt) {
			return errorf(CodeNotFound, "air station %q: not found", code)
		}
	} else {
		area = city
		found := false
		for _, g := range s.regions {
			found = found || g.Code == city && g.Level == registry.LevelCity
		}
		if !found {
			return errorf(CodeNotFound, "city %q: not found", city)
		}
		stations = opendataCityStations(s.pointList, city)
	}
	recs, err := opendataAQIRecords(r.Context(), a.opendata.pol, a.readHourly, area, stations, code == "", kind, from, to)
	if err != nil {
		return err
	}
	mod, cache := a.opendataCache(to)
	return a.opendataList(w, r, opendata.AQI, "aqi-"+area+"-"+kind, recs, mod, cache)
}

// opendataCityStations are the stations a city's AQI averages: HJ
// 663-2013 §4.2 leaves the background stations out.
func opendataCityStations(pts []registry.Point, city string) []string {
	var out []string
	for _, pt := range pts {
		if opendataIsStation(pt) && !pt.Background && cityOf(pt.RegionCode) == city {
			out = append(out, pt.Code)
		}
	}
	return out
}

// opendataAQIRecords computes the AQI records of a station (its own
// values) or a city (the mean of its stations' hourly values, rounded as
// published) from from to to: the one computation behind /open/aqi and
// the daily AQI bulk files, so that both hold the same rows.
func opendataAQIRecords(ctx context.Context, pol *opendata.Policy, read func(context.Context, string, time.Time, time.Time) (hourly, error),
	area string, stations []string, city bool, kind string, from, to time.Time) ([]*opendata.Record, error) {
	var hs []hourly
	for _, code := range stations {
		// The day before: the 24-hour and 8-hour means reach back.
		h, err := read(ctx, code, from.Add(-24*time.Hour), to)
		if err != nil {
			return nil, err
		}
		hs = append(hs, h)
	}
	var items []SeriesAQIView
	if city {
		items = seriesItems(average(hs), kind, from, to, roundedValue)
	} else if len(hs) == 1 {
		items = seriesItems(hs[0], kind, from, to, rawValue)
	}
	recs := make([]*opendata.Record, len(items))
	for i, it := range items {
		recs[i] = pol.New(opendata.AQI).Set("area", area).Set("time", it.Time.Format(time.RFC3339)).Set("kind", kind).
			Set("aqi", it.AQI).Set("level", it.Level).Set("category", it.Category).Set("category_en", it.English).Set("color", it.Color).
			Set("primary_pollutant", it.Primary).Set("values", it.Values).Set("rules", aqi.Default(it.Time).Name)
	}
	return recs, nil
}

// OpenDataDailyAQI is the daily AQI of every city and then every air
// station of one day (UTC+8), each as GET /open/aqi?kind=day answers it
// for that day: the source of the aqi-daily bulk files
// (opendata.Bulk.AQI).
func OpenDataDailyAQI(st store.Store, pol *opendata.Policy) func(ctx context.Context, day time.Time) ([]*opendata.Record, error) {
	// readHourly needs nothing of the API but its store: the bulk writer
	// runs in the worker role, where no API is built.
	reader := &API{cfg: Config{Store: st}}
	return func(ctx context.Context, day time.Time) ([]*opendata.Record, error) {
		d := day.In(store.CST)
		from := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, store.CST)
		to := from.AddDate(0, 0, 1)
		pts, err := st.Points(ctx)
		if err != nil {
			return nil, err
		}
		regions, err := st.Regions(ctx)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(pts, func(a, b registry.Point) int { return strings.Compare(a.Code, b.Code) })
		slices.SortFunc(regions, func(a, b registry.Region) int { return strings.Compare(a.Code, b.Code) })
		// Each station's hours are read once, for itself and its city.
		cache := map[string]hourly{}
		read := func(ctx context.Context, code string, from, to time.Time) (hourly, error) {
			if h, ok := cache[code]; ok {
				return h, nil
			}
			h, err := reader.readHourly(ctx, code, from, to)
			if err == nil {
				cache[code] = h
			}
			return h, err
		}
		var out []*opendata.Record
		for _, g := range regions {
			if g.Level != registry.LevelCity {
				continue
			}
			recs, err := opendataAQIRecords(ctx, pol, read, g.Code, opendataCityStations(pts, g.Code), true, "day", from, to)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
		for _, pt := range pts {
			if !opendataIsStation(pt) {
				continue
			}
			recs, err := opendataAQIRecords(ctx, pol, read, pt.Code, []string{pt.Code}, false, "day", from, to)
			if err != nil {
				return nil, err
			}
			out = append(out, recs...)
		}
		return out, nil
	}
}

// OpenCityNow is a city's latest hourly AQI with the health advice of its
// level.
type OpenCityNow struct {
	CityAQIView
	Advice opendata.Advice `json:"advice"`
}

// OpenStationNow is a station's public record and latest hourly AQI.
type OpenStationNow struct {
	Station *opendata.Record `json:"station"`
	Latest  *OpenLatest      `json:"latest"`
}

// OpenLatest is a station's latest hourly AQI with its category.
type OpenLatest struct {
	LatestAQI
	Category string `json:"category"`
	English  string `json:"category_en"`
}

func (a *API) opendataAirNow(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	res, err := a.air(r.Context())
	if err != nil {
		return err
	}
	st := a.opendata
	st.airMu.Lock()
	b := st.airNow
	if b == nil || !b.airAt.Equal(res.at) || !b.snapAt.Equal(s.at) {
		if b, err = a.opendataEncodeAirNow(s, res); err != nil {
			st.airMu.Unlock()
			return err
		}
		st.airNow = b
	}
	st.airMu.Unlock()
	h := w.Header()
	h.Set("Cache-Control", opendataShort)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Vary", "Accept-Encoding")
	body, etag := b.plain, b.etag
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		// 40 kB of JSON for the province's 82 stations is about 6 kB
		// gzipped: what a phone on a slow network waits for.
		body, etag = b.gz, b.gzEtag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", res.at.Truncate(time.Second), bytes.NewReader(body))
	return nil
}

func (a *API) opendataEncodeAirNow(s *snapshot, res *airResult) (*opendataBody, error) {
	cities := make([]OpenCityNow, len(res.cities))
	var latest time.Time
	for i, c := range res.cities {
		cities[i] = OpenCityNow{CityAQIView: c, Advice: opendata.HealthAdvice(c.Level)}
		if c.Time.After(latest) {
			latest = c.Time
		}
	}
	stations := []OpenStationNow{}
	for _, pt := range s.pointList {
		if !opendataIsStation(pt) {
			continue
		}
		sn := OpenStationNow{Station: a.opendata.pol.Station(pt)}
		if l, ok := res.stations[pt.Code]; ok {
			ol := &OpenLatest{LatestAQI: l}
			if l.AQI != nil {
				lv := aqi.LevelOf(*l.AQI)
				ol.Category, ol.English = lv.Category, lv.English
			}
			sn.Latest = ol
		}
		stations = append(stations, sn)
	}
	advice := make([]opendata.Advice, 6)
	for i := range advice {
		advice[i] = opendata.HealthAdvice(i + 1)
	}
	var t *time.Time
	if !latest.IsZero() {
		t = &latest
	}
	var plain, gz bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"time": t, "cities": cities, "stations": stations, "advice": advice}); err != nil {
		return nil, err
	}
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(plain.Bytes())
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(plain.Bytes())
	tag := hex.EncodeToString(sum[:16])
	return &opendataBody{airAt: res.at, snapAt: s.at, plain: plain.Bytes(), gz: gz.Bytes(), etag: `"` + tag + `"`, gzEtag: `"` + tag + `-gz"`}, nil
}

func (a *API) opendataAssessments(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	per := opendata.Period(r.URL.Query().Get("period"))
	if per == "" {
		per = opendata.Monthly
	}
	now := a.now().In(store.CST)
	var defFrom time.Time
	var limit time.Duration
	switch per {
	case opendata.Monthly:
		defFrom, limit = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, store.CST), 366*24*time.Hour
	case opendata.Daily:
		defFrom, limit = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, store.CST).AddDate(0, 0, -30), 93*24*time.Hour
	default:
		return &Error{Code: CodeInvalid, Message: "period: want day or month", Fields: []FieldError{{"period", "want day or month"}}}
	}
	from, to, err := timeRange(r, defFrom, now.Add(time.Hour).Truncate(time.Hour))
	if err != nil {
		return err
	}
	if to.Sub(from) > limit {
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("at most %s per request", limit), Fields: []FieldError{{"from", "range too long"}}}
	}
	pts, _, err := a.opendataPoints(r, s, func(pt registry.Point) bool { return opendata.IsSection(pt.Kind) })
	if err != nil {
		return err
	}
	codes := make([]string, len(pts))
	for i, pt := range pts {
		codes[i] = pt.Code
	}
	// Ten minutes: a period mean moves little within them, and a year of
	// every section is the most expensive read of the public pages.
	key := fmt.Sprintf("assessments|%s|%d|%d|%s", per, from.Unix(), to.Unix(), strings.Join(codes, ","))
	recs, err := a.opendata.remember(key, a.now(), 10*time.Minute, func() ([]*opendata.Record, error) {
		return a.opendata.pol.Assessments(r.Context(), a.cfg.Store, pts, per, from, to)
	})
	if err != nil {
		return err
	}
	mod, cache := a.opendataCache(to)
	return a.opendataList(w, r, opendata.Assessment, "assessments-"+string(per), recs, mod, cache)
}

// OpenFactor is one factor of an outlet on the compliance page.
type OpenFactor struct {
	Factor          string      `json:"factor"`
	Name            string      `json:"name"`
	NameEn          string      `json:"name_en"`
	Unit            string      `json:"unit"`
	Limit           *float64    `json:"limit"`
	Standard        string      `json:"standard"`
	Converted       bool        `json:"converted"` // judged on the O2-converted value
	Latest          *OpenSample `json:"latest"`
	Hours           int         `json:"hours"`            // valid hourly values with a limit this year
	ExceedanceHours int         `json:"exceedance_hours"` // of those, above the limit
}

// OpenSample is an hourly value judged against its limit.
type OpenSample struct {
	Time     time.Time `json:"time"`
	Value    *float64  `json:"value"`
	Flag     string    `json:"flag"`
	Exceeded bool      `json:"exceeded"`
}

// OpenOutlet is an outlet's public record and factors.
type OpenOutlet struct {
	Outlet  *opendata.Record `json:"outlet"`
	Factors []OpenFactor     `json:"factors"`
}

// opendataPart is a published part of an enterprise's compliance page
// that another feature provides: inspections and their results
// (双随机、一公开), closed and open cases that may be published. The
// inspections and cases features register theirs with
// addOpendataEnterprisePart from an init function once they land; read
// returns the part's items (public fields only, under the part's name in
// the page's JSON), and the feature adds its field names to
// opendataAllowed in opendata_test.go, which fails on any other.
type opendataPart struct {
	name string
	read func(a *API, r *http.Request, creditCode string) (any, error)
}

var opendataEnterpriseParts []opendataPart

// addOpendataEnterprisePart registers a part of the compliance page.
func addOpendataEnterprisePart(p opendataPart) {
	opendataEnterpriseParts = append(opendataEnterpriseParts, p)
}

func (a *API) opendataEnterprise(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	e, ok := s.enterprises[code]
	if !ok {
		return errorf(CodeNotFound, "enterprise %q: not found", code)
	}
	ctx, now := r.Context(), a.now().In(store.CST)
	year := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, store.CST)
	outlets := []OpenOutlet{}
	for _, pt := range s.pointList {
		if pt.EnterpriseCode != code || !opendata.IsOutlet(pt.Kind) || !a.opendata.pol.PublishesPoint(pt) {
			continue
		}
		ls, err := a.cfg.Store.Limits(ctx, pt.Code)
		if err != nil {
			return err
		}
		o := OpenOutlet{Outlet: a.opendata.pol.Outlet(pt), Factors: []OpenFactor{}}
		for _, f := range pt.Factors {
			of := OpenFactor{Factor: f.Code, Name: f.Name, Unit: f.Unit}
			// The registry's name, else HJ 212-2017 Appendix B's.
			if hf, ok := hj212.LookupFactor(f.Code); ok {
				of.NameEn = hf.Name
				if of.Name == "" {
					of.Name = hf.NameZH
				}
			}
			l, hasLimit := opendata.LimitAt(ls, f.Code, now)
			if hasLimit {
				v := l.Value
				of.Limit, of.Standard, of.Converted = &v, l.Standard, l.ReferenceO2 != nil
			}
			ms, err := a.cfg.Store.Measurements(ctx, store.MeasurementQuery{Point: pt.Code, Factor: f.Code, Kind: store.Hour, From: year, To: now.Add(time.Hour)})
			if err != nil {
				return err
			}
			of.Hours, of.ExceedanceHours = opendata.Exceedances(ms, ls)
			if len(ms) > 0 {
				m := ms[len(ms)-1]
				sm := &OpenSample{Time: m.Time.In(store.CST), Flag: m.Values.Flag}
				lm, limited := opendata.LimitAt(ls, f.Code, m.Time)
				if !limited {
					lm = registry.Limit{ReferenceO2: l.ReferenceO2}
				}
				if v, ok := opendata.ExceedanceValue(m, lm); ok {
					sm.Value = &v
					sm.Exceeded = limited && v > lm.Value
				}
				of.Latest = sm
			}
			o.Factors = append(o.Factors, of)
		}
		outlets = append(outlets, o)
	}
	out := map[string]any{"enterprise": a.opendata.pol.Enterprise(e), "year": now.Year(), "outlets": outlets}
	for _, part := range opendataEnterpriseParts {
		v, err := part.read(a, r, code)
		if err != nil {
			return err
		}
		out[part.name] = v
	}
	return opendataJSON(w, r, out, time.Time{}, opendataShort)
}

func (a *API) opendataBulkIndex(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if a.opendata.bulkDir == "" {
		return errorf(CodeNotFound, "this server generates no bulk files")
	}
	ix, err := opendata.ReadIndex(a.opendata.bulkDir)
	if err != nil {
		return err
	}
	if ix.Files == nil {
		ix.Files = []opendata.IndexFile{}
	}
	return opendataJSON(w, r, ix, ix.Generated, opendataRegistry)
}

func (a *API) opendataBulkFile(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if a.opendata.bulkDir == "" {
		return errorf(CodeNotFound, "this server generates no bulk files")
	}
	kind, year, file := r.PathValue("kind"), r.PathValue("year"), r.PathValue("file")
	date, ok := strings.CutSuffix(file, ".csv.gz")
	if _, known := opendata.BulkKinds[kind]; !known || !ok || !opendata.ValidDate(date) || date[:4] != year {
		return errorf(CodeNotFound, "no bulk file %s/%s/%s (want hourly|daily|aqi-daily/YYYY/YYYY-MM-DD.csv.gz)", kind, year, file)
	}
	ix, err := opendata.ReadIndex(a.opendata.bulkDir)
	if err != nil {
		return err
	}
	f, ok := ix.Lookup(kind, date)
	if !ok || f.Path == "" {
		return errorf(CodeNotFound, "no %s bulk file for %s", kind, date)
	}
	fh, err := os.Open(filepath.Join(a.opendata.bulkDir, filepath.FromSlash(f.Path)))
	if errors.Is(err, fs.ErrNotExist) {
		return errorf(CodeNotFound, "no %s bulk file for %s", kind, date)
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	cache := "public, max-age=300"
	if f.Final {
		cache = opendataImmutable
	}
	h := w.Header()
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Cache-Control", cache)
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", `attachment; filename="`+kind+"-"+file+`"`)
	http.ServeContent(w, r, "", f.Generated, fh)
	return nil
}

// opendataKeyRequestRate bounds key requests per address: a person needs one,
// and each is a row an administrator reads.
var opendataKeyRequestRate = opendata.Rate{N: 5, Per: time.Hour}

func (a *API) opendataRequestKey(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	if ok, retry, _ := a.opendata.lim.Allow("keyreq:"+a.remote(r), opendataKeyRequestRate, a.now()); !ok {
		secs := max(int(math.Ceil(retry.Seconds())), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return errorf(CodeRateLimited, "at most %s key requests per address; retry in %d s", opendataKeyRequestRate, secs)
	}
	var req opendata.KeyRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		field, _, _ := strings.Cut(strings.TrimPrefix(err.Error(), "invalid: "), ":")
		return &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{field, err.Error()}}, cause: err}
	}
	key, secret, err := a.opendata.keys.Request(r.Context(), req, a.remote(r), a.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": key.ID, "key": secret, "prefix": key.Prefix, "status": key.Status,
		"message":    "Keep the key: it is shown only once. It works at the public's limits until an administrator approves it.",
		"message_zh": "请妥善保存密钥，它只显示这一次。管理员批准前，按匿名访问的频率限制使用。"})
	return nil
}

func (a *API) opendataKeys(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	status := r.URL.Query().Get("status")
	if status != "" && !slices.Contains([]string{opendata.KeyPending, opendata.KeyApproved, opendata.KeyRejected, opendata.KeyRevoked}, status) {
		return &Error{Code: CodeInvalid, Message: "status: want pending, approved, rejected or revoked", Fields: []FieldError{{"status", "unknown"}}}
	}
	keys, err := a.opendata.keys.List(r.Context(), status)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "opendata-keys", keys)
}

func (a *API) opendataDecide(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	key, err := a.opendata.keys.Decide(r.Context(), id, req.Status, req.Note, p.Username, a.remote(r), a.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, key)
	return nil
}
