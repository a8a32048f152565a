package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/auth"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets/cnemc"
)

// airFactor maps the HJ 212 codes of the six AQI pollutants (HJ 212-2017
// Table B.2: a34004 PM2.5, a34002 PM10, a21026 SO2, a21004 NO2, a05024 O3,
// a21005 CO) to their AQI pollutant.
var airFactors = []struct {
	code string
	p    aqi.Pollutant
	name string
}{
	{"a21026", aqi.SO2, "SO2"}, {"a21004", aqi.NO2, "NO2"}, {"a34002", aqi.PM10, "PM10"},
	{"a21005", aqi.CO, "CO"}, {"a05024", aqi.O3, "O3"}, {"a34004", aqi.PM25, "PM2.5"},
}

// indicatorSource says which factor and averaging window an indicator of
// the hourly report takes: 1-hour values, 24-hour moving means (at least
// 20 hourly values, HJ 663-2013 Table 2) or the O3 8-hour moving mean (at
// least 6 hourly values, same table).
var indicatorSource = map[aqi.Indicator]struct {
	code   string
	window int
	min    int
}{
	aqi.SO2_1h: {"a21026", 1, 1}, aqi.SO2_24h: {"a21026", 24, 20},
	aqi.NO2_1h: {"a21004", 1, 1}, aqi.NO2_24h: {"a21004", 24, 20},
	aqi.PM10_1h: {"a34002", 1, 1}, aqi.PM10_24h: {"a34002", 24, 20},
	aqi.CO1h: {"a21005", 1, 1}, aqi.CO24h: {"a21005", 24, 20},
	aqi.O3_1h: {"a05024", 1, 1}, aqi.O3_8h: {"a05024", 8, 6},
	aqi.PM25_1h: {"a34004", 1, 1}, aqi.PM25_24h: {"a34004", 24, 20},
}

// hourly is hourly values by factor code and hour start (Unix seconds).
type hourly map[string]map[int64]float64

func (h hourly) set(code string, t int64, v float64) {
	if h[code] == nil {
		h[code] = map[int64]float64{}
	}
	h[code][t] = v
}

