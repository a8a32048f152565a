package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/inspect"
	"ecowatch/inspect/inspectstore"
	"ecowatch/store"
)

// Random inspections (双随机、一公开, issue 10): the inspector pool, draws
// in two steps (freeze: pool snapshots hashed and the hashes public; run:
// the seed and the result), tasks per officer, inspection records with a
// checklist, findings and attachments, remote-enforcement leads,
// statistics, and the public results.
//
// What is public when: a draw's plan, pool hashes and seed are public at
// once (so that the draw is committed before anyone can check it); its
// result and pool snapshots, from which anyone could recompute which
// enterprises are drawn, only once its period has ended or all its tasks
// are done, so that the enterprises are not told in advance. Completed
// random inspections are public with their enterprise, date, outcome and
// follow-up only.

func init() {
	addFeature(feature{name: "inspections", setup: inspectionsSetup, routes: inspectionsRoutes})
	// The enterprise's completed random inspections on its public
	// compliance page (open data), with the public fields only.
	addOpendataEnterprisePart(opendataPart{name: "inspections", read: inspectionsOpenPart})
}

func inspectionsOpenPart(a *API, r *http.Request, creditCode string) (any, error) {
	ts, err := a.inspections.repo.Tasks(r.Context(), inspectstore.TaskFilter{CreditCode: creditCode, Source: inspect.SourceRandom, State: inspect.TaskDone})
	if err != nil {
		return nil, err
	}
	out := []inspect.PublicResult{}
	for _, t := range ts {
		if pr, ok := t.Public(); ok {
			out = append(out, pr)
		}
	}
	return out, nil
}

// inspectionsState is the feature's services.
type inspectionsState struct {
	repo *inspectstore.Repo
	// evidence gives the focus group's counts; the online-data one until
	// the alarm and case features provide theirs.
	evidence inspectstore.EvidenceSource
}

func inspectionsSetup(a *API) error {
	sq, ok := a.cfg.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("store %T has no SQL handle", a.cfg.Store)
	}
	a.inspections = &inspectionsState{repo: inspectstore.New(sq.SQL(), a.now),
		evidence: inspectstore.LeadCounts{Store: a.cfg.Store, Now: a.now}}
	return nil
}

var (
	inspectionsSupervisors = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City}}
	inspectionsOfficers    = Access{Roles: []auth.Role{auth.Enforcement}}
)

func inspectionsRoutes(a *API) []Route {
	rd, wr := auth.ScopeInspectRead, auth.ScopeInspectWrite
	return []Route{
		{"GET", "/inspections/officers", inspectionsSupervisors, rd, "The inspector pool", a.inspectionsOfficers},
		{"PUT", "/inspections/officers/{username}", inspectionsSupervisors, wr, "Add or change an officer of the inspector pool", a.inspectionsPutOfficer},
		{"GET", "/inspections/draws", operators, rd, "Draws of random inspections", a.inspectionsDraws},
		{"POST", "/inspections/draws", inspectionsSupervisors, wr, "Freeze the pools of a planned draw and publish their hashes", a.inspectionsFreeze},
		{"GET", "/inspections/draws/{id}", operators, rd, "A draw with its plan, hashes, seed and result", a.inspectionsDraw},
		{"POST", "/inspections/draws/{id}/run", inspectionsSupervisors, wr, "Draw a frozen draw with a generated or external seed", a.inspectionsRun},
		{"GET", "/inspections/draws/{id}/record", operators, rd, "The verifiable record of a draw (for ecowatch inspect verify-draw)", a.inspectionsRecord},
		{"GET", "/inspections/draws/{id}/snapshots/{pool}", operators, rd, "A draw's pool snapshot, byte for byte as hashed", a.inspectionsSnapshot},
		{"GET", "/inspections/tasks", operators, rd, "Inspection tasks (an officer's own; by region for supervisors)", a.inspectionsTasks},
		{"POST", "/inspections/tasks", inspectionsSupervisors, wr, "Create a targeted or remote inspection task", a.inspectionsCreateTask},
		{"GET", "/inspections/tasks/{id}", operators, rd, "A task with its checklist and record", a.inspectionsTask},
		{"POST", "/inspections/tasks/{id}/attachments", inspectionsOfficers, wr, "Attach a photo or PDF to a task (raw body)", a.inspectionsAttach},
		{"GET", "/inspections/attachments/{id}", operators, rd, "An attachment's file", a.inspectionsAttachment},
		{"POST", "/inspections/tasks/{id}/complete", inspectionsOfficers, wr, "Record the inspection: checklist, findings, outcome, time spent", a.inspectionsComplete},
		{"POST", "/inspections/tasks/{id}/case", operators, wr, "Open the rectification case of a task's findings", a.inspectionsOpenCase},
		{"GET", "/inspections/notifications", inspectionsOfficers, rd, "The officer's notifications", a.inspectionsNotifications},
		{"POST", "/inspections/notifications/read", inspectionsOfficers, wr, "Mark the officer's notifications read", a.inspectionsMarkRead},
		{"GET", "/inspections/leads", operators, rd, "Remote-enforcement leads ranked by evidence from online data", a.inspectionsLeads},
		{"GET", "/inspections/stats", inspectionsSupervisors, rd, "Coverage, inspections per officer and findings rates (CSV with table=…)", a.inspectionsStats},
		{"GET", "/inspections/public/results", anyone, "", "Completed random inspections (public fields only)", a.inspectionsPublicResults},
		{"GET", "/inspections/public/draws", anyone, "", "Draw records with pool hashes and seed", a.inspectionsPublicDraws},
		{"GET", "/inspections/public/draws/{id}", anyone, "", "A public draw record; result and snapshots once published", a.inspectionsPublicDraw},
		{"GET", "/inspections/public/draws/{id}/snapshots/{pool}", anyone, "", "A published pool snapshot", a.inspectionsPublicSnapshot},
	}
}

