package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/gateway"
	"ecowatch/registry"
	"ecowatch/store"
)

// snapshot is the registry as the handlers scope it: read once per
// snapshotTTL instead of once per request, so that the dashboard's calls
// at 200 requests/s do not each list every point and device. A change
// shows within the TTL.
type snapshot struct {
	at          time.Time
	points      map[string]registry.Point
	pointList   []registry.Point
	enterprises map[string]registry.Enterprise
	entList     []registry.Enterprise
	devices     map[string]registry.Device // registered devices by MN
	devList     []registry.Device
	devByPoint  map[string][]registry.Device
	regions     []registry.Region
}

const snapshotTTL = 5 * time.Second

// snap returns the registry snapshot. A stale one is still answered
// while one goroutine reads a new one (stale-while-revalidate): under
// heavy ingest a rebuild takes long enough that making every request wait
// for it showed as the API's p99. Only the first call, or the first after
// invalidate, waits.
func (a *API) snap(ctx context.Context) (*snapshot, error) {
	a.snapMu.Lock()
	s := a.snapV
	now := a.now()
	if s != nil && (now.Sub(s.at) < snapshotTTL && !now.Before(s.at) || a.snapBusy) {
		a.snapMu.Unlock()
		return s, nil
	}
	if s != nil {
		a.snapBusy = true
		a.snapMu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			fresh, err := a.readSnapshot(ctx)
			a.snapMu.Lock()
			defer a.snapMu.Unlock()
			a.snapBusy = false
			if err != nil {
				a.log.Warn("registry snapshot refresh failed; serving the previous one", "err", err)
				return
			}
			if a.snapV != nil { // not invalidated meanwhile
				a.snapV = fresh
			}
		}()
		return s, nil
	}
	defer a.snapMu.Unlock()
	fresh, err := a.readSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	a.snapV = fresh
	return fresh, nil
}

func (a *API) readSnapshot(ctx context.Context) (*snapshot, error) {
	st := a.cfg.Store
	s := &snapshot{at: a.now(), points: map[string]registry.Point{}, enterprises: map[string]registry.Enterprise{},
		devices: map[string]registry.Device{}, devByPoint: map[string][]registry.Device{}}
	var err error
	if s.pointList, err = st.Points(ctx); err != nil {
		return nil, err
	}
	if s.entList, err = st.Enterprises(ctx); err != nil {
		return nil, err
	}
	ds, err := st.Devices(ctx, "")
	if err != nil {
		return nil, err
	}
	if s.regions, err = st.Regions(ctx); err != nil {
		return nil, err
	}
	for _, p := range s.pointList {
		s.points[p.Code] = p
	}
	for _, e := range s.entList {
		s.enterprises[e.CreditCode] = e
	}
	for _, d := range ds {
		if d.State == registry.DeviceUnregistered {
			continue
		}
		s.devList = append(s.devList, d)
		s.devices[d.MN] = d
		s.devByPoint[d.PointCode] = append(s.devByPoint[d.PointCode], d)
	}
	return s, nil
}

// invalidate drops the snapshot after a registry change made here.
func (a *API) invalidate() {
	a.snapMu.Lock()
	a.snapV = nil
	a.snapMu.Unlock()
}

// canSeePoint is the scope rule for a point: an enterprise's point is
// seen by whoever sees the enterprise (by its registered region), any
// other point by region.
func (s *snapshot) canSeePoint(p auth.Principal, pt registry.Point) bool {
	if pt.EnterpriseCode != "" {
		e, ok := s.enterprises[pt.EnterpriseCode]
		region := pt.RegionCode
		if ok {
			region = e.RegionCode
		}
		return p.CanSeeEnterprise(pt.EnterpriseCode, region)
	}
	return p.CanSeeRegion(pt.RegionCode)
}

// canSeeDevice: a registered device by its point; an unregistered one
// (no point, so no region) only by the province-wide roles.
func (s *snapshot) canSeeDevice(p auth.Principal, mn string) bool {
	if d, ok := s.devices[mn]; ok {
		pt, ok := s.points[d.PointCode]
		return ok && s.canSeePoint(p, pt)
	}
	prefix, ok := p.RegionPrefix()
	return ok && prefix == ""
}