// mean of the window of hours ending with hour t, if enough are present.
func (h hourly) mean(code string, t int64, window, min int) (float64, bool) {
	sum, n := 0.0, 0
	for i := 0; i < window; i++ {
		if v, ok := h[code][t-int64(i)*3600]; ok {
			sum += v
			n++
		}
	}
	if n < min || n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func decimalString(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// hourAQI computes the hourly report at hour t with the rule set in force
// then.
func hourAQI(h hourly, t int64) aqi.Result {
	rules := aqi.Default(time.Unix(t, 0))
	var c aqi.Concentrations
	for _, ind := range rules.Indicators(aqi.Hourly) {
		src := indicatorSource[ind]
		if v, ok := h.mean(src.code, t, src.window, src.min); ok {
			c.SetString(ind, decimalString(v))
		}
	}
	return rules.Compute(aqi.Hourly, c)
}

// average is the mean over stations, hour by hour, of each factor.
func average(stations []hourly) hourly {
	sum, n := hourly{}, map[string]map[int64]int{}
	for _, s := range stations {
		for code, vs := range s {
			if n[code] == nil {
				n[code] = map[int64]int{}
			}
			for t, v := range vs {
				sum.set(code, t, sum[code][t]+v)
				n[code][t]++
			}
		}
	}
	for code, vs := range sum {
		for t := range vs {
			vs[t] /= float64(n[code][t])
		}
	}
	return sum
}

func latestHour(h hourly) int64 {
	var last int64
	for _, vs := range h {
		for t := range vs {
			last = max(last, t)
		}
	}
	return last
}

// readHourly reads the AQI factors' hourly averages of a station.
func (a *API) readHourly(ctx context.Context, code string, from, to time.Time) (hourly, error) {
	h := hourly{}
	for _, f := range airFactors {
		ms, err := a.cfg.Store.Measurements(ctx, store.MeasurementQuery{Point: code, Factor: f.code, Kind: store.Hour, From: from, To: to})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if v, ok := m.Values.Get(store.Avg); ok && v >= 0 {
				h.set(f.code, m.Time.Unix(), v)
			}
		}
	}
	return h, nil
}

// CityAQIView is the latest hourly AQI of a city.
type CityAQIView struct {
	Region   string            `json:"region"`
	Name     string            `json:"name"`
	NameEn   string            `json:"name_en"`
	Time     time.Time         `json:"time"`
	AQI      *int              `json:"aqi"`
	Level    int               `json:"level"`
	Category string            `json:"category"`
	English  string            `json:"category_en"`
	Color    string            `json:"color"`
	Primary  []string          `json:"primary_pollutant"`
	Values   map[string]string `json:"values"`
	Rules    string            `json:"rules"`
	Stations int               `json:"stations"`
}

// LatestAQI is a station's latest hourly AQI.
type LatestAQI struct {
	Time  time.Time `json:"time"`
	AQI   *int      `json:"aqi"`
	Level int       `json:"level"`
	Color string    `json:"color"`
	// Primary is the primary pollutant, for the public air page.
	Primary []string `json:"primary_pollutant"`
}

type airResult struct {
	at       time.Time
	cities   []CityAQIView
	stations map[string]LatestAQI
}

// airTTL: hourly data changes once an hour; a minute's staleness is fine
// for the map, and the computation (six series per station) runs once a
// minute instead of once per visitor.
const airTTL = time.Minute

func colour(l aqi.Level) string {
	if l.Number == 0 {
		return "#999999"
	}
	return fmt.Sprintf("#%02x%02x%02x", l.RGB[0], l.RGB[1], l.RGB[2])
}

func viewResult(r aqi.Result) (*int, aqi.Level) {
	if !r.Available {
		return nil, aqi.Level{}
	}
	v := r.AQI
	return &v, r.Level
}

// air returns the latest AQI of cities and stations, refreshed in the
// background when stale (as snap does); only the first call waits.
func (a *API) air(ctx context.Context) (*airResult, error) {
	a.airMu.Lock()
	cur := a.airV
	now := a.now()
	if cur != nil && (now.Sub(cur.at) < airTTL && !now.Before(cur.at) || a.airBusy) {
		a.airMu.Unlock()
		return cur, nil
	}
	if cur != nil {
		a.airBusy = true
		a.airMu.Unlock()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			fresh, err := a.readAir(ctx)
			a.airMu.Lock()
			defer a.airMu.Unlock()
			a.airBusy = false
			if err != nil {
				a.log.Warn("air quality refresh failed; serving the previous one", "err", err)
				return
			}
			a.airV = fresh
		}()
		return cur, nil
	}
	defer a.airMu.Unlock()
	fresh, err := a.readAir(ctx)
	if err != nil {
		return nil, err
	}
	a.airV = fresh
	return fresh, nil
}

func (a *API) readAir(ctx context.Context) (*airResult, error) {
	now := a.now()
	s, err := a.snap(ctx)
	if err != nil {
		return nil, err
	}
	res := &airResult{at: now, stations: map[string]LatestAQI{}, cities: []CityAQIView{}}
	byCity := map[string][]hourly{}
	from, to := now.Add(-48*time.Hour), now.Add(time.Hour)
	for _, pt := range s.pointList {
		if pt.Kind != registry.KindAirStation || cnemc.IsCityPoint(pt.Code) {
			continue
		}
		h, err := a.readHourly(ctx, pt.Code, from, to)
		if err != nil {
			return nil, err
		}
		if t := latestHour(h); t != 0 {
			r := hourAQI(h, t)
			v, l := viewResult(r)
			res.stations[pt.Code] = LatestAQI{Time: time.Unix(t, 0).In(store.CST), AQI: v, Level: l.Number, Color: colour(l), Primary: pollutants(r.Primary)}
		}
		// The city average leaves out background (对照) stations
		// (HJ 663-2013 §4.2: urban assessment points only).
		if !pt.Background {
			byCity[cityOf(pt.RegionCode)] = append(byCity[cityOf(pt.RegionCode)], h)
		}
	}
	for _, g := range s.regions {
		sts, ok := byCity[g.Code]
		if !ok || g.Level != registry.LevelCity {
			continue
		}
		h := average(sts)
		t := latestHour(h)
		if t == 0 {
			continue
		}
		r := hourAQI(h, t)
		v, l := viewResult(r)
		cv := CityAQIView{Region: g.Code, Name: g.Name, NameEn: nameEn[g.Code], Time: time.Unix(t, 0).In(store.CST), AQI: v,
			Level: l.Number, Category: l.Category, English: l.English, Color: colour(l), Primary: []string{},
			Values: map[string]string{}, Rules: r.Rules, Stations: len(sts)}
		for _, p := range r.Primary {
			cv.Primary = append(cv.Primary, p.String())
		}
		for _, f := range airFactors {
			if x, ok := h[f.code][t]; ok {
				cv.Values[f.name] = strconv.FormatFloat(x, 'f', -1, 64)
				if f.p == aqi.CO {
					cv.Values[f.name] = strconv.FormatFloat(x, 'f', 1, 64)
				} else {
					cv.Values[f.name] = strconv.FormatFloat(x, 'f', 0, 64)
				}
			}
		}
		res.cities = append(res.cities, cv)
	}
	sort.Slice(res.cities, func(i, j int) bool { return res.cities[i].Region < res.cities[j].Region })
	return res, nil
}

