package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/emergency"
	"ecowatch/registry"
	"ecowatch/store"
)

// The emergency feature (issue 11, work plan §20–§24): risk sources and
// their level history, sensitive receptors, hazard-check campaigns whose
// hazards become rectification cases, emergency plans with filing, review
// and drills, experts, material stores and teams, and incidents with their
// timeline and the map of what is around them. Everything is scoped by
// region: a city officer sees and registers only inside the city.

func init() {
	addFeature(feature{name: "emergency", setup: emergencySetup, routes: emergencyRoutes})
	statusOf[emergencyCodeUnavailable] = http.StatusServiceUnavailable
	zh[emergencyCodeUnavailable] = "该功能暂不可用"
}

// emergencyCodeUnavailable answers an action that needs a feature this
// process does not run (opening a case before the cases feature is set up).
const emergencyCodeUnavailable = "unavailable"

var (
	emergencyReaders = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}}
	emergencyWriters = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City}}
	emergencyReview  = Access{Roles: []auth.Role{auth.Admin, auth.Province}}
)

func emergencySetup(a *API) error {
	if a.cfg.Emergency != nil {
		return nil
	}
	sq, ok := a.cfg.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("the store has no SQL handle for the emergency tables")
	}
	// The clock is read through a.now at each call, so a test that sets
	// it later still controls the repository's times.
	a.cfg.Emergency = emergency.NewRepo(sq.SQL(), func() time.Time { return a.now() })
	return nil
}

func emergencyRoutes(a *API) []Route {
	rd, wr := auth.ScopeEmergencyRead, auth.ScopeEmergencyWrite
	return []Route{
		{"GET", "/emergency/checklists", emergencyReaders, rd, "Risk-source kinds with their hazard-check checklists", a.emergencyChecklists},
		{"GET", "/emergency/risk-sources", emergencyReaders, rd, "Risk sources (filter kind, level, region)", a.emergencySources},
		{"POST", "/emergency/risk-sources", emergencyWriters, wr, "Register a risk source", a.emergencyAddSource},
		{"GET", "/emergency/risk-sources/{id}", emergencyReaders, rd, "A risk source with level history, hazards and nearby receptors", a.emergencySource},
		{"POST", "/emergency/risk-sources/{id}/level", emergencyWriters, wr, "Reassess a risk source's level", a.emergencyReassess},
		{"GET", "/emergency/receptors", emergencyReaders, rd, "Sensitive receptors", a.emergencyReceptors},
		{"POST", "/emergency/receptors", emergencyWriters, wr, "Register a sensitive receptor", a.emergencyAddReceptor},
		{"GET", "/emergency/resources", emergencyReaders, rd, "Experts, material stores and response teams", a.emergencyResources},
		{"POST", "/emergency/resources", emergencyWriters, wr, "Register an expert, store or team", a.emergencyAddResource},
		{"GET", "/emergency/campaigns", emergencyReaders, rd, "Hazard-check campaigns", a.emergencyCampaigns},
		{"POST", "/emergency/campaigns", emergencyWriters, wr, "Start a hazard-check campaign", a.emergencyAddCampaign},
		{"GET", "/emergency/campaigns/{id}", emergencyReaders, rd, "A campaign with its checks", a.emergencyCampaign},
		{"POST", "/emergency/campaigns/{id}/checks", emergencyReaders, wr, "Record a source's check results; hazards become cases", a.emergencyRecordCheck},
		{"POST", "/emergency/hazards/{id}/case", emergencyReaders, wr, "Open a rectification case for a hazard", a.emergencyHazardCase},
		{"POST", "/emergency/hazards/{id}/resolve", emergencyWriters, wr, "Mark a hazard rectified", a.emergencyResolveHazard},
		{"GET", "/emergency/plans", emergencyReaders, rd, "Emergency plans with versions and drills", a.emergencyPlans},
		{"POST", "/emergency/plans", emergencyWriters, wr, "Register an emergency plan", a.emergencyAddPlan},
		{"POST", "/emergency/plans/{id}/versions", emergencyWriters, wr, "File a new version of a plan", a.emergencyFileVersion},
		{"POST", "/emergency/plans/{id}/review", emergencyReview, wr, "Approve or return a filed version", a.emergencyReviewVersion},
		{"POST", "/emergency/plans/{id}/drills", emergencyWriters, wr, "Record a drill", a.emergencyAddDrill},
		{"GET", "/emergency/reminders", emergencyReaders, rd, "Plan revisions and drills due", a.emergencyReminders},
		{"GET", "/emergency/incidents", emergencyReaders, rd, "Incidents (state=open for the command centre)", a.emergencyIncidents},
		{"POST", "/emergency/incidents", emergencyReaders, wr, "Report an incident", a.emergencyReport},
		{"GET", "/emergency/incidents/{id}", emergencyReaders, rd, "An incident with its timeline", a.emergencyIncident},
		{"GET", "/emergency/incidents/{id}/around", emergencyReaders, rd, "What is around an incident and who to call", a.emergencyAround},
		{"POST", "/emergency/incidents/{id}/actions", emergencyReaders, wr, "Add to an incident's timeline (and re-grade)", a.emergencyAction},
		{"POST", "/emergency/incidents/{id}/close", emergencyWriters, wr, "Close an incident with its closing report", a.emergencyClose},
	}
}