func inspectionsActor(a *API, r *http.Request, p auth.Principal) inspectstore.Actor {
	return inspectstore.Actor{Name: p.Username, Remote: a.remote(r)}
}

func inspectionsID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(CodeInvalid, "%s %q: want a positive integer", name, r.PathValue(name))
	}
	return id, nil
}

// inspectionsErr maps the domain's errors: a refusal and bad input are
// 422, someone not on the team 403.
func inspectionsErr(err error) error {
	var rf *inspect.Refusal
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rf):
		return &Error{Code: CodeInvalid, Message: err.Error(), MessageZh: "抽查方案无法满足：" + rf.Reason, Fields: []FieldError{{"plan", rf.Code}}, cause: err}
	case errors.Is(err, inspectstore.ErrNotOfficer):
		return &Error{Code: CodeForbidden, Message: err.Error(), MessageZh: "只有检查组成员可以操作该任务", cause: err}
	case errors.Is(err, inspect.ErrInvalid):
		return &Error{Code: CodeInvalid, Message: err.Error(), cause: err}
	}
	return err
}

// inspectionsUnavailable answers 503 in the API's error shape.
func inspectionsUnavailable(w http.ResponseWriter, msg, zhMsg string) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": &Error{Code: "unavailable", Message: msg, MessageZh: zhMsg}})
}

// inspectionsCanSeeDraw: a region's supervisors and officers see its
// draws, and those of the regions above that cover it.
func inspectionsCanSeeDraw(p auth.Principal, region string) bool {
	return p.CanSeeRegion(region) || (p.Region != "" && (p.Role == auth.City || p.Role == auth.Enforcement) && inspect.InRegion(p.Region, region))
}

func (a *API) inspectionsOfficers(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, _ := p.RegionPrefix()
	os, err := a.inspections.repo.Officers(r.Context(), prefix)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "officers", os)
}

