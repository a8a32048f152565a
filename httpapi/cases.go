package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/casework"
	"ecowatch/store"
)

// The cases feature: rectification cases (整改 → 核查 → 销号), their
// attachments, statistics for the command centre, the audit history of
// one object and the audit chain check. Rules and storage are in package
// casework; this file is the HTTP side.
func init() {
	addFeature(feature{name: "cases", setup: casesSetup, routes: casesRoutes})
}

// casesState is the feature's services.
type casesState struct {
	repo  *casework.Repo
	files casework.Files
	db    store.SQL
}

func casesSetup(a *API) error {
	sqler, ok := a.cfg.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("store %T has no SQL handle for the cases", a.cfg.Store)
	}
	dir := a.cfg.CaseFiles
	if dir == "" {
		// Tests build the API without a data directory. One shared
		// directory is safe: files are content-addressed and never change.
		dir = filepath.Join(os.TempDir(), "ecowatch-attachments")
	}
	db := sqler.SQL()
	a.cases = &casesState{repo: casework.NewRepo(db, a.now), files: casework.Files{Dir: dir}, db: db}
	if a.cfg.Cases == nil {
		a.cfg.Cases = CasesOpener(a.cases.repo, a.cfg.Store)
	}
	return nil
}

// CasesOpener is the CaseOpener over a casework repository: serve sets it
// in the Config before the API is built, so every feature finds it. st
// fills in what a request leaves out: the enterprise and region of its
// point, the region of its enterprise.
func CasesOpener(r *casework.Repo, st store.Store) CaseOpener { return casesOpener{r, st} }

type casesOpener struct {
	r  *casework.Repo
	st store.Store
}

func (o casesOpener) OpenCase(ctx context.Context, req CaseRequest) (int64, error) {
	actor := req.Actor
	if actor == "" {
		actor = "system"
	}
	if req.PointCode != "" && (req.RegionCode == "" || req.EnterpriseCode == "") {
		pt, err := o.st.Point(ctx, req.PointCode)
		if err != nil {
			return 0, fmt.Errorf("case for point %s: %w", req.PointCode, err)
		}
		if req.EnterpriseCode == "" {
			req.EnterpriseCode = pt.EnterpriseCode
		}
		if req.RegionCode == "" {
			req.RegionCode = pt.RegionCode
		}
	}
	if req.EnterpriseCode != "" && req.RegionCode == "" {
		e, err := o.st.Enterprise(ctx, req.EnterpriseCode)
		if err != nil {
			return 0, fmt.Errorf("case for enterprise %s: %w", req.EnterpriseCode, err)
		}
		req.RegionCode = e.RegionCode
	}
	id, _, err := o.r.Open(ctx, casework.OpenRequest{Source: casework.Source(req.Source), SourceRef: req.SourceRef, Title: req.Title,
		Description: req.Description, Category: req.Category, Severity: req.Severity, RegionCode: req.RegionCode,
		EnterpriseCode: req.EnterpriseCode, PointCode: req.PointCode, Deadline: req.Deadline}, casework.Actor{Name: actor, Remote: req.Remote})
	return id, err
}

var (
	casesReaders  = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement, auth.Enterprise}}
	casesOfficers = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}}
)

func casesRoutes(a *API) []Route {
	return []Route{
		{"GET", "/cases", casesReaders, auth.ScopeCasesRead, "Cases (problem and rectification lists) with filters", a.casesList},
		{"POST", "/cases", casesOfficers, auth.ScopeCasesWrite, "Register a case by hand", a.casesCreate},
		{"GET", "/case-stats", casesOfficers, auth.ScopeCasesRead, "Case statistics for the command centre", a.casesStats},
		{"GET", "/cases/{id}", casesReaders, auth.ScopeCasesRead, "One case with its timeline and audit history", a.casesOne},
		{"POST", "/cases/{id}/actions/{action}", casesReaders, auth.ScopeCasesWrite, "Take a workflow action on a case", a.casesAct},
		{"GET", "/cases/{id}/attachments/{aid}", casesReaders, auth.ScopeCasesRead, "An attachment of a case", a.casesAttachment},
		{"GET", "/audit/history", signedIn, auth.ScopeAudit, "The audit history of one object (case:N, complaint:N, device:MN)", a.casesHistory},
		{"GET", "/audit/verify", adminProv, auth.ScopeAudit, "Check the audit log's hash chain", a.casesVerify},
	}
}