func emergencyActor(r *http.Request, a *API, p auth.Principal) emergency.Actor {
	return emergency.Actor{Name: p.Username, Remote: a.remote(r)}
}

// emergencyPrefix is the region prefix a principal reads, narrowed by a
// ?region= filter inside it.
func emergencyPrefix(r *http.Request, p auth.Principal) (string, error) {
	prefix, ok := p.RegionPrefix()
	if !ok {
		return "", forbidden("emergency data")
	}
	if q := r.URL.Query().Get("region"); q != "" {
		if _, err := registry.LevelOf(q); err != nil {
			return "", &Error{Code: CodeInvalid, Message: "region: want a GB/T 2260 code", Fields: []FieldError{{"region", "want six digits"}}}
		}
		if !p.CanSeeRegion(q) {
			return "", forbidden("region " + q)
		}
		q = emergency.RegionPrefix(q)
		if len(q) > len(prefix) {
			prefix = q
		}
	}
	return prefix, nil
}

// emergencyCanWrite: a change is made inside the principal's region.
func emergencyCanWrite(p auth.Principal, region string) error {
	if !p.CanSeeRegion(region) {
		return forbidden("region " + region)
	}
	return nil
}

func emergencyCreated(w http.ResponseWriter, v any) error {
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) emergencyChecklists(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	type kindView struct {
		Kind      emergency.Kind        `json:"kind"`
		Name      string                `json:"name"`
		Checklist []emergency.CheckItem `json:"checklist"`
	}
	var out []kindView
	for _, k := range emergency.Kinds {
		out = append(out, kindView{k, emergency.KindNames[k], emergency.Checklists[k]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"kinds": out, "receptor_kinds": emergency.ReceptorKinds, "resource_kinds": emergency.ResourceKinds})
	return nil
}

func (a *API) emergencySources(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := emergency.SourceFilter{RegionPrefix: prefix}
	if k := q.Get("kind"); k != "" {
		if f.Kind, err = emergency.ParseKind(k); err != nil {
			return err
		}
	}
	if l := q.Get("level"); l != "" {
		if f.Level, err = emergency.ParseLevel(l); err != nil {
			return err
		}
	}
	ss, err := a.cfg.Emergency.Sources(r.Context(), f)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "risk-sources", ss)
}

func (a *API) emergencyAddSource(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var s emergency.RiskSource
	if err := decodeBody(r, &s); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, s.RegionCode); err != nil {
		return err
	}
	s.ID, s.Q = 0, nil
	out, err := a.cfg.Emergency.AddSource(r.Context(), s, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, out)
}

func (a *API) emergencyLoadSource(ctx context.Context, r *http.Request, p auth.Principal) (emergency.RiskSource, error) {
	id, err := pathID(r)
	if err != nil {
		return emergency.RiskSource{}, err
	}
	s, err := a.cfg.Emergency.Source(ctx, id)
	if err != nil {
		return s, err
	}
	if !p.CanSeeRegion(s.RegionCode) {
		return s, forbidden("risk source")
	}
	return s, nil
}