func (a *API) inspectionsPutOfficer(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var o inspect.Officer
	if err := decodeBody(r, &o); err != nil {
		return err
	}
	o.ID = r.PathValue("username")
	if !p.CanSeeRegion(o.Region) {
		return errorf(CodeForbidden, "region %q is outside yours", o.Region)
	}
	if err := a.inspections.repo.UpsertOfficer(r.Context(), inspectionsActor(a, r, p), o); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (a *API) inspectionsDraws(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ds, err := a.inspections.repo.Draws(r.Context(), "")
	if err != nil {
		return err
	}
	out := []inspectstore.DrawRow{}
	for _, d := range ds {
		if inspectionsCanSeeDraw(p, d.Region) {
			out = append(out, d)
		}
	}
	return a.writeList(w, r, "draws", out)
}

func (a *API) inspectionsFreeze(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Plan     inspect.Plan `json:"plan"`
		RedrawOf int64        `json:"redraw_of"`
		Reason   string       `json:"reason"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.Plan.Validate(); err != nil {
		return inspectionsErr(err)
	}
	if !p.CanSeeRegion(req.Plan.Region) {
		return errorf(CodeForbidden, "region %s is outside yours", req.Plan.Region)
	}
	ctx, now := r.Context(), a.now()
	ep, err := a.inspections.repo.EnterprisePool(ctx, a.cfg.Store, req.Plan.Region, now, a.inspections.evidence)
	if err != nil {
		return err
	}
	op, err := a.inspections.repo.OfficerPool(ctx, req.Plan.Region, now)
	if err != nil {
		return err
	}
	d, err := a.inspections.repo.Freeze(ctx, inspectionsActor(a, r, p), req.Plan, ep, op, req.RedrawOf, req.Reason)
	if err != nil {
		return inspectionsErr(err)
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

// inspectionsLoad loads a draw the principal may see.
func (a *API) inspectionsLoad(ctx context.Context, r *http.Request, p auth.Principal) (inspectstore.DrawRow, error) {
	id, err := inspectionsID(r, "id")
	if err != nil {
		return inspectstore.DrawRow{}, err
	}
	d, err := a.inspections.repo.Draw(ctx, id)
	if err != nil {
		return d, err
	}
	if !inspectionsCanSeeDraw(p, d.Region) {
		return d, errorf(CodeForbidden, "draw %d of region %s is outside yours", id, d.Region)
	}
	return d, nil
}

func (a *API) inspectionsDraw(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := a.inspectionsLoad(r.Context(), r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) inspectionsRun(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		// Seed is an external seed (e.g. a lottery result published after
		// the freeze); empty generates 128 random bits.
		Seed string `json:"seed"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	d, err := a.inspectionsLoad(r.Context(), r, p)
	if err != nil {
		return err
	}
	if !p.CanSeeRegion(d.Region) {
		return errorf(CodeForbidden, "draw %d of region %s is outside yours", d.ID, d.Region)
	}
	seed, source := strings.TrimSpace(req.Seed), "external"
	if seed == "" {
		seed, source = inspectstore.NewSeed(), "generated"
	}
	d, err = a.inspections.repo.Run(r.Context(), inspectionsActor(a, r, p), d.ID, seed, source)
	if err != nil {
		return inspectionsErr(err)
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) inspectionsRecord(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := a.inspectionsLoad(r.Context(), r, p)
	if err != nil {
		return err
	}
	if d.State != inspectstore.StateDrawn {
		return errorf(CodeConflict, "draw %d is %s: there is no result to verify", d.ID, d.State)
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="draw-%d-record.json"`, d.ID))
	writeJSON(w, http.StatusOK, d.Record())
	return nil
}

func (a *API) inspectionsWriteSnapshot(w http.ResponseWriter, r *http.Request, id int64) error {
	pool := r.PathValue("pool")
	if pool != "enterprises" && pool != "officers" {
		return errorf(CodeNotFound, "pool %q: want enterprises or officers", pool)
	}
	eb, ob, err := a.inspections.repo.Snapshots(r.Context(), id)
	if err != nil {
		return err
	}
	b := eb
	if pool == "officers" {
		b = ob
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="draw-%d-%s.json"`, id, pool))
	w.Header().Set("Digest", "sha-256="+inspect.Hash(b))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

func (a *API) inspectionsSnapshot(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	d, err := a.inspectionsLoad(r.Context(), r, p)
	if err != nil {
		return err
	}
	return a.inspectionsWriteSnapshot(w, r, d.ID)
}

// inspectionsTaskVisible: an officer sees the tasks they are on, a
// supervisor those of their region.
func inspectionsTaskVisible(p auth.Principal, t inspect.Task) bool {
	if p.Role == auth.Enforcement {
		return slices.Contains(t.Officers, p.Username)
	}
	return p.CanSeeRegion(t.Region)
}

func (a *API) inspectionsTasks(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	f := inspectstore.TaskFilter{Source: q.Get("source"), State: q.Get("state")}
	if v := q.Get("draw"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errorf(CodeInvalid, "draw %q: want an id", v)
		}
		f.DrawID = id
	}
	if p.Role == auth.Enforcement {
		f.Officer = p.Username
	} else {
		f.RegionPrefix, _ = p.RegionPrefix()
	}
	ts, err := a.inspections.repo.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []inspect.Task{}
	}
	return a.writeList(w, r, "tasks", ts)
}