// casesErr maps the workflow's refusal to the API's forbidden.
func casesErr(err error) error {
	if errors.Is(err, casework.ErrForbidden) {
		return &Error{Code: CodeForbidden, Message: err.Error(), MessageZh: "没有权限执行此操作", cause: err}
	}
	return err
}

// CaseView is a case in the API.
type CaseView struct {
	ID               int64                `json:"id"`
	Title            string               `json:"title"`
	Description      string               `json:"description"`
	Source           string               `json:"source"`
	SourceRef        string               `json:"source_ref"`
	Category         string               `json:"category"`
	Severity         string               `json:"severity"`
	RegionCode       string               `json:"region_code"`
	RegionName       string               `json:"region_name"`
	EnterpriseCode   string               `json:"enterprise_code"`
	PointCode        string               `json:"point_code"`
	LeadDepartment   string               `json:"lead_department"`
	LeadName         string               `json:"lead_department_name"`
	ResponsibleUnits []string             `json:"responsible_units"`
	UnitNames        []string             `json:"responsible_unit_names"`
	Deadline         time.Time            `json:"deadline"`
	State            string               `json:"state"`
	Level            int                  `json:"level"`
	LevelName        string               `json:"level_name"`
	Overdue          bool                 `json:"overdue"`
	Assignee         string               `json:"assignee"`
	Plan             string               `json:"plan"`
	Milestones       []casework.Milestone `json:"milestones"`
	SubmittedBy      string               `json:"submitted_by"`
	VerifiedBy       string               `json:"verified_by"`
	VerifyMethod     string               `json:"verify_method"`
	ClosedBy         string               `json:"closed_by"`
	Recurrences      int                  `json:"recurrences"`
	CreatedBy        string               `json:"created_by"`
	Created          time.Time            `json:"created"`
	Updated          time.Time            `json:"updated"`
	ClosedAt         *time.Time           `json:"closed_at"`
}

func (a *API) casesView(c casework.Case, names map[string]string) CaseView {
	v := CaseView{ID: c.ID, Title: c.Title, Description: c.Description, Source: string(c.Source), SourceRef: c.SourceRef,
		Category: c.Category, Severity: c.Severity, RegionCode: c.RegionCode, RegionName: names[c.RegionCode],
		EnterpriseCode: c.EnterpriseCode, PointCode: c.PointCode, LeadDepartment: c.LeadDepartment,
		ResponsibleUnits: c.ResponsibleUnits, Deadline: c.Deadline, State: string(c.State), Level: int(c.Level),
		LevelName: c.Level.String(), Overdue: casework.Overdue(c, a.now()), Assignee: c.Assignee, Plan: c.Plan,
		Milestones: c.Milestones, SubmittedBy: c.SubmittedBy, VerifiedBy: c.VerifiedBy, VerifyMethod: c.VerifyMethod,
		ClosedBy: c.ClosedBy, Recurrences: c.Recurrences, CreatedBy: c.CreatedBy, Created: c.Created, Updated: c.Updated}
	if v.ResponsibleUnits == nil {
		v.ResponsibleUnits = []string{}
	}
	v.LeadName = names[c.LeadDepartment]
	v.UnitNames = make([]string, len(v.ResponsibleUnits))
	for i, u := range v.ResponsibleUnits {
		v.UnitNames[i] = names[u]
	}
	if v.Milestones == nil {
		v.Milestones = []casework.Milestone{}
	}
	if !c.ClosedAt.IsZero() {
		t := c.ClosedAt
		v.ClosedAt = &t
	}
	return v
}