func forbidden(what string) error {
	return &Error{Code: CodeForbidden, Message: what + " is outside your region or enterprise", MessageZh: "超出您的管辖范围"}
}

// RegionView is a region in lists.
type RegionView struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
}

// regions lists the regions, optionally only the divisions of one parent
// (?parent=430100: 长沙's districts and counties) or of one level
// (?level=province|city|county).
func (a *API) regions(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	parent, level := r.URL.Query().Get("parent"), r.URL.Query().Get("level")
	switch registry.RegionLevel(level) {
	case "", registry.LevelProvince, registry.LevelCity, registry.LevelCounty:
	default:
		return errorf(CodeBadRequest, "level %q: want province, city or county", level)
	}
	if parent != "" && !slices.ContainsFunc(s.regions, func(g registry.Region) bool { return g.Code == parent }) {
		return errorf(CodeNotFound, "no region %q", parent)
	}
	out := make([]RegionView, 0, len(s.regions))
	for _, g := range s.regions {
		if parent != "" && g.ParentCode != parent || level != "" && string(g.Level) != level {
			continue
		}
		out = append(out, RegionView{Code: g.Code, Name: g.Name, NameEn: nameEn[g.Code], Level: string(g.Level), Parent: g.ParentCode})
	}
	return a.writeList(w, r, "regions", out)
}

// nameEn holds the English (pinyin) names of Hunan and its 14 cities and
// prefectures, as the province's own English pages write them.
var nameEn = map[string]string{
	"430000": "Hunan", "430100": "Changsha", "430200": "Zhuzhou", "430300": "Xiangtan", "430400": "Hengyang",
	"430500": "Shaoyang", "430600": "Yueyang", "430700": "Changde", "430800": "Zhangjiajie", "430900": "Yiyang",
	"431000": "Chenzhou", "431100": "Yongzhou", "431200": "Huaihua", "431300": "Loudi", "433100": "Xiangxi",
}

// outlineDoc is a cached FeatureCollection, plain and gzipped: a province's
// outlines are 1.6 MB of GeoJSON, the largest answer of the command
// centre, and compress about tenfold.
type outlineDoc struct {
	plain, gz []byte
	etag      string
}

func (a *API) outline(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	code := r.PathValue("code")
	v, ok := a.outlines.Load(code)
	if !ok {
		// One build at a time: concurrent first requests wait for it
		// rather than each reading and compressing 1.6 MB.
		a.outlineMu.Lock()
		if v, ok = a.outlines.Load(code); !ok {
			doc, err := a.buildOutline(r.Context(), code)
			if err != nil {
				a.outlineMu.Unlock()
				return err
			}
			// Outlines change only with a registry import of regions;
			// cached for the life of the process.
			v, _ = a.outlines.LoadOrStore(code, doc)
		}
		a.outlineMu.Unlock()
	}
	doc := v.(*outlineDoc)
	h := w.Header()
	h.Set("Content-Type", "application/geo+json")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", doc.etag)
	h.Add("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == doc.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		w.Write(doc.gz)
		return nil
	}
	w.Write(doc.plain)
	return nil
}