// cityOf is the city code of a county or city code (GB/T 2260: the
// first four digits and 00).
func cityOf(code string) string {
	if len(code) != 6 {
		return code
	}
	return code[:4] + "00"
}

func (a *API) citiesLatest(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	res, err := a.air(r.Context())
	if err != nil {
		return err
	}
	return a.writeList(w, r, "cities-aqi", res.cities)
}

// StationView is an air station.
type StationView struct {
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Region     string     `json:"region"`
	City       string     `json:"city"`
	Lon        float64    `json:"lon"`
	Lat        float64    `json:"lat"`
	Level      string     `json:"level"`
	Background bool       `json:"background"`
	Latest     *LatestAQI `json:"latest"`
}

func (a *API) stations(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	res, err := a.air(r.Context())
	if err != nil {
		return err
	}
	region := r.URL.Query().Get("region")
	var out []StationView
	for _, pt := range s.pointList {
		if pt.Kind != registry.KindAirStation || cnemc.IsCityPoint(pt.Code) || region != "" && cityOf(pt.RegionCode) != cityOf(region) {
			continue
		}
		v := StationView{Code: pt.Code, Name: pt.Name, Region: pt.RegionCode, City: cityOf(pt.RegionCode), Lon: pt.Lon, Lat: pt.Lat,
			Level: pt.Level, Background: pt.Background}
		if l, ok := res.stations[pt.Code]; ok {
			v.Latest = &l
		}
		out = append(out, v)
	}
	return a.writeList(w, r, "stations", out)
}

// SeriesAQIView is one hour or day of a station's or a city's AQI.
type SeriesAQIView struct {
	Time     time.Time         `json:"time"`
	AQI      *int              `json:"aqi"`
	Level    int               `json:"level"`
	Category string            `json:"category"`
	English  string            `json:"category_en"`
	Color    string            `json:"color"`
	Primary  []string          `json:"primary_pollutant"`
	Values   map[string]string `json:"values"`
}

// dayAQI computes the daily report of the day starting at t (CST) from
// hourly values: 24-hour means with at least 20 hours, the O3 daily
// maximum 1-hour value and the maximum 8-hour moving mean over windows
// ending 08:00 to 24:00 with at least 14 valid windows (HJ 663-2013 Table 2).
func dayAQI(h hourly, t int64) (aqi.Result, map[string]string) {
	rules := aqi.Default(time.Unix(t, 0))
	var c aqi.Concentrations
	vals := map[string]string{}
	last := t + 23*3600
	for _, ind := range rules.Indicators(aqi.Daily) {
		src := indicatorSource[ind]
		var v float64
		var ok bool
		switch ind {
		case aqi.O3_1h:
			for i := int64(0); i < 24; i++ {
				if x, has := h[src.code][t+i*3600]; has && (!ok || x > v) {
					v, ok = x, true
				}
			}
		case aqi.O3_8h:
			n := 0
			for end := t + 7*3600; end <= last; end += 3600 {
				if x, has := h.mean(src.code, end, 8, 6); has {
					n++
					v = max(v, x)
				}
			}
			ok = n >= 14
		default:
			v, ok = h.mean(src.code, last, 24, 20)
		}
		if ok {
			c.SetString(ind, decimalString(v))
			vals[ind.String()] = strconv.FormatFloat(v, 'f', 1, 64)
		}
	}
	return rules.Compute(aqi.Daily, c), vals
}

func (a *API) stationSeries(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	pt, ok := s.points[code]
	if !ok || pt.Kind != registry.KindAirStation {
		return errorf(CodeNotFound, "air station %q: not found", code)
	}
	kind, from, to, err := a.seriesRange(r)
	if err != nil {
		return err
	}
	// 24 hours before from, for the moving means of the first hours.
	h, err := a.readHourly(r.Context(), code, from.Add(-24*time.Hour), to)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "aqi-"+code, seriesItems(h, kind, from, to, rawValue))
}

