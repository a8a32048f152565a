package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ecowatch/auth"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets"
	"ecowatch/targets/bulletin"
	"ecowatch/targets/repo"
)

// The targets feature (issue 8): annual targets and their progress,
// city rankings, the monthly bulletins and the indicator registries. The
// computation is in package targets and its subpackages; these handlers
// parse, scope and render.
func init() {
	addFeature(feature{name: "targets", setup: targetsSetup, routes: targetsRoutes})
}

// targetsProvince is the province the platform serves (GB/T 2260).
const targetsProvince = "430000"

// targetsMaxUpload bounds an indicator registry upload (a county list of
// a few thousand rows is well under it).
const targetsMaxUpload = 4 << 20

func targetsSetup(a *API) error {
	if a.cfg.Targets != nil {
		return nil
	}
	svc, err := repo.NewService(a.cfg.Store, targetsProvince)
	if err != nil {
		return err
	}
	svc.Now = a.now
	svc.Repo.Now = a.now
	a.cfg.Targets = svc
	return nil
}

func targetsRoutes(a *API) []Route {
	return []Route{
		{"GET", "/targets", signedIn, auth.ScopeAirRead, "Annual targets of a year (province and the caller's cities)", a.targetsList},
		{"POST", "/targets", adminProv, auth.ScopeRegistry, "Set a target (new or changed; audited, with history)", a.targetsSet},
		{"GET", "/targets/history", signedIn, auth.ScopeAirRead, "Edit history of the targets of a year", a.targetsHistory},
		{"GET", "/targets/progress", signedIn, auth.ScopeAirRead, "Progress of every target: year to date, last year, status, projection, city contributions", a.targetsProgress},
		{"GET", "/targets/rankings", signedIn, auth.ScopeAirRead, "City rankings for a month, quarter or year to date", a.targetsRankings},
		{"GET", "/targets/bulletins/air", signedIn, auth.ScopeAirRead, "Monthly air-quality bulletin of the cities (JSON or XLSX)", a.targetsAirBulletin},
		{"GET", "/targets/bulletins/water", signedIn, auth.ScopeAirRead, "Monthly surface-water report (JSON or XLSX)", a.targetsWaterBulletin},
		{"GET", "/targets/reports", signedIn, auth.ScopeAirRead, "Generated reports", a.targetsReports},
		{"POST", "/targets/reports", adminProv, auth.ScopeRegistry, "Generate the month's reports now", a.targetsGenerate},
		{"GET", "/targets/reports/{id}", signedIn, auth.ScopeAirRead, "One generated report (JSON or XLSX)", a.targetsReport},
		{"GET", "/targets/items", signedIn, auth.ScopeAirRead, "Indicator registry entries (farmland, sites, black-odorous water bodies, drinking-water sources)", a.targetsItems},
		{"POST", "/targets/items", adminProv, auth.ScopeRegistry, "Import an indicator registry CSV", a.targetsImportItems},
		{"GET", "/public/targets", anyone, "", "The province's and cities' target progress (public)", a.targetsPublic},
	}
}

func targetsYear(r *http.Request, now time.Time) (int, error) {
	v := r.URL.Query().Get("year")
	if v == "" {
		return now.In(store.CST).Year(), nil
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 1990 || y > 2100 {
		return 0, &Error{Code: CodeInvalid, Message: fmt.Sprintf("year %q: want 1990…2100", v), Fields: []FieldError{{"year", "want 1990…2100"}}}
	}
	return y, nil
}

// targetsVisible says whether the caller may see a region's targets: the
// province's figures are everyone's; a city's are its own officers' and
// the province-wide roles'.
func targetsVisible(p auth.Principal, region string) bool {
	return region == targetsProvince || p.CanSeeRegion(region)
}

// TargetView is a target as the API shows it.
type TargetView struct {
	RegionCode string  `json:"region_code"`
	Year       int     `json:"year"`
	Indicator  string  `json:"indicator"`
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	Unit       string  `json:"unit"`
	Comparison string  `json:"comparison"`
	Source     string  `json:"source"`
}

func (a *API) targetsList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	year, err := targetsYear(r, a.now())
	if err != nil {
		return err
	}
	all, err := a.cfg.Store.Targets(r.Context())
	if err != nil {
		return err
	}
	out := []TargetView{}
	for _, t := range all {
		if t.Year == year && targetsVisible(p, t.RegionCode) {
			out = append(out, TargetView{t.RegionCode, t.Year, t.Indicator, t.Name, t.Value, t.Unit, string(t.Comparison), t.Source})
		}
	}
	return a.writeList(w, r, "targets", out)
}