func (a *API) buildOutline(ctx context.Context, code string) (*outlineDoc, error) {
	if _, err := a.cfg.Store.Region(ctx, code); err != nil {
		return nil, err
	}
	all, err := a.cfg.Store.Regions(ctx)
	if err != nil {
		return nil, err
	}
	type feature struct {
		Type       string          `json:"type"`
		Properties map[string]any  `json:"properties"`
		Geometry   json.RawMessage `json:"geometry"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, g := range all {
		if g.ParentCode != code {
			continue
		}
		full, err := a.cfg.Store.Region(ctx, g.Code)
		if err != nil {
			return nil, err
		}
		geom := json.RawMessage(full.Outline)
		if len(geom) == 0 {
			geom = json.RawMessage("null")
		}
		fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: geom,
			Properties: map[string]any{"adcode": g.Code, "name": g.Name, "name_en": nameEn[g.Code]}})
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return &outlineDoc{plain: b, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// OverviewView is the command centre's counts.
type OverviewView struct {
	Devices struct {
		Total   int `json:"total"`
		Online  int `json:"online"`
		Offline int `json:"offline"`
		Waiting int `json:"waiting"`
	} `json:"devices"`
	Alarms struct {
		Open int `json:"open"`
	} `json:"alarms"`
	FramesToday int       `json:"frames_today"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (a *API) presence() map[string]gateway.Presence {
	m := map[string]gateway.Presence{}
	if a.cfg.Gateway != nil {
		for _, p := range a.cfg.Gateway.Presence() {
			m[p.MN] = p
		}
	}
	return m
}

func (a *API) overview(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	pres := a.presence()
	var v OverviewView
	for _, d := range s.devList {
		if !s.canSeeDevice(p, d.MN) {
			continue
		}
		v.Devices.Total++
		pr := pres[d.MN]
		if pr.Online {
			v.Devices.Online++
		}
		v.FramesToday += pr.FramesToday
	}
	v.Devices.Offline = v.Devices.Total - v.Devices.Online
	if a.cfg.Gateway != nil && p.Role != auth.Enterprise && p.Role != auth.Enforcement {
		v.Devices.Waiting = len(a.cfg.Gateway.Waiting())
	}
	if v.Alarms.Open, err = a.alarmsOpenCount(r.Context(), p); err != nil {
		return err
	}
	v.UpdatedAt = a.now().In(store.CST)
	writeJSON(w, http.StatusOK, v)
	return nil
}

// EnterpriseView is an enterprise in lists.
type EnterpriseView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	CreditCode    string   `json:"credit_code"`
	Region        string   `json:"region"`
	Industry      string   `json:"industry"`
	Categories    []string `json:"categories"`
	Address       string   `json:"address"`
	Lon           float64  `json:"lon"`
	Lat           float64  `json:"lat"`
	PointsCount   int      `json:"points_count"`
	Devices       int      `json:"devices"`
	OnlineDevices int      `json:"online_devices"`
	// Status is "online" (every device online), "partial", "offline" (no
	// device online) or "no_device".
	Status string `json:"status"`
}

func (s *snapshot) enterpriseView(e registry.Enterprise, pres map[string]gateway.Presence) EnterpriseView {
	v := EnterpriseView{ID: e.CreditCode, Name: e.Name, CreditCode: e.CreditCode, Region: e.RegionCode, Industry: e.IndustryCode,
		Address: e.Address, Lon: e.Lon, Lat: e.Lat, Categories: []string{}}
	for _, k := range e.KeyUnits {
		v.Categories = append(v.Categories, string(k))
	}
	for _, pt := range s.pointList {
		if pt.EnterpriseCode != e.CreditCode {
			continue
		}
		v.PointsCount++
		for _, d := range s.devByPoint[pt.Code] {
			v.Devices++
			if pres[d.MN].Online {
				v.OnlineDevices++
			}
		}
	}
	switch {
	case v.Devices == 0:
		v.Status = "no_device"
	case v.OnlineDevices == v.Devices:
		v.Status = "online"
	case v.OnlineDevices == 0:
		v.Status = "offline"
	default:
		v.Status = "partial"
	}
	return v
}

func (a *API) enterprises(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	region, industry, category, text, status := q.Get("region"), q.Get("industry"), q.Get("category"), q.Get("q"), q.Get("status")
	regionPrefix := strings.TrimRight(region, "0")
	if len(region) == 6 && len(regionPrefix)%2 == 1 {
		regionPrefix += "0" // 431000 → "431", keep "4310"
	}
	pres := a.presence()
	var out []EnterpriseView
	for _, e := range s.entList {
		if !p.CanSeeEnterprise(e.CreditCode, e.RegionCode) {
			continue
		}
		if region != "" && !strings.HasPrefix(e.RegionCode, regionPrefix) ||
			industry != "" && !strings.HasPrefix(e.IndustryCode, industry) ||
			category != "" && !slices.Contains(e.KeyUnits, registry.KeyUnit(category)) ||
			text != "" && !strings.Contains(e.Name, text) && !strings.Contains(e.CreditCode, text) {
			continue
		}
		v := s.enterpriseView(e, pres)
		if status != "" && v.Status != status {
			continue
		}
		out = append(out, v)
	}
	return a.writeList(w, r, "enterprises", out)
}

// PointView is a monitoring point of an enterprise's page.
type PointView struct {
	Code    string        `json:"code"`
	Name    string        `json:"name"`
	Type    string        `json:"type"`
	Factors []FactorView  `json:"factors"`
	Devices []DeviceBrief `json:"devices"`
}

// FactorView is a factor of a point with its limit (null when none).
type FactorView struct {
	Code  string   `json:"code"`
	Name  string   `json:"name"`
	Unit  string   `json:"unit"`
	Limit *float64 `json:"limit"`
}

// DeviceBrief is a device on an enterprise's page.
type DeviceBrief struct {
	MN        string     `json:"mn"`
	State     string     `json:"state"`
	Online    bool       `json:"online"`
	LastFrame *time.Time `json:"last_frame"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(store.CST)
	return &t
}

// limitOf is the limit of a factor at a point valid at t.
func limitOf(ls []registry.Limit, factor string, t time.Time) *float64 {
	for _, l := range ls {
		if l.Factor == factor && !t.Before(l.ValidFrom) && (l.ValidTo.IsZero() || t.Before(l.ValidTo)) {
			v := l.Value
			return &v
		}
	}
	return nil
}

func (a *API) enterprise(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	e, ok := s.enterprises[id]
	if !ok {
		return errorf(CodeNotFound, "enterprise %q: not found", id)
	}
	if !p.CanSeeEnterprise(e.CreditCode, e.RegionCode) {
		return forbidden("enterprise " + id)
	}
	pres := a.presence()
	now := a.now()
	v := struct {
		EnterpriseView
		PermitNumber string      `json:"permit_number"`
		Points       []PointView `json:"points"`
	}{EnterpriseView: s.enterpriseView(e, pres), PermitNumber: e.PermitNumber, Points: []PointView{}}
	for _, pt := range s.pointList {
		if pt.EnterpriseCode != e.CreditCode {
			continue
		}
		ls, err := a.cfg.Store.Limits(r.Context(), pt.Code)
		if err != nil {
			return err
		}
		pv := PointView{Code: pt.Code, Name: pt.Name, Type: string(pt.Kind), Factors: []FactorView{}, Devices: []DeviceBrief{}}
		for _, f := range pt.Factors {
			pv.Factors = append(pv.Factors, FactorView{Code: f.Code, Name: f.Name, Unit: f.Unit, Limit: limitOf(ls, f.Code, now)})
		}
		for _, d := range s.devByPoint[pt.Code] {
			pr := pres[d.MN]
			pv.Devices = append(pv.Devices, DeviceBrief{MN: d.MN, State: string(d.State), Online: pr.Online, LastFrame: timePtr(pr.LastFrame)})
		}
		v.Points = append(v.Points, pv)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// point finds a point the principal may see.
func (a *API) point(ctx context.Context, p auth.Principal, code string) (*snapshot, registry.Point, error) {
	s, err := a.snap(ctx)
	if err != nil {
		return nil, registry.Point{}, err
	}
	pt, ok := s.points[code]
	if !ok {
		return nil, pt, errorf(CodeNotFound, "point %q: not found", code)
	}
	if !s.canSeePoint(p, pt) {
		return nil, pt, forbidden("point " + code)
	}
	return s, pt, nil
}

// SampleView is one value of a series.
type SampleView struct {
	Time    time.Time `json:"time"`
	Value   *float64  `json:"value"`
	Flag    string    `json:"flag"`
	ZsValue *float64  `json:"zs_value"`
}

// sample picks the value of a measurement: Rtd for real-time data, Avg
// for interval data (HJ 212-2017 Table 10: -Rtd, -Avg, and Zs- for the
// converted, 折算, concentration).
func sample(m store.Measurement) SampleView {
	f, zf := store.Avg, store.ZsAvg
	if m.Kind == store.RealTime {
		f, zf = store.Rtd, store.ZsRtd
	}
	sv := SampleView{Time: m.Time.In(store.CST), Flag: m.Values.Flag}
	if v, ok := m.Values.Get(f); ok {
		sv.Value = &v
	}
	if v, ok := m.Values.Get(zf); ok {
		sv.ZsValue = &v
	}
	return sv
}

// maxSpan bounds a series request per kind, so one request reads at most
// about 50,000 rows.
var maxSpan = map[store.Kind]time.Duration{
	store.RealTime: 7 * 24 * time.Hour, store.Minute: 31 * 24 * time.Hour,
	store.Hour: 366 * 24 * time.Hour, store.Day: 10 * 366 * 24 * time.Hour,
}

var defaultSpan = map[store.Kind]time.Duration{
	store.RealTime: 2 * time.Hour, store.Minute: 24 * time.Hour, store.Hour: 7 * 24 * time.Hour, store.Day: 90 * 24 * time.Hour,
}

func (a *API) pointSeries(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, pt, err := a.point(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	factor := q.Get("factor")
	var unit string
	known := false
	for _, f := range pt.Factors {
		if f.Code == factor {
			known, unit = true, f.Unit
		}
	}
	if !known {
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("factor %q is not monitored at point %s", factor, pt.Code),
			Fields: []FieldError{{"factor", "not a factor of the point"}}}
	}
	kind := store.Minute
	if v := q.Get("kind"); v != "" {
		if kind, err = store.ParseKind(v); err != nil {
			return &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{"kind", "want realtime, minute, hour or day"}}}
		}
	}
	now := a.now()
	from, to, err := timeRange(r, now.Add(-defaultSpan[kind]), now.Add(time.Minute))
	if err != nil {
		return err
	}
	if to.Sub(from) > maxSpan[kind] {
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("%s data: at most %s per request", kind, maxSpan[kind]),
			Fields: []FieldError{{"from", "range too long"}}}
	}
	ms, err := a.cfg.Store.Measurements(r.Context(), store.MeasurementQuery{Point: pt.Code, Factor: factor, Kind: kind, From: from, To: to})
	if err != nil {
		return err
	}
	ls, err := a.cfg.Store.Limits(r.Context(), pt.Code)
	if err != nil {
		return err
	}
	items := make([]SampleView, len(ms))
	for i, m := range ms {
		items[i] = sample(m)
	}
	if exportFormat(r) != "" {
		return writeExport(w, exportFormat(r), pt.Code+"-"+factor, reflect.ValueOf(items))
	}
	writeJSON(w, http.StatusOK, map[string]any{"factor": factor, "unit": unit, "kind": kind.String(), "limit": limitOf(ls, factor, now), "items": items})
	return nil
}

// LatestView is the latest value of one factor at a point.
type LatestView struct {
	Factor   string     `json:"factor"`
	Name     string     `json:"name"`
	Unit     string     `json:"unit"`
	Kind     string     `json:"kind"`
	Time     *time.Time `json:"time"`
	Value    *float64   `json:"value"`
	Flag     string     `json:"flag"`
	Limit    *float64   `json:"limit"`
	Exceeded bool       `json:"exceeded"`
}

func (a *API) pointLatest(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, pt, err := a.point(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	ctx, now := r.Context(), a.now()
	ls, err := a.cfg.Store.Limits(ctx, pt.Code)
	if err != nil {
		return err
	}
	var out []LatestView
	for _, f := range pt.Factors {
		lv := LatestView{Factor: f.Code, Name: f.Name, Unit: f.Unit, Limit: limitOf(ls, f.Code, now)}
		// The freshest kind that has data: real-time in the last hour,
		// else minute data in the last two hours, else hourly in two days.
		for _, k := range []struct {
			kind store.Kind
			back time.Duration
		}{{store.RealTime, time.Hour}, {store.Minute, 2 * time.Hour}, {store.Hour, 48 * time.Hour}} {
			ms, err := a.cfg.Store.Measurements(ctx, store.MeasurementQuery{Point: pt.Code, Factor: f.Code, Kind: k.kind, From: now.Add(-k.back), To: now.Add(time.Hour)})
			if err != nil {
				return err
			}
			if len(ms) == 0 {
				continue
			}
			s := sample(ms[len(ms)-1])
			lv.Kind, lv.Time, lv.Value, lv.Flag = k.kind.String(), &s.Time, s.Value, s.Flag
			lv.Exceeded = s.Value != nil && lv.Limit != nil && *s.Value > *lv.Limit
			break
		}
		out = append(out, lv)
	}
	return a.writeList(w, r, "latest-"+pt.Code, out)
}