// casesRegionNames maps region codes (GB/T 2260 digits) and department
// codes (letters) to names for the views; the two never collide.
func (a *API) casesRegionNames(ctx context.Context) (map[string]string, error) {
	s, err := a.snap(ctx)
	if err != nil {
		return nil, err
	}
	deps, err := a.cfg.Store.Departments(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(s.regions)+len(deps))
	for _, r := range s.regions {
		m[r.Code] = r.Name
	}
	for _, d := range deps {
		m[d.Code] = d.Name
	}
	return m, nil
}

// casesScope is the part of a filter that the principal's scope fixes.
func casesScope(p auth.Principal) (casework.Filter, error) {
	if p.Role == auth.Enterprise {
		if p.Enterprise == "" {
			return casework.Filter{}, forbidden("cases")
		}
		return casework.Filter{Enterprise: p.Enterprise}, nil
	}
	prefix, ok := p.RegionPrefix()
	if !ok {
		return casework.Filter{}, forbidden("cases")
	}
	return casework.Filter{RegionPrefix: prefix}, nil
}

// casesFilter reads the list filters: state, region, source, department,
// overdue, level, q.
func (a *API) casesFilter(r *http.Request, p auth.Principal) (casework.Filter, error) {
	f, err := casesScope(p)
	if err != nil {
		return f, err
	}
	q := r.URL.Query()
	var fields []FieldError
	if s := q.Get("state"); s == "open" {
		f.Open = true
	} else if s != "" {
		if !slices.Contains(casework.States, casework.State(s)) {
			fields = append(fields, FieldError{"state", fmt.Sprintf("want open or one of %v", casework.States)})
		}
		f.State = casework.State(s)
	}
	if s := q.Get("region"); s != "" {
		if len(s) > 6 || strings.Trim(s, "0123456789") != "" {
			fields = append(fields, FieldError{"region", "want a GB/T 2260 code or its prefix"})
		}
		// A city's code selects its counties too (GB/T 2260: digits 1–2
		// province, 3–4 city, 5–6 county).
		f.Region = s
		switch {
		case len(s) == 6 && strings.HasSuffix(s, "0000"):
			f.Region = s[:2]
		case len(s) == 6 && strings.HasSuffix(s, "00"):
			f.Region = s[:4]
		}
	}
	if s := q.Get("source"); s != "" {
		if !slices.Contains(casework.Sources, casework.Source(s)) {
			fields = append(fields, FieldError{"source", fmt.Sprintf("want one of %v", casework.Sources)})
		}
		f.Source = casework.Source(s)
	}
	f.Department = q.Get("department")
	switch q.Get("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		fields = append(fields, FieldError{"overdue", "want true or false"})
	}
	if s := q.Get("level"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3 {
			fields = append(fields, FieldError{"level", "want 0 to 3"})
		}
		f.Level = casework.Level(n)
	}
	if s := q.Get("q"); len(s) > 100 {
		fields = append(fields, FieldError{"q", "longer than 100 bytes"})
	} else {
		f.Query = s
	}
	f.Now = a.now()
	if len(fields) > 0 {
		return f, &Error{Code: CodeInvalid, Message: "bad case filters", Fields: fields}
	}
	return f, nil
}

func (a *API) casesList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	f, err := a.casesFilter(r, p)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = pg.Limit, pg.Offset
	if exportFormat(r) != "" {
		f.Limit, f.Offset = maxExport, 0
	}
	cs, total, err := a.cases.repo.Cases(r.Context(), f)
	if err != nil {
		return err
	}
	names, err := a.casesRegionNames(r.Context())
	if err != nil {
		return err
	}
	out := make([]CaseView, len(cs))
	for i, c := range cs {
		out[i] = a.casesView(c, names)
	}
	return a.writePage(w, r, "cases", out, total, pg)
}

// CaseCreateRequest is a case registered by hand.
type CaseCreateRequest struct {
	Title            string    `json:"title"`
	Description      string    `json:"description"`
	Source           string    `json:"source"`
	Category         string    `json:"category"`
	Severity         string    `json:"severity"`
	RegionCode       string    `json:"region_code"`
	EnterpriseCode   string    `json:"enterprise_code"`
	PointCode        string    `json:"point_code"`
	LeadDepartment   string    `json:"lead_department"`
	ResponsibleUnits []string  `json:"responsible_units"`
	Deadline         time.Time `json:"deadline"`
}