func (a *API) targetsSet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in struct {
		TargetView
		Note string `json:"note"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	t := registry.Target{RegionCode: in.RegionCode, Year: in.Year, Indicator: in.Indicator, Name: in.Name, Value: in.Value,
		Unit: in.Unit, Comparison: registry.Comparison(in.Comparison), Source: in.Source}
	e, err := a.cfg.Targets.Repo.SetTarget(r.Context(), t, p.Username, a.remote(r), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (a *API) targetsHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	year, err := targetsYear(r, a.now())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	region := q.Get("region")
	es, err := a.cfg.Targets.Repo.Edits(r.Context(), region, year, q.Get("indicator"))
	if err != nil {
		return err
	}
	out := []repo.Edit{}
	for _, e := range es {
		if targetsVisible(p, e.RegionCode) {
			out = append(out, e)
		}
	}
	return a.writeList(w, r, "target-history", out)
}

func targetsAsOf(r *http.Request, now time.Time) (time.Time, error) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return now, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, store.CST)
	if err != nil {
		return t, &Error{Code: CodeInvalid, Message: fmt.Sprintf("as_of %q: want YYYY-MM-DD", v), Fields: []FieldError{{"as_of", "want YYYY-MM-DD"}}}
	}
	return t, nil
}

// targetsProgressOf computes the progress, filtered to what p may see.
func (a *API) targetsProgressOf(r *http.Request, p auth.Principal, public bool) (repo.ProgressReport, error) {
	year, err := targetsYear(r, a.now())
	if err != nil {
		return repo.ProgressReport{}, err
	}
	if r.URL.Query().Get("year") == "" {
		if year, err = a.cfg.Targets.DefaultYear(r.Context(), a.now()); err != nil {
			return repo.ProgressReport{}, err
		}
	}
	asOf, err := targetsAsOf(r, a.now())
	if err != nil {
		return repo.ProgressReport{}, err
	}
	rep, err := a.cfg.Targets.Progress(r.Context(), year, asOf)
	if err != nil {
		return rep, err
	}
	if public {
		return rep, nil
	}
	if prefix, ok := p.RegionPrefix(); ok && prefix == "" {
		return rep, nil // province-wide roles see every city
	}
	visible := []repo.RegionProgress{}
	for _, c := range rep.Cities {
		if p.CanSeeRegion(c.Region) {
			visible = append(visible, c)
		}
	}
	rep.Cities = visible
	for ind, cs := range rep.Contributions {
		kept := []targets.Contribution{}
		for _, c := range cs {
			if p.CanSeeRegion(c.Region) {
				kept = append(kept, c)
			}
		}
		rep.Contributions[ind] = kept
	}
	for ind, code := range rep.HoldsBack {
		if !p.CanSeeRegion(code) {
			delete(rep.HoldsBack, ind)
		}
	}
	return rep, nil
}

func (a *API) targetsProgress(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := a.targetsProgressOf(r, p, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// TargetsPublicItem is one indicator of the public progress view: no
// registry entries, no edit history, no contributions.
type TargetsPublicItem struct {
	Indicator  string  `json:"indicator"`
	Name       string  `json:"name"`
	Target     float64 `json:"target"`
	Unit       string  `json:"unit"`
	Comparison string  `json:"comparison"`
	// Value and LastYear are the reported values as decimal text.
	Value    *string        `json:"value"`
	LastYear *string        `json:"last_year"`
	Status   targets.Status `json:"status"`
}

func targetsPublicItems(rp repo.RegionProgress) []TargetsPublicItem {
	out := []TargetsPublicItem{}
	for _, it := range rp.Items {
		pi := TargetsPublicItem{Indicator: it.Target.Indicator, Name: it.Target.Name, Target: it.Target.Value, Unit: it.Target.Unit,
			Comparison: string(it.Target.Comparison), Status: it.Status}
		if it.Figure.Value != nil {
			s := it.Figure.Value.String()
			pi.Value = &s
		}
		if it.Figure.LastYear != nil {
			s := it.Figure.LastYear.String()
			pi.LastYear = &s
		}
		out = append(out, pi)
	}
	return out
}

func (a *API) targetsPublic(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := a.targetsProgressOf(r, p, true)
	if err != nil {
		return err
	}
	type region struct {
		Region string              `json:"region"`
		Name   string              `json:"name"`
		Items  []TargetsPublicItem `json:"items"`
	}
	out := struct {
		Year     int      `json:"year"`
		AsOf     string   `json:"as_of"`
		Final    bool     `json:"final"`
		Province region   `json:"province"`
		Cities   []region `json:"cities"`
	}{Year: rep.Year, AsOf: rep.To, Final: rep.Final, Cities: []region{}}
	out.Province = region{rep.Province.Region, rep.Province.Name, targetsPublicItems(rep.Province)}
	for _, c := range rep.Cities {
		out.Cities = append(out.Cities, region{c.Region, c.Name, targetsPublicItems(c)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// targetsPeriod reads period=month|quarter|ytd with year, month, quarter.
func targetsPeriod(r *http.Request, now time.Time) (targets.Period, string, error) {
	q := r.URL.Query()
	year, err := targetsYear(r, now)
	if err != nil {
		return targets.Period{}, "", err
	}
	bad := func(f, why string) error {
		return &Error{Code: CodeInvalid, Message: f + ": " + why, Fields: []FieldError{{f, why}}}
	}
	num := func(name string, lo, hi, def int) (int, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, bad(name, fmt.Sprintf("want %d…%d", lo, hi))
		}
		return n, nil
	}
	cur := now.In(store.CST)
	switch kind := q.Get("period"); kind {
	case "", "month":
		m, err := num("month", 1, 12, int(cur.Month()))
		if err != nil {
			return targets.Period{}, "", err
		}
		return targets.Month(year, time.Month(m)), fmt.Sprintf("%d-%02d", year, m), nil
	case "quarter":
		qu, err := num("quarter", 1, 4, (int(cur.Month())-1)/3+1)
		if err != nil {
			return targets.Period{}, "", err
		}
		return targets.Quarter(year, qu), fmt.Sprintf("%d-Q%d", year, qu), nil
	case "ytd":
		asOf, err := targetsAsOf(r, now)
		if err != nil {
			return targets.Period{}, "", err
		}
		if asOf.In(store.CST).Year() != year {
			asOf = time.Date(year, 12, 31, 0, 0, 0, 0, store.CST)
		}
		p := targets.YearToDate(asOf)
		return p, fmt.Sprintf("%d-YTD-%s", year, p.To.Format("01-02")), nil
	default:
		return targets.Period{}, "", bad("period", "want month, quarter or ytd")
	}
}

// Rankings are computed over every city: city rankings are published
// (the bulletin), so every signed-in role sees the whole table.
func (a *API) targetsRankings(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	p, label, err := targetsPeriod(r, a.now())
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("subject") {
	case "", "air":
	case "water":
		wr, err := a.cfg.Targets.WaterRankings(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"period": label, "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly),
			"subject": "water", "cities": wr.Cities, "sections": wr.Sections})
		return nil
	default:
		return &Error{Code: CodeInvalid, Message: "subject: want air or water", Fields: []FieldError{{"subject", "want air or water"}}}
	}
	byS := r.URL.Query().Get("by")
	if byS == "" {
		byS = string(targets.ByIndex)
	}
	by, ok := targets.ParseRankBy(byS)
	if !ok {
		return &Error{Code: CodeInvalid, Message: "by: want index, index_change or good_ratio", Fields: []FieldError{{"by", "want index, index_change or good_ratio"}}}
	}
	rows, err := a.cfg.Targets.Rankings(r.Context(), p, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": label, "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly), "by": by, "rows": rows})
	return nil
}

func targetsMonth(r *http.Request, now time.Time) (time.Time, error) {
	v := r.URL.Query().Get("month")
	if v == "" {
		// The latest finished month.
		t := now.In(store.CST)
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, store.CST).AddDate(0, -1, 0), nil
	}
	m, err := bulletin.ParseMonth(v)
	if err != nil {
		return m, &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{"month", "want YYYY-MM"}}}
	}
	return m, nil
}

func targetsXLSX(w http.ResponseWriter, name string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

func (a *API) targetsAirBulletin(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	m, err := targetsMonth(r, a.now())
	if err != nil {
		return err
	}
	b, err := a.cfg.Targets.AirBulletin(r.Context(), m)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return targetsXLSX(w, "air-bulletin-"+b.Month, func(w io.Writer) error { return bulletin.WriteAirXLSX(w, b) })
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (a *API) targetsWaterBulletin(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	m, err := targetsMonth(r, a.now())
	if err != nil {
		return err
	}
	b, err := a.cfg.Targets.WaterReport(r.Context(), m)
	if err != nil {
		return err
	}
	// A city officer sees the sections of the city; the province's ratio
	// is a published figure and stays.
	if prefix, ok := p.RegionPrefix(); !ok || prefix != "" {
		kept := []bulletin.Section{}
		for _, s := range b.Sections {
			if p.CanSeeRegion(s.Region) {
				kept = append(kept, s)
			}
		}
		b.Sections = kept
	}
	if r.URL.Query().Get("format") == "xlsx" {
		return targetsXLSX(w, "water-report-"+b.Month, func(w io.Writer) error { return bulletin.WriteWaterXLSX(w, b) })
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (a *API) targetsReports(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != bulletin.KindAirMonthly && kind != bulletin.KindWaterMonthly {
		return &Error{Code: CodeInvalid, Message: "kind: want air-monthly or water-monthly", Fields: []FieldError{{"kind", "want air-monthly or water-monthly"}}}
	}
	limit, offset := pg.Limit, pg.Offset
	if exportFormat(r) != "" {
		limit, offset = maxExport, 0
	}
	list, total, err := a.cfg.Targets.Repo.Reports(r.Context(), kind, limit, offset)
	if err != nil {
		return err
	}
	return a.writePage(w, r, "reports", list, total, pg)
}

func (a *API) targetsGenerate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var in struct {
		Month string `json:"month"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	m, err := bulletin.ParseMonth(in.Month)
	if err != nil {
		return &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{"month", "want YYYY-MM"}}}
	}
	reps, err := a.cfg.Targets.Generate(r.Context(), m, p.Username)
	if err != nil {
		return err
	}
	for i := range reps {
		reps[i].Body = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": reps})
	return nil
}

