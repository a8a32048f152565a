package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"ecowatch/auth"
	"ecowatch/plan"
	"ecowatch/store"
)

// The plan feature (issue 11): the work plan's tasks as data, progress
// reports of the lead departments and the cities, their status, overdue
// reports, and the assessment (考核) of every department and city. There
// is no department role: province users report for the provincial
// departments, city users for their own city; province users and admins
// review reports and add a new year's plan.

func init() {
	addFeature(feature{name: "plan", setup: planSetup, routes: planRoutes})
}

var (
	planReaders     = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City}}
	planSupervisors = Access{Roles: []auth.Role{auth.Admin, auth.Province}}
)

func planSetup(a *API) error {
	if a.cfg.Plan != nil {
		return nil
	}
	sq, ok := a.cfg.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("the store has no SQL handle for the plan tables")
	}
	a.cfg.Plan = plan.NewRepo(sq.SQL(), func() time.Time { return a.now() })
	return nil
}

func planRoutes(a *API) []Route {
	rd, wr := auth.ScopePlanRead, auth.ScopePlanWrite
	return []Route{
		{"GET", "/plan/plans", planReaders, rd, "The work plans by year", a.planPlans},
		{"POST", "/plan/plans", planSupervisors, wr, "Add a year's plan from its text or a copy of another year's", a.planAddPlan},
		{"GET", "/plan/tasks", planReaders, rd, "A year's tasks with who is behind on them", a.planTasks},
		{"GET", "/plan/tasks/{id}", planReaders, rd, "A task with its parties' status, reports and links", a.planTask},
		{"POST", "/plan/tasks/{id}/reports", planReaders, wr, "File a progress report", a.planFileReport},
		{"POST", "/plan/tasks/{id}/links", planSupervisors, wr, "Link a task to a target, case source or campaign", a.planAddLink},
		{"GET", "/plan/reports", planReaders, rd, "Progress reports", a.planReports},
		{"POST", "/plan/reports/{id}/review", planSupervisors, wr, "Accept or return a progress report", a.planReview},
		{"GET", "/plan/assessment", planReaders, rd, "Assessment of departments and cities (CSV/XLSX with format=)", a.planAssessment},
		{"GET", "/plan/overdue", planReaders, rd, "Overdue and upcoming progress reports", a.planOverdue},
	}
}

func planActor(r *http.Request, a *API, p auth.Principal) plan.Actor {
	return plan.Actor{Name: p.Username, Remote: a.remote(r)}
}

// planCanSee: province-wide roles see every party; a city officer sees
// its own city's rows only.
func planCanSee(p auth.Principal, party plan.Party) bool {
	prefix, ok := p.RegionPrefix()
	if !ok {
		return false
	}
	if prefix == "" {
		return true
	}
	return party.Kind == plan.PartyCity && p.CanSeeRegion(party.Code)
}

// planYear reads ?year=, defaulting to the newest plan's year.
func (a *API) planYear(ctx context.Context, r *http.Request) (int, error) {
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2100 {
			return 0, &Error{Code: CodeInvalid, Message: "year: want 2000 to 2100", Fields: []FieldError{{"year", "want 2000 to 2100"}}}
		}
		return y, nil
	}
	ps, err := a.cfg.Plan.Plans(ctx)
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		return 0, &Error{Code: CodeNotFound, Message: "no work plan is stored yet (run ecowatch plan seed --year 2020)", MessageZh: "尚未导入工作要点"}
	}
	return ps[0].Year, nil
}

// planAt is the instant statuses are computed at: ?at=YYYY-MM-DD (the end
// of that day, CST) or now.
func (a *API) planAt(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("at")
	if v == "" {
		return a.now(), nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, store.CST)
	if err != nil {
		return t, &Error{Code: CodeInvalid, Message: "at: want YYYY-MM-DD", Fields: []FieldError{{"at", "want YYYY-MM-DD"}}}
	}
	return t.AddDate(0, 0, 1), nil
}

type planState struct {
	year    int
	at      time.Time
	sched   plan.Schedule
	tasks   []plan.TaskRow
	as      []plan.Assignment
	reports []plan.ReportRow
}

func (a *API) planLoad(ctx context.Context, r *http.Request) (*planState, error) {
	year, err := a.planYear(ctx, r)
	if err != nil {
		return nil, err
	}
	at, err := a.planAt(r)
	if err != nil {
		return nil, err
	}
	s := &planState{year: year, at: at}
	if s.sched, err = a.cfg.Plan.Schedule(ctx, year); err != nil {
		return nil, err
	}
	if s.tasks, err = a.cfg.Plan.Tasks(ctx, year); err != nil {
		return nil, err
	}
	if s.as, err = a.cfg.Plan.Assignments(ctx, year); err != nil {
		return nil, err
	}
	if s.reports, err = a.cfg.Plan.Reports(ctx, plan.ReportFilter{Year: year}); err != nil {
		return nil, err
	}
	return s, nil
}

func (a *API) planPlans(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ps, err := a.cfg.Plan.Plans(r.Context())
	if err != nil {
		return err
	}
	return a.writeList(w, r, "plans", ps)
}