func (a *API) casesCreate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req CaseCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	s, err := a.snap(ctx)
	if err != nil {
		return err
	}
	var fields []FieldError
	if req.EnterpriseCode != "" {
		e, ok := s.enterprises[req.EnterpriseCode]
		switch {
		case !ok:
			fields = append(fields, FieldError{"enterprise_code", "no such enterprise"})
		case req.RegionCode == "":
			req.RegionCode = e.RegionCode
		}
	}
	if req.PointCode != "" {
		pt, ok := s.points[req.PointCode]
		switch {
		case !ok:
			fields = append(fields, FieldError{"point_code", "no such monitoring point"})
		case req.EnterpriseCode != "" && pt.EnterpriseCode != req.EnterpriseCode:
			fields = append(fields, FieldError{"point_code", "not a point of that enterprise"})
		case req.RegionCode == "":
			req.RegionCode = pt.RegionCode
		}
	}
	deps, err := a.cfg.Store.Departments(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, d := range deps {
		known[d.Code] = true
	}
	if req.LeadDepartment != "" && !known[req.LeadDepartment] {
		fields = append(fields, FieldError{"lead_department", "no such department"})
	}
	for _, u := range req.ResponsibleUnits {
		if !known[u] {
			fields = append(fields, FieldError{"responsible_units", fmt.Sprintf("%q: no such department", u)})
			break
		}
	}
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "bad case", Fields: fields}
	}
	// Manual sources only: alarms, complaints, inspections and hazards
	// open their cases from their own objects.
	switch casework.Source(req.Source) {
	case casework.SourceAlarm, casework.SourceComplaint, casework.SourceInspection, casework.SourceHazard:
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("source %q: cases from that source are opened from the object itself", req.Source),
			Fields: []FieldError{{"source", "want a manual source"}}}
	}
	c := casework.Case{Title: req.Title, Description: req.Description, Source: casework.Source(req.Source), Category: req.Category,
		Severity: req.Severity, RegionCode: req.RegionCode, EnterpriseCode: req.EnterpriseCode, PointCode: req.PointCode,
		LeadDepartment: req.LeadDepartment, ResponsibleUnits: req.ResponsibleUnits, Deadline: req.Deadline}
	if !casework.CanSee(p, c) {
		return forbidden("region " + req.RegionCode)
	}
	c, err = a.cases.repo.Create(ctx, c, casework.Actor{Name: p.Username, Remote: a.remote(r)})
	if err != nil {
		return err
	}
	names, err := a.casesRegionNames(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.casesView(c, names))
	return nil
}

// casesLoad reads a case the principal may see.
func (a *API) casesLoad(r *http.Request, p auth.Principal) (casework.Case, error) {
	id, err := pathID(r)
	if err != nil {
		return casework.Case{}, err
	}
	c, err := a.cases.repo.Case(r.Context(), id)
	if err != nil {
		return c, err
	}
	if !casework.CanSee(p, c) {
		return c, forbidden(fmt.Sprintf("case %d", id))
	}
	return c, nil
}

// CaseEventView is one entry of a case's timeline.
type CaseEventView struct {
	ID          int64                `json:"id"`
	Time        time.Time            `json:"time"`
	Actor       string               `json:"actor"`
	Action      string               `json:"action"`
	From        string               `json:"from"`
	To          string               `json:"to"`
	Note        string               `json:"note"`
	Detail      string               `json:"detail"`
	Attachments []CaseAttachmentView `json:"attachments"`
}

// CaseAttachmentView is an attachment's metadata.
type CaseAttachmentView struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	URL         string `json:"url"`
}

// CaseDetailView is a case's page.
type CaseDetailView struct {
	Case    CaseView        `json:"case"`
	Events  []CaseEventView `json:"events"`
	Audit   []AuditView     `json:"audit"`
	Actions []string        `json:"actions"` // what the caller may do now
}