func (a *API) targetsReport(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errorf(CodeNotFound, "report %q", r.PathValue("id"))
	}
	rep, err := a.cfg.Targets.Repo.Report(r.Context(), id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "xlsx" {
		switch rep.Kind {
		case bulletin.KindAirMonthly:
			var b bulletin.Air
			if err := json.Unmarshal(rep.Body, &b); err != nil {
				return err
			}
			return targetsXLSX(w, "air-bulletin-"+b.Month, func(w io.Writer) error { return bulletin.WriteAirXLSX(w, b) })
		case bulletin.KindWaterMonthly:
			var b bulletin.Water
			if err := json.Unmarshal(rep.Body, &b); err != nil {
				return err
			}
			return targetsXLSX(w, "water-report-"+b.Month, func(w io.Writer) error { return bulletin.WriteWaterXLSX(w, b) })
		}
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func targetsKind(r *http.Request) (string, error) {
	kind := r.URL.Query().Get("kind")
	for _, k := range repo.ItemKinds {
		if k == kind {
			return kind, nil
		}
	}
	why := "want " + strings.Join(repo.ItemKinds, ", ")
	return "", &Error{Code: CodeInvalid, Message: "kind: " + why, Fields: []FieldError{{"kind", why}}}
}

func (a *API) targetsItems(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kind, err := targetsKind(r)
	if err != nil {
		return err
	}
	year, err := targetsYear(r, a.now())
	if err != nil {
		return err
	}
	items, err := a.cfg.Targets.Repo.Items(r.Context(), kind, year, "")
	if err != nil {
		return err
	}
	out := []repo.Item{}
	for _, it := range items {
		if p.CanSeeRegion(it.RegionCode) {
			out = append(out, it)
		}
	}
	return a.writeList(w, r, kind, out)
}

func (a *API) targetsImportItems(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	kind, err := targetsKind(r)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, targetsMaxUpload+1))
	if err != nil {
		return errorf(CodeBadRequest, "reading the body: %v", err)
	}
	if len(data) > targetsMaxUpload {
		return errorf(CodeBadRequest, "the file is larger than %d MiB", targetsMaxUpload>>20)
	}
	// The type is checked on the content, not the header clients set
	// loosely: CSV is UTF-8 text without NUL bytes (a workbook or an image
	// is not).
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return errorf(CodeBadRequest, "the file is not UTF-8 CSV text (save the sheet as CSV UTF-8)")
	}
	items, err := repo.ReadItems(kind, bytes.NewReader(data))
	if err != nil {
		return &Error{Code: CodeInvalid, Message: err.Error(), cause: errors.Join(store.ErrInvalid, err)}
	}
	if err := a.cfg.Targets.Repo.PutItems(r.Context(), items, p.Username, a.remote(r), "upload"); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "imported": len(items)})
	return nil
}