// citySeries is a city's hourly or daily AQI: the hourly mean of its
// non-background stations, as /air/cities/latest computes it, then the
// same hourly and daily rules as a station's series.
func (a *API) citySeries(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	city := false
	for _, g := range s.regions {
		if g.Code == code && g.Level == registry.LevelCity {
			city = true
		}
	}
	if !city {
		return errorf(CodeNotFound, "city %q: not found", code)
	}
	kind, from, to, err := a.seriesRange(r)
	if err != nil {
		return err
	}
	var sts []hourly
	for _, pt := range s.pointList {
		// HJ 663-2013 §4.2: the city's assessment leaves out background
		// (对照) stations.
		if pt.Kind != registry.KindAirStation || cnemc.IsCityPoint(pt.Code) || pt.Background || cityOf(pt.RegionCode) != code {
			continue
		}
		h, err := a.readHourly(r.Context(), pt.Code, from.Add(-24*time.Hour), to)
		if err != nil {
			return err
		}
		sts = append(sts, h)
	}
	return a.writeList(w, r, "aqi-"+code, seriesItems(average(sts), kind, from, to, roundedValue))
}

// seriesRange reads kind (hour by default) and the from/to window of a
// series request, with each kind's default span and limit; a daily
// window starts at midnight CST.
func (a *API) seriesRange(r *http.Request) (kind string, from, to time.Time, err error) {
	kind = r.URL.Query().Get("kind")
	if kind == "" {
		kind = "hour"
	}
	if kind != "hour" && kind != "day" {
		return "", from, to, &Error{Code: CodeInvalid, Message: "kind: want hour or day", Fields: []FieldError{{"kind", "want hour or day"}}}
	}
	now := a.now().In(store.CST)
	span, limit := 48*time.Hour, 31*24*time.Hour
	if kind == "day" {
		span, limit = 30*24*time.Hour, 366*24*time.Hour
	}
	from, to, err = timeRange(r, now.Add(-span), now.Add(time.Hour))
	if err != nil {
		return "", from, to, err
	}
	if to.Sub(from) > limit {
		return "", from, to, &Error{Code: CodeInvalid, Message: fmt.Sprintf("at most %s per request", limit), Fields: []FieldError{{"from", "range too long"}}}
	}
	if kind == "day" {
		f := from.In(store.CST)
		from = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, store.CST)
	}
	return kind, from, to, nil
}

// rawValue shows a station's hourly value as stored; roundedValue shows a
// city mean to the precision the hourly report publishes (integers in
// µg/m³, CO to 0.1 mg/m³), as /air/cities/latest does.
func rawValue(_ aqi.Pollutant, x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func roundedValue(p aqi.Pollutant, x float64) string {
	if p == aqi.CO {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

// seriesItems computes the hourly or daily AQI of h over [from, to).
func seriesItems(h hourly, kind string, from, to time.Time, format func(aqi.Pollutant, float64) string) []SeriesAQIView {
	out := []SeriesAQIView{}
	if kind == "hour" {
		for t := from.Truncate(time.Hour).Unix(); t < to.Unix(); t += 3600 {
			if !hasHour(h, t) {
				continue
			}
			sv := seriesView(time.Unix(t, 0).In(store.CST), hourAQI(h, t), map[string]string{})
			for _, f := range airFactors {
				if x, ok := h[f.code][t]; ok {
					sv.Values[f.name] = format(f.p, x)
				}
			}
			out = append(out, sv)
		}
		return out
	}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		res, vals := dayAQI(h, d.Unix())
		if len(vals) == 0 {
			continue
		}
		out = append(out, seriesView(d, res, vals))
	}
	return out
}

func seriesView(t time.Time, res aqi.Result, vals map[string]string) SeriesAQIView {
	v, l := viewResult(res)
	return SeriesAQIView{Time: t, AQI: v, Level: l.Number, Category: l.Category, English: l.English, Color: colour(l),
		Primary: pollutants(res.Primary), Values: vals}
}

func hasHour(h hourly, t int64) bool {
	for _, vs := range h {
		if _, ok := vs[t]; ok {
			return true
		}
	}
	return false
}

func pollutants(ps []aqi.Pollutant) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