func casesAttachmentViews(as []casework.Attachment, base string) []CaseAttachmentView {
	out := make([]CaseAttachmentView, len(as))
	for i, x := range as {
		out[i] = CaseAttachmentView{ID: x.ID, Name: x.Name, ContentType: x.ContentType, Size: x.Size, SHA256: x.SHA256,
			URL: fmt.Sprintf("%s%s/attachments/%d", Prefix, base, x.ID)}
	}
	return out
}

func (a *API) casesDetail(ctx context.Context, c casework.Case, p auth.Principal) (CaseDetailView, error) {
	names, err := a.casesRegionNames(ctx)
	if err != nil {
		return CaseDetailView{}, err
	}
	evs, err := a.cases.repo.Events(ctx, c.ID)
	if err != nil {
		return CaseDetailView{}, err
	}
	hist, err := casework.History(ctx, a.cases.db, "case:"+strconv.FormatInt(c.ID, 10), 0)
	if err != nil {
		return CaseDetailView{}, err
	}
	d := CaseDetailView{Case: a.casesView(c, names), Events: make([]CaseEventView, len(evs)), Audit: casesAuditViews(hist), Actions: []string{}}
	for i, e := range evs {
		d.Events[i] = CaseEventView{ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, From: string(e.From), To: string(e.To),
			Note: e.Note, Detail: e.Detail, Attachments: casesAttachmentViews(e.Attachments, fmt.Sprintf("/cases/%d", c.ID))}
	}
	if !p.Token || p.Has(auth.ScopeCasesWrite) {
		for _, act := range casework.Allowed(c, p) {
			d.Actions = append(d.Actions, string(act))
		}
	}
	return d, nil
}

func casesAuditViews(es []store.AuditEntry) []AuditView {
	out := make([]AuditView, len(es))
	for i, e := range es {
		out[i] = AuditView{ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, Object: e.Object, Detail: e.Detail, Remote: e.Remote, Hash: e.Hash}
	}
	return out
}

func (a *API) casesOne(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	c, err := a.casesLoad(r, p)
	if err != nil {
		return err
	}
	d, err := a.casesDetail(r.Context(), c, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// CaseActionRequest is the data of a workflow action (all optional but
// what the action needs: assignee for assign, plan for start, method for
// verify, note for return and report).
type CaseActionRequest struct {
	Note       string               `json:"note"`
	Assignee   string               `json:"assignee"`
	Deadline   *time.Time           `json:"deadline"`
	Plan       string               `json:"plan"`
	Milestones []casework.Milestone `json:"milestones"`
	Method     string               `json:"method"`
}

// casesMaxFiles bounds the files of one request.
const casesMaxFiles = 10

// casesReadBody reads a JSON body, or a multipart/form-data body whose
// "json" part, first, is the JSON and whose "files" parts are
// attachments. check validates the JSON before any file is stored, so a
// refused request leaves no files behind; each file is size-limited and
// type-checked by content as it is stored, so a request holds at most
// one file in memory.
func (a *API) casesReadBody(r *http.Request, v any, maxFiles int, imagesOnly bool, check func() error) ([]casework.File, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if err := decodeBody(r, v); err != nil {
			return nil, err
		}
		return nil, check()
	}
	limit := int64(maxFiles)*(casework.DefaultMaxFile+64<<10) + 1<<20
	r.Body = http.MaxBytesReader(nil, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(CodeBadRequest, "multipart body: %v", err)
	}
	var files []casework.File
	sawJSON := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errorf(CodeBadRequest, "multipart body: %v", err)
		}
		switch part.FormName() {
		case "json":
			dec := json.NewDecoder(io.LimitReader(part, 1<<20))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				return nil, errorf(CodeBadRequest, "json part: %v", err)
			}
			if err := check(); err != nil {
				return nil, err
			}
			sawJSON = true
		case "files":
			if !sawJSON {
				return nil, errorf(CodeBadRequest, "multipart body: the json part must come before the files")
			}
			if len(files) == maxFiles {
				return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("more than %d files", maxFiles), Fields: []FieldError{{"files", fmt.Sprintf("at most %d", maxFiles)}}}
			}
			f, err := a.cases.files.Put(part, part.FileName())
			if err != nil {
				return nil, &Error{Code: CodeInvalid, Message: err.Error(), MessageZh: "附件过大或类型不允许（仅限图片、PDF、Office 文档）",
					Fields: []FieldError{{"files", err.Error()}}, cause: err}
			}
			if imagesOnly && !strings.HasPrefix(f.ContentType, "image/") {
				return nil, &Error{Code: CodeInvalid, Message: fmt.Sprintf("file %q is %s: photos only", f.Name, f.ContentType), MessageZh: "只能上传照片",
					Fields: []FieldError{{"files", "photos only (JPEG, PNG, GIF, WebP)"}}}
			}
			files = append(files, f)
		default:
			return nil, errorf(CodeBadRequest, "multipart part %q: want json or files", part.FormName())
		}
		part.Close()
	}
	if !sawJSON {
		return nil, errorf(CodeBadRequest, "multipart body: the json part is missing")
	}
	return files, nil
}