func (a *API) emergencySource(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	s, err := a.emergencyLoadSource(ctx, r, p)
	if err != nil {
		return err
	}
	hist, err := a.cfg.Emergency.LevelHistory(ctx, s.ID)
	if err != nil {
		return err
	}
	hs, err := a.cfg.Emergency.Hazards(ctx, s.ID)
	if err != nil {
		return err
	}
	around, err := a.emergencyAroundOf(ctx, s.Lat, s.Lon, 5, 3)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"source": s, "history": hist, "hazards": hs,
		"receptors": around.Receptors, "water_sections": around.WaterSections})
	return nil
}

func (a *API) emergencyReassess(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	s, err := a.emergencyLoadSource(ctx, r, p)
	if err != nil {
		return err
	}
	var req struct {
		Level emergency.Level `json:"level"`
		Basis string          `json:"basis"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.Reassess(ctx, s.ID, req.Level, req.Basis, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) emergencyReceptors(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	xs, err := a.cfg.Emergency.Receptors(r.Context(), prefix)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "receptors", xs)
}

func (a *API) emergencyAddReceptor(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var x emergency.Receptor
	if err := decodeBody(r, &x); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, x.RegionCode); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.AddReceptor(r.Context(), x, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, out)
}

func (a *API) emergencyResources(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != "expert" && kind != "store" && kind != "team" {
		return &Error{Code: CodeInvalid, Message: "kind: want expert, store or team", Fields: []FieldError{{"kind", "want expert, store or team"}}}
	}
	xs, err := a.cfg.Emergency.Resources(r.Context(), kind, prefix)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "emergency-resources", xs)
}

func (a *API) emergencyAddResource(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var x emergency.Resource
	if err := decodeBody(r, &x); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, x.RegionCode); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.AddResource(r.Context(), x, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, out)
}

func (a *API) emergencyCampaigns(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, ok := p.RegionPrefix()
	if !ok {
		return forbidden("campaigns")
	}
	cs, err := a.cfg.Emergency.Campaigns(r.Context())
	if err != nil {
		return err
	}
	// A campaign is visible when its region and the principal's overlap:
	// a city sees the province's campaigns and its own.
	var out []emergency.Campaign
	for _, c := range cs {
		if emergencyOverlaps(c.RegionCode, prefix) {
			out = append(out, c)
		}
	}
	return a.writeList(w, r, "campaigns", out)
}

// emergencyOverlaps: a campaign's region and a reader's region prefix
// overlap when one contains the other (a city sees the province's
// campaign, for its own sources, and its counties' campaigns).
func emergencyOverlaps(region, prefix string) bool {
	cp := emergency.RegionPrefix(region)
	return strings.HasPrefix(cp, prefix) || strings.HasPrefix(prefix, cp)
}

func (a *API) emergencyAddCampaign(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name       string           `json:"name"`
		Kinds      []emergency.Kind `json:"kinds"`
		RegionCode string           `json:"region_code"`
		Start      time.Time        `json:"start"`
		Due        time.Time        `json:"due"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, req.RegionCode); err != nil {
		return err
	}
	c, err := a.cfg.Emergency.CreateCampaign(r.Context(), emergency.Campaign{Name: req.Name, Kinds: req.Kinds, RegionCode: req.RegionCode, Start: req.Start, Due: req.Due},
		emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, c)
}

func (a *API) emergencyCampaign(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	prefix, ok := p.RegionPrefix()
	if !ok {
		return forbidden("campaign")
	}
	c, err := a.cfg.Emergency.Campaign(r.Context(), id)
	if err != nil {
		return err
	}
	if !emergencyOverlaps(c.RegionCode, prefix) {
		return forbidden("campaign")
	}
	checks, err := a.cfg.Emergency.Checks(r.Context(), id, prefix)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaign": c, "checks": checks})
	return nil
}