func (a *API) inspectionsCreateTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Source     string   `json:"source"`
		SourceRef  string   `json:"source_ref"`
		CreditCode string   `json:"credit_code"`
		Officers   []string `json:"officers"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	e, err := a.cfg.Store.Enterprise(r.Context(), req.CreditCode)
	if err != nil {
		return err
	}
	if !p.CanSeeRegion(e.RegionCode) {
		return errorf(CodeForbidden, "enterprise %s is outside your region", req.CreditCode)
	}
	pool, err := a.inspections.repo.Officers(r.Context(), "")
	if err != nil {
		return err
	}
	for _, o := range req.Officers {
		i := slices.IndexFunc(pool, func(x inspect.Officer) bool { return x.ID == o })
		if i < 0 {
			return errorf(CodeInvalid, "officer %q is not in the inspector pool", o)
		}
		if c := inspect.Conflict(pool[i:i+1], inspect.Enterprise{CreditCode: e.CreditCode, Region: e.RegionCode}, false); c != "" {
			return errorf(CodeInvalid, "conflict of interest: %s", c)
		}
	}
	t, err := a.inspections.repo.CreateTask(r.Context(), inspectionsActor(a, r, p), inspect.Task{Source: req.Source, SourceRef: req.SourceRef,
		CreditCode: e.CreditCode, EnterpriseName: e.Name, Region: e.RegionCode, Industry: e.IndustryCode, Officers: req.Officers})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (a *API) inspectionsLoadTask(r *http.Request, p auth.Principal) (inspect.Task, error) {
	id, err := inspectionsID(r, "id")
	if err != nil {
		return inspect.Task{}, err
	}
	t, err := a.inspections.repo.Task(r.Context(), id)
	if err != nil {
		return t, err
	}
	if !inspectionsTaskVisible(p, t) {
		return t, errorf(CodeForbidden, "task %d is not yours", id)
	}
	return t, nil
}

func (a *API) inspectionsTask(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := a.inspectionsLoadTask(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": t, "checklist": inspect.Checklist(t.Industry)})
	return nil
}

func (a *API) inspectionsAttach(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := a.inspectionsLoadTask(r, p)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, inspectstore.MaxAttachment+1))
	if err != nil || len(data) > inspectstore.MaxAttachment {
		return errorf(CodeInvalid, "attachment: at most %d bytes", inspectstore.MaxAttachment)
	}
	// The type is what the bytes are, never what the client says.
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	name := r.URL.Query().Get("name")
	at, err := a.inspections.repo.AddAttachment(r.Context(), inspectionsActor(a, r, p), t.ID, name, ct, data)
	if err != nil {
		return inspectionsErr(err)
	}
	writeJSON(w, http.StatusCreated, at)
	return nil
}

func (a *API) inspectionsAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := inspectionsID(r, "id")
	if err != nil {
		return err
	}
	at, err := a.inspections.repo.Attachment(r.Context(), id)
	if err != nil {
		return err
	}
	t, err := a.inspections.repo.Task(r.Context(), at.TaskID)
	if err != nil {
		return err
	}
	if !inspectionsTaskVisible(p, t) {
		return errorf(CodeForbidden, "attachment %d belongs to a task that is not yours", id)
	}
	w.Header().Set("Content-Type", at.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="attachment-%d"`, at.ID))
	w.WriteHeader(http.StatusOK)
	w.Write(at.Data)
	return nil
}