func (a *API) casesAct(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	act := casework.Action(r.PathValue("action"))
	if !slices.Contains(casework.Actions, act) {
		return errorf(CodeNotFound, "no action %q: want one of %v", act, casework.Actions)
	}
	c, err := a.casesLoad(r, p)
	if err != nil {
		return err
	}
	// Check the rules before reading any upload: a refused caller stores
	// no files.
	if _, err := casework.Next(c, act, p); err != nil {
		return casesErr(err)
	}
	var req CaseActionRequest
	var in casework.Input
	files, err := a.casesReadBody(r, &req, casesMaxFiles, false, func() error {
		in = casework.Input{Note: req.Note, Assignee: req.Assignee, Plan: req.Plan, Milestones: req.Milestones, Method: req.Method}
		if req.Deadline != nil {
			in.Deadline = *req.Deadline
		}
		return in.Check(act)
	})
	if err != nil {
		return err
	}
	in.Files = files
	c, err = a.cases.repo.Act(r.Context(), c.ID, act, p, in, casework.Actor{Name: p.Username, Remote: a.remote(r)})
	if err != nil {
		return casesErr(err)
	}
	d, err := a.casesDetail(r.Context(), c, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) casesAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	c, err := a.casesLoad(r, p)
	if err != nil {
		return err
	}
	return a.casesServeFile(w, r, "case", c.ID)
}