func (a *API) emergencyRecordCheck(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		SourceID  int64              `json:"source_id"`
		Inspector string             `json:"inspector"`
		Results   []emergency.Result `json:"results"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	s, err := a.cfg.Emergency.Source(ctx, req.SourceID)
	if err != nil {
		return err
	}
	if !p.CanSeeRegion(s.RegionCode) {
		return forbidden("risk source")
	}
	if req.Inspector == "" {
		req.Inspector = p.Username
	}
	act := emergencyActor(r, a, p)
	hs, err := a.cfg.Emergency.RecordCheck(ctx, id, s.ID, req.Inspector, req.Results, act)
	if err != nil {
		return err
	}
	// Each hazard becomes a rectification case when the cases feature
	// runs; otherwise the hazards wait for POST /emergency/hazards/{id}/case.
	note := ""
	for i := range hs {
		if a.cfg.Cases == nil {
			note = "rectification cases are not available in this process; open them later with POST /emergency/hazards/{id}/case"
			break
		}
		cid, err := a.emergencyOpenCase(ctx, r, p, s, hs[i])
		if err != nil {
			return err
		}
		hs[i].CaseID = cid
	}
	if hs == nil {
		hs = []emergency.HazardRow{}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"hazards": hs, "note": note})
	return nil
}

func (a *API) emergencyOpenCase(ctx context.Context, r *http.Request, p auth.Principal, s emergency.RiskSource, h emergency.HazardRow) (int64, error) {
	sev := "medium"
	if h.Critical {
		sev = "high"
	}
	cid, err := a.cfg.Cases.OpenCase(ctx, CaseRequest{Source: "hazard", SourceRef: "hazard:" + strconv.FormatInt(h.ID, 10),
		Title: s.Name + "：" + h.Item, Description: h.Note, Category: s.Kind.CaseCategory(), Severity: sev, RegionCode: s.RegionCode,
		EnterpriseCode: s.EnterpriseCode, Deadline: a.now().AddDate(0, 1, 0), Actor: p.Username, Remote: a.remote(r)})
	if err != nil {
		return 0, err
	}
	return cid, a.cfg.Emergency.SetHazardCase(ctx, h.ID, cid, emergencyActor(r, a, p))
}

func (a *API) emergencyLoadHazard(ctx context.Context, r *http.Request, p auth.Principal) (emergency.HazardRow, emergency.RiskSource, error) {
	id, err := pathID(r)
	if err != nil {
		return emergency.HazardRow{}, emergency.RiskSource{}, err
	}
	h, err := a.cfg.Emergency.Hazard(ctx, id)
	if err != nil {
		return h, emergency.RiskSource{}, err
	}
	s, err := a.cfg.Emergency.Source(ctx, h.SourceID)
	if err != nil {
		return h, s, err
	}
	if !p.CanSeeRegion(s.RegionCode) {
		return h, s, forbidden("hazard")
	}
	return h, s, nil
}

func (a *API) emergencyHazardCase(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	h, s, err := a.emergencyLoadHazard(ctx, r, p)
	if err != nil {
		return err
	}
	if a.cfg.Cases == nil {
		return &Error{Code: emergencyCodeUnavailable, Message: "rectification cases are not available: the cases feature is not set up in this process",
			MessageZh: "整改案件功能尚未启用，暂时无法立案"}
	}
	cid, err := a.emergencyOpenCase(ctx, r, p, s, h)
	if err != nil {
		return err
	}
	h.CaseID = cid
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (a *API) emergencyResolveHazard(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	h, _, err := a.emergencyLoadHazard(ctx, r, p)
	if err != nil {
		return err
	}
	out, err := a.cfg.Emergency.ResolveHazard(ctx, h.ID, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) emergencyPlans(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	ps, err := a.cfg.Emergency.Plans(r.Context(), prefix)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "emergency-plans", ps)
}

func (a *API) emergencyAddPlan(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var x emergency.EmPlan
	if err := decodeBody(r, &x); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, x.RegionCode); err != nil {
		return err
	}
	if x.SourceID != 0 {
		s, err := a.cfg.Emergency.Source(r.Context(), x.SourceID)
		if err != nil {
			return err
		}
		if !p.CanSeeRegion(s.RegionCode) {
			return forbidden("risk source")
		}
	}
	out, err := a.cfg.Emergency.AddPlan(r.Context(), x, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, out)
}

func (a *API) emergencyLoadPlan(ctx context.Context, r *http.Request, p auth.Principal) (emergency.EmPlan, error) {
	id, err := pathID(r)
	if err != nil {
		return emergency.EmPlan{}, err
	}
	x, err := a.cfg.Emergency.Plan(ctx, id)
	if err != nil {
		return x, err
	}
	if !p.CanSeeRegion(x.RegionCode) {
		return x, forbidden("emergency plan")
	}
	return x, nil
}

func (a *API) emergencyFileVersion(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	x, err := a.emergencyLoadPlan(r.Context(), r, p)
	if err != nil {
		return err
	}
	var req struct {
		Summary string `json:"summary"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	v, err := a.cfg.Emergency.FileVersion(r.Context(), x.ID, req.Summary, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, v)
}