// inspectionsCase opens the case of a done task with problems through the
// cases feature; ok false when that feature is absent.
func (a *API) inspectionsCase(ctx context.Context, r *http.Request, p auth.Principal, t inspect.Task) (int64, bool, error) {
	if a.cfg.Cases == nil {
		return 0, false, nil
	}
	var texts []string
	for _, f := range t.Findings {
		texts = append(texts, f.Text)
	}
	severity := "medium"
	if t.Outcome == inspect.OutcomeReferral {
		severity = "high"
	}
	id, err := a.cfg.Cases.OpenCase(ctx, CaseRequest{Source: "inspection", SourceRef: fmt.Sprintf("inspection:%d", t.ID),
		Title: fmt.Sprintf("检查发现问题：%s", t.EnterpriseName), Description: strings.Join(texts, "\n"), Category: "air", Severity: severity,
		RegionCode: t.Region, EnterpriseCode: t.CreditCode, Deadline: a.now().AddDate(0, 0, 30), Actor: p.Username, Remote: a.remote(r)})
	return id, true, err
}

func (a *API) inspectionsComplete(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := a.inspectionsLoadTask(r, p)
	if err != nil {
		return err
	}
	var rep inspect.Report
	if err := decodeBody(r, &rep); err != nil {
		return err
	}
	done, err := a.inspections.repo.Complete(r.Context(), inspectionsActor(a, r, p), t.ID, rep, 0)
	if err != nil {
		return inspectionsErr(err)
	}
	casePending := false
	if done.Outcome != inspect.OutcomeNoProblem {
		// The record is kept even when the case cannot be opened now; the
		// case action (POST …/case) opens it later, once for the task.
		id, ok, err := a.inspectionsCase(r.Context(), r, p, done)
		if err == nil && ok {
			err = a.inspections.repo.SetCase(r.Context(), inspectionsActor(a, r, p), t.ID, id)
			if err == nil {
				done.CaseID = id
			}
		}
		if err != nil {
			a.log.Error("inspection case not opened; the record is kept", "task", t.ID, "err", err)
		}
		casePending = done.CaseID == 0
	}
	writeJSON(w, http.StatusOK, map[string]any{"task": done, "case_pending": casePending})
	return nil
}

func (a *API) inspectionsOpenCase(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := a.inspectionsLoadTask(r, p)
	if err != nil {
		return err
	}
	if t.State != inspect.TaskDone || t.Outcome == inspect.OutcomeNoProblem {
		return errorf(CodeConflict, "task %d has no problems recorded: nothing to open a case for", t.ID)
	}
	id, ok, err := a.inspectionsCase(r.Context(), r, p, t)
	if !ok {
		inspectionsUnavailable(w, "the cases feature is not available on this server: the finding is recorded, the case can be opened later",
			"整改案件功能暂不可用：检查发现已记录，可稍后再转为案件")
		return nil
	}
	if err != nil {
		return err
	}
	if err := a.inspections.repo.SetCase(r.Context(), inspectionsActor(a, r, p), t.ID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case_id": id})
	return nil
}

func (a *API) inspectionsNotifications(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ns, err := a.inspections.repo.Notifications(r.Context(), p.Username)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []inspectstore.Notification{}
	}
	return a.writeList(w, r, "notifications", ns)
}