func (a *API) planAddPlan(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	var req struct {
		Year     int    `json:"year"`
		Text     string `json:"text"`
		CopyFrom int    `json:"copy_from"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if (req.Text == "") == (req.CopyFrom == 0) {
		return &Error{Code: CodeInvalid, Message: "give either text (the plan document) or copy_from (a year)", Fields: []FieldError{{"text", "text or copy_from"}}}
	}
	text := req.Text
	if req.CopyFrom != 0 {
		var err error
		if text, err = a.cfg.Plan.PlanSource(ctx, req.CopyFrom); err != nil {
			return err
		}
	}
	deps, err := a.cfg.Store.Departments(ctx)
	if err != nil {
		return err
	}
	regions, err := a.cfg.Store.Regions(ctx)
	if err != nil {
		return err
	}
	var links map[string][]plan.Link
	if req.CopyFrom != 0 {
		links = plan.DefaultLinks
	}
	out, err := a.cfg.Plan.CreatePlan(ctx, req.Year, text, deps, regions, links, planActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// PlanPartyStatus is a party's status on a task.
type PlanPartyStatus struct {
	Kind   plan.PartyKind `json:"kind"`
	Code   string         `json:"code"`
	Name   string         `json:"name"`
	Status plan.Status    `json:"status"`
}

// PlanTaskView is a task on the board.
type PlanTaskView struct {
	plan.TaskRow
	Counts map[plan.Status]int `json:"counts"`
	Behind []PlanPartyStatus   `json:"behind"`
}

func (a *API) planTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.planLoad(r.Context(), r)
	if err != nil {
		return err
	}
	reps := plan.AsReports(s.reports)
	views := make([]PlanTaskView, len(s.tasks))
	pos := map[int64]int{}
	for i, t := range s.tasks {
		views[i] = PlanTaskView{TaskRow: t, Counts: map[plan.Status]int{}, Behind: []PlanPartyStatus{}}
		pos[t.ID] = i
	}
	for _, as := range s.as {
		if !planCanSee(p, as.Party) {
			continue
		}
		st := plan.StatusOf(s.sched, as, reps, s.at)
		v := &views[pos[as.TaskID]]
		v.Counts[st]++
		if st == plan.Delayed {
			v.Behind = append(v.Behind, PlanPartyStatus{as.Party.Kind, as.Party.Code, as.Party.Name, st})
		}
	}
	return a.writeList(w, r, "plan-tasks", views)
}

func (a *API) planLoadTask(ctx context.Context, r *http.Request) (plan.TaskRow, error) {
	id, err := pathID(r)
	if err != nil {
		return plan.TaskRow{}, err
	}
	return a.cfg.Plan.Task(ctx, id)
}

func (a *API) planTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	t, err := a.planLoadTask(ctx, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	q.Set("year", strconv.Itoa(t.Year))
	r.URL.RawQuery = q.Encode()
	s, err := a.planLoad(ctx, r)
	if err != nil {
		return err
	}
	reps := plan.AsReports(s.reports)
	parties := []PlanPartyStatus{}
	for _, as := range s.as {
		if as.TaskID == t.ID && planCanSee(p, as.Party) {
			parties = append(parties, PlanPartyStatus{as.Party.Kind, as.Party.Code, as.Party.Name, plan.StatusOf(s.sched, as, reps, s.at)})
		}
	}
	reports := []plan.ReportRow{}
	for _, x := range s.reports {
		if x.TaskID == t.ID && planCanSee(p, plan.Party{Kind: x.PartyKind, Code: x.PartyCode}) {
			reports = append(reports, x)
		}
	}
	links, err := a.cfg.Plan.Links(ctx, t.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": t, "parties": parties, "reports": reports, "links": links, "periods": s.sched.Periods()})
	return nil
}

func (a *API) planFileReport(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	t, err := a.planLoadTask(ctx, r)
	if err != nil {
		return err
	}
	var req struct {
		PartyKind   plan.PartyKind    `json:"party_kind"`
		PartyCode   string            `json:"party_code"`
		Period      string            `json:"period"`
		Status      plan.Status       `json:"status"`
		Percent     int               `json:"percent"`
		Text        string            `json:"text"`
		Attachments []plan.Attachment `json:"attachments"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.PartyKind != plan.PartyCity && req.PartyKind != plan.PartyDepartment {
		return &Error{Code: CodeInvalid, Message: "party_kind: want department or city", Fields: []FieldError{{"party_kind", "want department or city"}}}
	}
	if !planCanSee(p, plan.Party{Kind: req.PartyKind, Code: req.PartyCode}) {
		return forbidden("party " + req.PartyCode)
	}
	out, err := a.cfg.Plan.FileReport(ctx, plan.ReportRow{TaskID: t.ID, PartyKind: req.PartyKind, PartyCode: req.PartyCode, Period: req.Period,
		Status: req.Status, Percent: req.Percent, Text: req.Text, Attachments: req.Attachments}, planActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) planAddLink(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	t, err := a.planLoadTask(ctx, r)
	if err != nil {
		return err
	}
	var l plan.Link
	if err := decodeBody(r, &l); err != nil {
		return err
	}
	l.ID, l.TaskID = 0, t.ID
	out, err := a.cfg.Plan.AddLink(ctx, l, planActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) planReports(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	year, err := a.planYear(ctx, r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := plan.ReportFilter{Year: year, PartyKind: plan.PartyKind(q.Get("party_kind")), PartyCode: q.Get("party_code")}
	if v := q.Get("task"); v != "" {
		if f.TaskID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return &Error{Code: CodeInvalid, Message: "task: want a task id", Fields: []FieldError{{"task", "want an integer"}}}
		}
	}
	rs, err := a.cfg.Plan.Reports(ctx, f)
	if err != nil {
		return err
	}
	out := []plan.ReportRow{}
	for _, x := range rs {
		if planCanSee(p, plan.Party{Kind: x.PartyKind, Code: x.PartyCode}) {
			out = append(out, x)
		}
	}
	return a.writeList(w, r, "plan-reports", out)
}

func (a *API) planReview(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		Accept bool   `json:"accept"`
		Note   string `json:"note"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	out, err := a.cfg.Plan.ReviewReport(r.Context(), id, req.Accept, req.Note, planActor(r, a, p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// PlanAssessmentView is one row of the assessment, flat for export.
type PlanAssessmentView struct {
	Kind          plan.PartyKind `json:"kind"`
	Code          string         `json:"code"`
	Name          string         `json:"name"`
	Tasks         int            `json:"tasks"`
	NotStarted    int            `json:"not_started"`
	OnTrack       int            `json:"on_track"`
	Delayed       int            `json:"delayed"`
	Done          int            `json:"done"`
	ReportsDue    int            `json:"reports_due"`
	ReportsOnTime int            `json:"reports_on_time"`
	ReportsLate   int            `json:"reports_late"`
	ReportsMissed int            `json:"reports_missed"`
	Timeliness    float64        `json:"timeliness"`
	Progress      float64        `json:"progress"`
	Score         float64        `json:"score"`
	Grade         string         `json:"grade"`
	Behind        []string       `json:"behind"` // task keys
}

func (a *API) planAssessment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.planLoad(r.Context(), r)
	if err != nil {
		return err
	}
	keys := map[int64]string{}
	for _, t := range s.tasks {
		keys[t.ID] = t.Key
	}
	kind := r.URL.Query().Get("kind")
	out := []PlanAssessmentView{}
	for _, x := range plan.Assess(s.sched, s.as, plan.AsReports(s.reports), s.at) {
		if !planCanSee(p, x.Party) || (kind != "" && string(x.Party.Kind) != kind) {
			continue
		}
		v := PlanAssessmentView{x.Party.Kind, x.Party.Code, x.Party.Name, x.Tasks, x.NotStarted, x.OnTrack, x.Delayed, x.Done,
			x.ReportsDue, x.ReportsOnTime, x.ReportsLate, x.ReportsMissed, x.Timeliness, x.Progress, x.Score, x.Grade, []string{}}
		for _, id := range x.Behind {
			v.Behind = append(v.Behind, keys[id])
		}
		out = append(out, v)
	}
	return a.writeList(w, r, fmt.Sprintf("assessment-%d", s.year), out)
}

// PlanDueView is an overdue or upcoming report.
type PlanDueView struct {
	TaskID    int64          `json:"task_id"`
	TaskKey   string         `json:"task_key"`
	TaskTitle string         `json:"task_title"`
	Kind      plan.PartyKind `json:"kind"`
	Code      string         `json:"code"`
	Name      string         `json:"name"`
	Period    string         `json:"period"`
	Due       time.Time      `json:"due"`
	Overdue   bool           `json:"overdue"`
	DaysLate  int            `json:"days_late"`
}

func (a *API) planOverdue(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.planLoad(r.Context(), r)
	if err != nil {
		return err
	}
	days := 15
	if v := r.URL.Query().Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 0 || days > 366 {
			return &Error{Code: CodeInvalid, Message: "days: want 0 to 366", Fields: []FieldError{{"days", "want 0 to 366"}}}
		}
	}
	var vis []plan.Assignment
	for _, as := range s.as {
		if planCanSee(p, as.Party) {
			vis = append(vis, as)
		}
	}
	reps := plan.AsReports(s.reports)
	ds := append(plan.Overdue(s.sched, vis, reps, s.at), plan.Upcoming(s.sched, vis, reps, s.at, time.Duration(days)*24*time.Hour)...)
	tasks := map[int64]plan.TaskRow{}
	for _, t := range s.tasks {
		tasks[t.ID] = t
	}
	out := make([]PlanDueView, 0, len(ds))
	for _, d := range ds {
		t := tasks[d.TaskID]
		out = append(out, PlanDueView{d.TaskID, t.Key, t.Title, d.Party.Kind, d.Party.Code, d.Party.Name, d.Period, d.Due.In(store.CST), d.Overdue, d.DaysLate})
	}
	return a.writeList(w, r, fmt.Sprintf("overdue-%d", s.year), out)
}