func (a *API) emergencyReviewVersion(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	x, err := a.emergencyLoadPlan(r.Context(), r, p)
	if err != nil {
		return err
	}
	var req struct {
		Version int    `json:"version"`
		Approve bool   `json:"approve"`
		Note    string `json:"note"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	v, err := a.cfg.Emergency.ReviewVersion(r.Context(), x.ID, req.Version, req.Approve, req.Note, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) emergencyAddDrill(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	x, err := a.emergencyLoadPlan(r.Context(), r, p)
	if err != nil {
		return err
	}
	var d emergency.Drill
	if err := decodeBody(r, &d); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.AddDrill(r.Context(), x.ID, d, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, out)
}

func (a *API) emergencyReminders(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	ps, err := a.cfg.Emergency.Plans(r.Context(), prefix)
	if err != nil {
		return err
	}
	days := 90
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 0 || days > 3650 {
			return &Error{Code: CodeInvalid, Message: "days: want 0 to 3650", Fields: []FieldError{{"days", "want 0 to 3650"}}}
		}
	}
	rs := emergency.Reminders(emergency.States(ps), a.now(), time.Duration(days)*24*time.Hour)
	return a.writeList(w, r, "emergency-reminders", rs)
}

func (a *API) emergencyIncidents(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, err := emergencyPrefix(r, p)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	if state != "" && state != "open" && state != "closed" {
		return &Error{Code: CodeInvalid, Message: "state: want open or closed", Fields: []FieldError{{"state", "want open or closed"}}}
	}
	xs, err := a.cfg.Emergency.Incidents(r.Context(), prefix, state)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "incidents", xs)
}

func (a *API) emergencyReport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Title       string          `json:"title"`
		Description string          `json:"description"`
		RegionCode  string          `json:"region_code"`
		Lon         float64         `json:"lon"`
		Lat         float64         `json:"lat"`
		Occurred    time.Time       `json:"occurred"`
		SourceID    int64           `json:"source_id"`
		Facts       emergency.Facts `json:"facts"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := emergencyCanWrite(p, req.RegionCode); err != nil {
		return err
	}
	if req.SourceID != 0 {
		s, err := a.cfg.Emergency.Source(r.Context(), req.SourceID)
		if err != nil {
			return err
		}
		if !p.CanSeeRegion(s.RegionCode) {
			return forbidden("risk source")
		}
	}
	in, err := a.cfg.Emergency.ReportIncident(r.Context(), emergency.Incident{Title: req.Title, Description: req.Description, RegionCode: req.RegionCode,
		Lon: req.Lon, Lat: req.Lat, Occurred: req.Occurred, SourceID: req.SourceID, Facts: req.Facts}, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	return emergencyCreated(w, in)
}

func (a *API) emergencyLoadIncident(ctx context.Context, r *http.Request, p auth.Principal) (emergency.Incident, error) {
	id, err := pathID(r)
	if err != nil {
		return emergency.Incident{}, err
	}
	in, err := a.cfg.Emergency.Incident(ctx, id)
	if err != nil {
		return in, err
	}
	if !p.CanSeeRegion(in.RegionCode) {
		return in, forbidden("incident")
	}
	return in, nil
}

func (a *API) emergencyIncident(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := a.emergencyLoadIncident(r.Context(), r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// emergencyAroundOf gathers everything around a place. Resources and
// places are read province-wide on purpose: whoever may see an incident
// must see the nearest expert or store even across a city boundary
// (mutual aid), and the radius keeps the rest local.
func (a *API) emergencyAroundOf(ctx context.Context, lat, lon, radius float64, n int) (emergency.Around, error) {
	srcs, err := a.cfg.Emergency.Sources(ctx, emergency.SourceFilter{})
	if err != nil {
		return emergency.Around{}, err
	}
	res, err := a.cfg.Emergency.Resources(ctx, "", "")
	if err != nil {
		return emergency.Around{}, err
	}
	recs, err := a.cfg.Emergency.Receptors(ctx, "")
	if err != nil {
		return emergency.Around{}, err
	}
	s, err := a.snap(ctx)
	if err != nil {
		return emergency.Around{}, err
	}
	return emergency.AroundOf(lat, lon, radius, n, srcs, res, recs, s.pointList), nil
}

func (a *API) emergencyAround(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	in, err := a.emergencyLoadIncident(ctx, r, p)
	if err != nil {
		return err
	}
	radius := 10.0
	if v := r.URL.Query().Get("radius_km"); v != "" {
		if radius, err = strconv.ParseFloat(v, 64); err != nil || radius <= 0 || radius > 200 {
			return &Error{Code: CodeInvalid, Message: "radius_km: want more than 0, at most 200", Fields: []FieldError{{"radius_km", "want (0, 200]"}}}
		}
	}
	ar, err := a.emergencyAroundOf(ctx, in.Lat, in.Lon, radius, 5)
	if err != nil {
		return err
	}
	// Live data: the latest hourly AQI of the air stations nearby.
	live := map[string]LatestAQI{}
	if air, err := a.air(ctx); err == nil {
		for _, pt := range ar.Points {
			if v, ok := air.stations[pt.Ref]; ok {
				live[pt.Ref] = v
			}
		}
	}
	values, err := a.emergencyLiveValues(ctx, p, append(slices.Clone(ar.Points), ar.WaterSections...))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": in, "around": ar, "live": live, "live_values": values})
	return nil
}

// emergencyLiveMax bounds the points whose values one map reads (a query
// per factor and kind): the nearest few are what an officer looks at.
const emergencyLiveMax = 6

// EmergencyLiveValue is the latest value of one factor at a point near an
// incident.
type EmergencyLiveValue struct {
	Factor string    `json:"factor"`
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Kind   string    `json:"kind"`
	Time   time.Time `json:"time"`
	Value  float64   `json:"value"`
	Flag   string    `json:"flag"`
}

// emergencyLiveValues reads the latest value of every factor at the
// nearest points the principal may see (an enterprise's outlet values stay
// with whoever sees the enterprise): real-time data of the last hour,
// else hourly data of the last two days.
func (a *API) emergencyLiveValues(ctx context.Context, p auth.Principal, near []emergency.Place) (map[string][]EmergencyLiveValue, error) {
	s, err := a.snap(ctx)
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := map[string][]EmergencyLiveValue{}
	for _, pl := range near {
		if len(out) >= emergencyLiveMax {
			break
		}
		pt, ok := s.points[pl.Ref]
		if !ok || !s.canSeePoint(p, pt) || pt.Kind == registry.KindAirStation {
			continue // air stations have their AQI in "live"
		}
		var vals []EmergencyLiveValue
		for _, f := range pt.Factors {
			for _, k := range []struct {
				kind store.Kind
				back time.Duration
			}{{store.RealTime, time.Hour}, {store.Hour, 48 * time.Hour}} {
				ms, err := a.cfg.Store.Measurements(ctx, store.MeasurementQuery{Point: pt.Code, Factor: f.Code, Kind: k.kind, From: now.Add(-k.back), To: now.Add(time.Hour)})
				if err != nil {
					return nil, err
				}
				if len(ms) == 0 {
					continue
				}
				sv := sample(ms[len(ms)-1])
				if sv.Value != nil {
					vals = append(vals, EmergencyLiveValue{Factor: f.Code, Name: f.Name, Unit: f.Unit, Kind: k.kind.String(), Time: sv.Time, Value: *sv.Value, Flag: sv.Flag})
				}
				break
			}
		}
		out[pt.Code] = vals
	}
	return out, nil
}

func (a *API) emergencyAction(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := a.emergencyLoadIncident(r.Context(), r, p)
	if err != nil {
		return err
	}
	var req struct {
		Text  string           `json:"text"`
		Facts *emergency.Facts `json:"facts"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.AddAction(r.Context(), in.ID, req.Text, req.Facts, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) emergencyClose(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	in, err := a.emergencyLoadIncident(r.Context(), r, p)
	if err != nil {
		return err
	}
	var req struct {
		Report string `json:"closing_report"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	out, err := a.cfg.Emergency.CloseIncident(r.Context(), in.ID, req.Report, emergencyActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