func (a *API) inspectionsMarkRead(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := a.inspections.repo.MarkRead(r.Context(), inspectionsActor(a, r, p)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) inspectionsLeads(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	now := a.now()
	from, to, err := timeRange(r, now.Add(-7*24*time.Hour), now)
	if err != nil {
		return err
	}
	if to.Sub(from) > 31*24*time.Hour {
		return &Error{Code: CodeInvalid, Message: "from–to: at most 31 days", Fields: []FieldError{{"from", "at most 31 days before to"}}}
	}
	prefix, _ := p.RegionPrefix()
	if reg := r.URL.Query().Get("region"); reg != "" {
		if !p.CanSeeRegion(reg) {
			return errorf(CodeForbidden, "region %q is outside yours", reg)
		}
		if len(reg) == 6 {
			prefix = strings.TrimRight(reg, "0")
			if len(prefix)%2 == 1 {
				prefix += "0"
			}
		}
	}
	leads, err := inspectstore.Leads(r.Context(), a.cfg.Store, prefix, from, to, inspect.LeadRules{})
	if err != nil {
		return err
	}
	if leads == nil {
		leads = []inspect.Lead{}
	}
	return a.writeList(w, r, "leads", leads)
}

// inspectionsPeriodRange reads ?period (YYYY, YYYYQn, YYYY-MM) as a date
// range; empty is everything.
func inspectionsPeriodRange(r *http.Request) (from, to string, err error) {
	period := r.URL.Query().Get("period")
	if period == "" {
		return "", "", nil
	}
	s, e, err := inspect.PeriodRange(period)
	if err != nil {
		return "", "", &Error{Code: CodeInvalid, Message: err.Error(), Fields: []FieldError{{"period", "want YYYY, YYYYQn or YYYY-MM"}}}
	}
	return s.Format(time.DateOnly), e.Format(time.DateOnly), nil
}

func (a *API) inspectionsStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	prefix, _ := p.RegionPrefix()
	if c := r.URL.Query().Get("city"); c != "" {
		if len(c) != 6 || !p.CanSeeRegion(c) {
			return errorf(CodeForbidden, "city %q is outside yours", c)
		}
		prefix = c[:4]
	}
	from, to, err := inspectionsPeriodRange(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sums, err := a.inspections.repo.Summaries(ctx, prefix[:min(len(prefix), 2)])
	if err != nil {
		return err
	}
	period := r.URL.Query().Get("period")
	var keep []inspect.DrawSummary
	for _, s := range sums {
		if (period == "" || s.Period == period) && (strings.HasPrefix(s.Region, prefix) || inspect.InRegion(p.Region, s.Region)) {
			keep = append(keep, s)
		}
	}
	ts, err := a.inspections.repo.Tasks(ctx, inspectstore.TaskFilter{RegionPrefix: prefix})
	if err != nil {
		return err
	}
	var inPeriod []inspect.Task
	for _, t := range ts {
		day := t.InspectedOn
		if day == "" {
			day = t.Created.In(store.CST).Format(time.DateOnly)
		}
		if from == "" || (day >= from && day < to) {
			inPeriod = append(inPeriod, t)
		}
	}
	st := inspect.Statistics(keep, inPeriod)
	switch table := r.URL.Query().Get("table"); table {
	case "":
		if exportFormat(r) != "" {
			return errorf(CodeInvalid, "an export needs table=coverage, sources or officers")
		}
		if st.Coverage == nil {
			st.Coverage = []inspect.CoverageStat{}
		}
		if st.Sources == nil {
			st.Sources = []inspect.SourceStat{}
		}
		if st.Officers == nil {
			st.Officers = []inspect.OfficerStat{}
		}
		writeJSON(w, http.StatusOK, st)
		return nil
	case "coverage":
		return a.writeList(w, r, "inspection-coverage", append([]inspect.CoverageStat{}, st.Coverage...))
	case "sources":
		return a.writeList(w, r, "inspection-findings", append([]inspect.SourceStat{}, st.Sources...))
	case "officers":
		return a.writeList(w, r, "inspection-officers", append([]inspect.OfficerStat{}, st.Officers...))
	default:
		return errorf(CodeInvalid, "table %q: want coverage, sources or officers", table)
	}
}

func (a *API) inspectionsPublicResults(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	q := r.URL.Query()
	f := inspectstore.TaskFilter{Source: inspect.SourceRandom, State: inspect.TaskDone}
	if c := q.Get("city"); c != "" {
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
			return &Error{Code: CodeInvalid, Message: fmt.Sprintf("city %q: want a six-digit code", c), Fields: []FieldError{{"city", "six digits"}}}
		}
		f.RegionPrefix = c[:4]
	}
	var err error
	if f.InspectedFrom, f.InspectedTo, err = inspectionsPeriodRange(r); err != nil {
		return err
	}
	ts, err := a.inspections.repo.Tasks(r.Context(), f)
	if err != nil {
		return err
	}
	out := []inspect.PublicResult{}
	for _, t := range ts {
		if pr, ok := t.Public(); ok {
			out = append(out, pr)
		}
	}
	return a.writeList(w, r, "inspection-results", out)
}