// casesServeFile sends an attachment with headers that keep a browser
// from running it: the sniffed type, nosniff, a sandboxing CSP, and
// attachment disposition for anything but images and PDF.
func (a *API) casesServeFile(w http.ResponseWriter, r *http.Request, kind string, owner int64) error {
	aid, err := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	if err != nil {
		return errorf(CodeNotFound, "attachment %q: want a number", r.PathValue("aid"))
	}
	at, err := a.cases.repo.Attachment(r.Context(), kind, owner, aid)
	if err != nil {
		return err
	}
	f, err := a.cases.files.Open(at.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", at.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "attachment"
	if strings.HasPrefix(at.ContentType, "image/") || at.ContentType == "application/pdf" {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": at.Name}))
	// Content-addressed: the bytes behind this URL never change.
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	h.Set("ETag", `"`+at.SHA256+`"`)
	http.ServeContent(w, r, "", at.Created, f)
	return nil
}

// CaseStatsView is the command centre's case figures.
type CaseStatsView struct {
	Open         int               `json:"open"`
	Closed       int               `json:"closed"`
	Overdue      int               `json:"overdue"`
	Reminder     int               `json:"reminder"`
	Escalation   int               `json:"escalation"`
	Listed       int               `json:"listed"`
	AvgCloseDays float64           `json:"avg_close_days"`
	ByState      map[string]int    `json:"by_state"`
	ByDepartment []CaseGroupView   `json:"by_department"`
	ByCity       []CaseGroupView   `json:"by_city"`
	Departments  map[string]string `json:"departments"`
}

// CaseGroupView is one row of a breakdown.
type CaseGroupView struct {
	Key          string  `json:"key"`
	Name         string  `json:"name"`
	Open         int     `json:"open"`
	Closed       int     `json:"closed"`
	Overdue      int     `json:"overdue"`
	AvgCloseDays float64 `json:"avg_close_days"`
}

func (a *API) casesStats(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, err := a.casesFilter(r, p)
	if err != nil {
		return err
	}
	ctx := r.Context()
	st, err := a.cases.repo.Stats(ctx, f, a.now())
	if err != nil {
		return err
	}
	names, err := a.casesRegionNames(ctx)
	if err != nil {
		return err
	}
	deps, err := a.cfg.Store.Departments(ctx)
	if err != nil {
		return err
	}
	depNames := map[string]string{}
	for _, d := range deps {
		depNames[d.Code] = d.Name
	}
	groups := func(gs []casework.Group, nm map[string]string) []CaseGroupView {
		out := make([]CaseGroupView, len(gs))
		for i, g := range gs {
			out[i] = CaseGroupView{Key: g.Key, Name: nm[g.Key], Open: g.Open, Closed: g.Closed, Overdue: g.Overdue, AvgCloseDays: g.AvgCloseDays}
		}
		return out
	}
	v := CaseStatsView{Open: st.Open, Closed: st.Closed, Overdue: st.Overdue, Reminder: st.ByLevel[1], Escalation: st.ByLevel[2],
		Listed: st.ByLevel[3], AvgCloseDays: st.AvgCloseDays, ByState: map[string]int{}, ByDepartment: groups(st.ByDepartment, depNames),
		ByCity: groups(st.ByCity, names), Departments: depNames}
	for s, n := range st.ByState {
		v.ByState[string(s)] = n
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// casesHistory is the audit history of one object the caller may see:
// case:N and complaint:N by the workflow's scope, device:MN by the
// registry's; any other object only for the province-wide auditors.
func (a *API) casesHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	obj := r.URL.Query().Get("object")
	kind, key, ok := strings.Cut(obj, ":")
	if !ok || key == "" || len(obj) > 200 {
		return &Error{Code: CodeInvalid, Message: fmt.Sprintf("object %q: want kind:key, e.g. case:12 or device:MN", obj),
			Fields: []FieldError{{"object", "want kind:key"}}}
	}
	ctx := r.Context()
	switch kind {
	case "case":
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return errorf(CodeNotFound, "no case %q", key)
		}
		c, err := a.cases.repo.Case(ctx, id)
		if err != nil {
			return err
		}
		if !casework.CanSee(p, c) {
			return forbidden("case " + key)
		}
	case "complaint":
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return errorf(CodeNotFound, "no complaint %q", key)
		}
		c, err := a.cases.repo.Complaint(ctx, id)
		if err != nil {
			return err
		}
		if !casework.CanSeeComplaint(p, c) {
			return forbidden("complaint " + key)
		}
	case "device":
		s, err := a.snap(ctx)
		if err != nil {
			return err
		}
		if !s.canSeeDevice(p, key) {
			return forbidden("device " + key)
		}
	default:
		if prefix, ok := p.RegionPrefix(); !ok || prefix != "" || (p.Role != auth.Admin && p.Role != auth.Province) {
			return forbidden("the audit history of " + kind + " objects")
		}
	}
	hist, err := casework.History(ctx, a.cases.db, obj, 500)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "audit-history", casesAuditViews(hist))
}

// CaseChainView is the result of the audit chain check.
type CaseChainView struct {
	OK      bool   `json:"ok"`
	Checked int    `json:"checked"`
	LastID  int64  `json:"last_id"`
	BadID   int64  `json:"bad_id,omitempty"`
	Kind    string `json:"kind,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func (a *API) casesVerify(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	rep, err := casework.Verify(r.Context(), a.cases.db)
	if err != nil {
		return err
	}
	v := CaseChainView{OK: rep.Break == nil, Checked: rep.Checked, LastID: rep.LastID}
	if rep.Break != nil {
		v.BadID, v.Kind, v.Detail = rep.Break.ID, rep.Break.Kind, rep.Break.Detail
		a.log.Warn("audit chain broken", "id", rep.Break.ID, "kind", rep.Break.Kind, "by", p.Username)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