// inspectionsPublicDrawView is what the public sees of a draw.
type inspectionsPublicDrawView struct {
	ID                 int64        `json:"id"`
	Region             string       `json:"region"`
	Period             string       `json:"period"`
	State              string       `json:"state"`
	Plan               inspect.Plan `json:"plan"`
	PlanHash           string       `json:"plan_hash"`
	EnterprisePoolHash string       `json:"enterprise_pool_hash"`
	OfficerPoolHash    string       `json:"officer_pool_hash"`
	Seed               string       `json:"seed"`
	SeedSource         string       `json:"seed_source"`
	FrozenAt           time.Time    `json:"frozen_at"`
	DrawnAt            time.Time    `json:"drawn_at"`
	RedrawOf           int64        `json:"redraw_of"`
	Reason             string       `json:"reason"`
	Refusal            string       `json:"refusal"`
	// ResultHash commits to the result before it is published.
	ResultHash string `json:"result_hash"`
	// Published is true once the result and snapshots are public.
	Published bool            `json:"published"`
	Record    *inspect.Record `json:"record"`
}

// inspectionsPublished reports whether a drawn draw's result may be
// public: its period has ended or every task of it is done.
func (a *API) inspectionsPublished(ctx context.Context, d inspectstore.DrawRow) (bool, error) {
	if d.State != inspectstore.StateDrawn {
		return false, nil
	}
	if _, end, err := inspect.PeriodRange(d.Period); err == nil && !a.now().In(store.CST).Before(time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, store.CST)) {
		return true, nil
	}
	open, err := a.inspections.repo.Tasks(ctx, inspectstore.TaskFilter{DrawID: d.ID, State: inspect.TaskOpen})
	return err == nil && len(open) == 0, err
}

func (a *API) inspectionsPublicView(ctx context.Context, d inspectstore.DrawRow) (inspectionsPublicDrawView, error) {
	v := inspectionsPublicDrawView{ID: d.ID, Region: d.Region, Period: d.Period, State: d.State, Plan: d.Plan, PlanHash: d.PlanHash,
		EnterprisePoolHash: d.EnterpriseHash, OfficerPoolHash: d.OfficerHash, Seed: d.Seed, SeedSource: d.SeedSource, FrozenAt: d.FrozenAt,
		DrawnAt: d.DrawnAt, RedrawOf: d.RedrawOf, Reason: d.Reason, Refusal: d.Refusal}
	if d.State == inspectstore.StateDrawn {
		v.ResultHash = d.Record().ResultHash()
	}
	pub, err := a.inspectionsPublished(ctx, d)
	if err != nil {
		return v, err
	}
	if pub {
		rec := d.Record()
		v.Published, v.Record = true, &rec
	}
	return v, nil
}

func (a *API) inspectionsPublicDraws(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ds, err := a.inspections.repo.Draws(r.Context(), "")
	if err != nil {
		return err
	}
	out := []inspectionsPublicDrawView{}
	for _, d := range ds {
		v, err := a.inspectionsPublicView(r.Context(), d)
		if err != nil {
			return err
		}
		v.Record = nil // the list stays small; the record is on the draw's page
		out = append(out, v)
	}
	return a.writeList(w, r, "inspection-draws", out)
}

func (a *API) inspectionsPublicDraw(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := inspectionsID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.inspections.repo.Draw(r.Context(), id)
	if err != nil {
		return err
	}
	v, err := a.inspectionsPublicView(r.Context(), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) inspectionsPublicSnapshot(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	id, err := inspectionsID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.inspections.repo.Draw(r.Context(), id)
	if err != nil {
		return err
	}
	pub, err := a.inspectionsPublished(r.Context(), d)
	if err != nil {
		return err
	}
	if !pub {
		// Before publication, the hashes are public and the snapshots are
		// not: with them and the seed anyone could tell who is drawn.
		return errorf(CodeNotFound, "draw %d: the snapshots are published with the results (after the period or once every task is done)", id)
	}
	return a.inspectionsWriteSnapshot(w, r, id)
}
