package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"ecowatch/auth"
	"ecowatch/casework"
	"ecowatch/registry"
)

// Public complaints (12369-style reports, 有奖举报): submission and
// tracking by anyone, triage by the department's officers. The services
// are the cases feature's (casesState), set up before this feature.
func init() {
	addFeature(feature{name: "complaints", routes: complaintsRoutes})
}

// complaintsPerHour is how many complaints one address may submit in an
// hour without signing in: enough for a family or an office behind one
// address, too few to flood the triage queue. Counted in the database, so
// it holds across restarts and nodes.
const complaintsPerHour = 10

var complaintsTriage = Access{Roles: casework.TriageRoles}

func complaintsRoutes(a *API) []Route {
	return []Route{
		{"POST", "/complaints", anyone, "", "Submit a complaint (no sign-in; photos as multipart)", a.complaintsSubmit},
		{"GET", "/complaints/track/{code}", anyone, "", "A complaint's status and public result by its tracking code", a.complaintsTrack},
		{"GET", "/complaints", complaintsTriage, auth.ScopeCasesRead, "Complaints for triage", a.complaintsList},
		{"GET", "/complaints/{id}", complaintsTriage, auth.ScopeCasesRead, "One complaint with its photos and audit history", a.complaintsOne},
		{"POST", "/complaints/{id}/actions/{action}", complaintsTriage, auth.ScopeCasesWrite, "Triage: assign, merge, verify, feedback, reward", a.complaintsAct},
		{"GET", "/complaints/{id}/attachments/{aid}", complaintsTriage, auth.ScopeCasesRead, "A photo of a complaint", a.complaintsAttachment},
	}
}

// ComplaintRequest is a complaint as submitted.
type ComplaintRequest struct {
	What       string     `json:"what"`
	Address    string     `json:"address"`
	Lon        *float64   `json:"lon"`
	Lat        *float64   `json:"lat"`
	Happened   *time.Time `json:"happened"`
	Contact    string     `json:"contact"`
	Anonymous  bool       `json:"anonymous"`
	RegionCode string     `json:"region_code"`
}

// ComplaintReceipt is what the reporter gets back.
type ComplaintReceipt struct {
	TrackingCode string    `json:"tracking_code"`
	Created      time.Time `json:"created"`
	Photos       int       `json:"photos"`
}

func (a *API) complaintsSubmit(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx, remote := r.Context(), a.remote(r)
	// Staff entering a report taken by phone are not rate-limited.
	if !p.SignedIn() {
		n, err := a.cases.repo.CountRecentFrom(ctx, remote, a.now().Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= complaintsPerHour {
			w.Header().Set("Retry-After", "3600")
			return &Error{Code: CodeRateLimited, Message: fmt.Sprintf("at most %d complaints an hour from one address", complaintsPerHour),
				MessageZh: "提交过于频繁，请一小时后再试"}
		}
	}
	var req ComplaintRequest
	var c casework.Complaint
	photos, err := a.casesReadBody(r, &req, casework.MaxPhotos, true, func() error {
		c = casework.Complaint{What: req.What, Address: req.Address, Contact: req.Contact, Anonymous: req.Anonymous, RegionCode: req.RegionCode}
		if (req.Lon == nil) != (req.Lat == nil) {
			return &Error{Code: CodeInvalid, Message: "give both lon and lat, or neither", Fields: []FieldError{{"lat", "with lon"}}}
		}
		if req.Lon != nil {
			c.Lon, c.Lat, c.HasPoint = *req.Lon, *req.Lat, true
		}
		if req.Happened != nil {
			c.Happened = *req.Happened
		}
		// Validate a copy: Submit validates (and normalises) again.
		probe := c
		return casework.ValidateComplaint(&probe, a.now())
	})
	if err != nil {
		return err
	}
	c, err = a.cases.repo.Submit(ctx, c, photos, remote)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ComplaintReceipt{TrackingCode: c.TrackingCode, Created: c.Created, Photos: len(photos)})
	return nil
}

// ComplaintPublicView is what a tracking code shows: the state and the
// public result, never the internal notes, the contact or who handled it.
type ComplaintPublicView struct {
	TrackingCode   string    `json:"tracking_code"`
	State          string    `json:"state"`
	Result         string    `json:"result"`
	Feedback       string    `json:"feedback"`
	RewardDecision string    `json:"reward_decision"`
	RewardAmount   int64     `json:"reward_amount"`
	Created        time.Time `json:"created"`
	Updated        time.Time `json:"updated"`
}

func (a *API) complaintsTrack(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	c, err := a.cases.repo.Track(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ComplaintPublicView{TrackingCode: c.TrackingCode, State: string(c.State), Result: c.Result,
		Feedback: c.Feedback, RewardDecision: c.RewardDecision, RewardAmount: c.RewardAmount, Created: c.Created, Updated: c.Updated})
	return nil
}

// ComplaintView is a complaint for triage.
type ComplaintView struct {
	ID             int64                `json:"id"`
	TrackingCode   string               `json:"tracking_code"`
	What           string               `json:"what"`
	Address        string               `json:"address"`
	Lon            *float64             `json:"lon"`
	Lat            *float64             `json:"lat"`
	Happened       *time.Time           `json:"happened"`
	Contact        string               `json:"contact"`
	Anonymous      bool                 `json:"anonymous"`
	RegionCode     string               `json:"region_code"`
	RegionName     string               `json:"region_name"`
	State          string               `json:"state"`
	MergedInto     int64                `json:"merged_into"`
	Result         string               `json:"result"`
	Feedback       string               `json:"feedback"`
	Note           string               `json:"note"`
	RewardDecision string               `json:"reward_decision"`
	RewardAmount   int64                `json:"reward_amount"`
	CaseID         int64                `json:"case_id"`
	Created        time.Time            `json:"created"`
	Updated        time.Time            `json:"updated"`
	Photos         []CaseAttachmentView `json:"photos,omitempty"`
}

func complaintsView(c casework.Complaint, names map[string]string) ComplaintView {
	v := ComplaintView{ID: c.ID, TrackingCode: c.TrackingCode, What: c.What, Address: c.Address, Contact: c.Contact, Anonymous: c.Anonymous,
		RegionCode: c.RegionCode, RegionName: names[c.RegionCode], State: string(c.State), MergedInto: c.MergedInto, Result: c.Result,
		Feedback: c.Feedback, Note: c.Note, RewardDecision: c.RewardDecision, RewardAmount: c.RewardAmount, CaseID: c.CaseID,
		Created: c.Created, Updated: c.Updated}
	if c.HasPoint {
		lon, lat := c.Lon, c.Lat
		v.Lon, v.Lat = &lon, &lat
	}
	if !c.Happened.IsZero() {
		h := c.Happened
		v.Happened = &h
	}
	return v
}

func (a *API) complaintsList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	prefix, ok := p.RegionPrefix()
	if !ok {
		return forbidden("complaints")
	}
	f := casework.ComplaintFilter{Scoped: true, RegionPrefix: prefix, Limit: pg.Limit, Offset: pg.Offset}
	if s := r.URL.Query().Get("state"); s != "" {
		states := []casework.ComplaintState{casework.ComplaintReceived, casework.ComplaintAssigned, casework.ComplaintVerified,
			casework.ComplaintClosed, casework.ComplaintMerged}
		if !slices.Contains(states, casework.ComplaintState(s)) {
			return &Error{Code: CodeInvalid, Message: fmt.Sprintf("state %q: want one of %v", s, states), Fields: []FieldError{{"state", "unknown"}}}
		}
		f.State = casework.ComplaintState(s)
	}
	if exportFormat(r) != "" {
		f.Limit, f.Offset = maxExport, 0
	}
	cs, total, err := a.cases.repo.Complaints(r.Context(), f)
	if err != nil {
		return err
	}
	names, err := a.casesRegionNames(r.Context())
	if err != nil {
		return err
	}
	out := make([]ComplaintView, 0, len(cs))
	for _, c := range cs {
		// A city officer sees only complaints of their region: the query
		// already cut them, unassigned ones (no region) included only for
		// the province-wide roles.
		if casework.CanSeeComplaint(p, c) {
			out = append(out, complaintsView(c, names))
		}
	}
	return a.writePage(w, r, "complaints", out, total, pg)
}

func (a *API) complaintsLoad(r *http.Request, p auth.Principal) (casework.Complaint, error) {
	id, err := pathID(r)
	if err != nil {
		return casework.Complaint{}, err
	}
	c, err := a.cases.repo.Complaint(r.Context(), id)
	if err != nil {
		return c, err
	}
	if !casework.CanSeeComplaint(p, c) {
		return c, forbidden(fmt.Sprintf("complaint %d", id))
	}
	return c, nil
}

// ComplaintDetailView is one complaint's triage page.
type ComplaintDetailView struct {
	Complaint ComplaintView `json:"complaint"`
	Audit     []AuditView   `json:"audit"`
}

func (a *API) complaintsDetail(r *http.Request, c casework.Complaint) (ComplaintDetailView, error) {
	ctx := r.Context()
	names, err := a.casesRegionNames(ctx)
	if err != nil {
		return ComplaintDetailView{}, err
	}
	atts, err := a.cases.repo.Attachments(ctx, "complaint", c.ID)
	if err != nil {
		return ComplaintDetailView{}, err
	}
	hist, err := casework.History(ctx, a.cases.db, "complaint:"+strconv.FormatInt(c.ID, 10), 0)
	if err != nil {
		return ComplaintDetailView{}, err
	}
	v := complaintsView(c, names)
	v.Photos = casesAttachmentViews(atts, fmt.Sprintf("/complaints/%d", c.ID))
	return ComplaintDetailView{Complaint: v, Audit: casesAuditViews(hist)}, nil
}

func (a *API) complaintsOne(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	c, err := a.complaintsLoad(r, p)
	if err != nil {
		return err
	}
	d, err := a.complaintsDetail(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// ComplaintActionRequest is the data of a triage action.
type ComplaintActionRequest struct {
	RegionCode string     `json:"region_code"` // assign
	Into       int64      `json:"into"`        // merge
	Result     string     `json:"result"`      // verify: confirmed, unfounded, partly
	Category   string     `json:"category"`    // verify (confirmed): the case's category
	Severity   string     `json:"severity"`    // verify (confirmed)
	Deadline   *time.Time `json:"deadline"`    // verify (confirmed)
	Note       string     `json:"note"`        // internal
	Feedback   string     `json:"feedback"`    // feedback: the public result
	Decision   string     `json:"decision"`    // reward: granted or denied
	Amount     int64      `json:"amount"`      // reward: yuan
}

func (a *API) complaintsAct(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	act := casework.ComplaintAction(r.PathValue("action"))
	switch act {
	case casework.CActAssign, casework.CActMerge, casework.CActVerify, casework.CActFeedback, casework.CActReward:
	default:
		return errorf(CodeNotFound, "no triage action %q: want assign, merge, verify, feedback or reward", act)
	}
	c, err := a.complaintsLoad(r, p)
	if err != nil {
		return err
	}
	var req ComplaintActionRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	t := casework.Triage{RegionCode: req.RegionCode, Into: req.Into, Result: req.Result, Note: req.Note, Feedback: req.Feedback,
		Decision: req.Decision, Amount: req.Amount, Category: req.Category, Severity: req.Severity}
	if req.Deadline != nil {
		t.Deadline = *req.Deadline
	}
	if act == casework.CActAssign {
		s, err := a.snap(r.Context())
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(s.regions, func(g registry.Region) bool { return g.Code == req.RegionCode }) {
			return &Error{Code: CodeInvalid, Message: fmt.Sprintf("region %q is not in the registry", req.RegionCode),
				Fields: []FieldError{{"region_code", "unknown region"}}}
		}
	}
	if act == casework.CActVerify && casework.Confirmed(req.Result) && req.Category == "" {
		return &Error{Code: CodeInvalid, Message: "a confirmed complaint becomes a case: give its category",
			Fields: []FieldError{{"category", fmt.Sprintf("want one of %v", casework.Categories)}}}
	}
	c, err = a.cases.repo.TriageComplaint(r.Context(), c.ID, act, p, t, casework.Actor{Name: p.Username, Remote: a.remote(r)})
	if err != nil {
		return casesErr(err)
	}
	d, err := a.complaintsDetail(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (a *API) complaintsAttachment(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	c, err := a.complaintsLoad(r, p)
	if err != nil {
		return err
	}
	return a.casesServeFile(w, r, "complaint", c.ID)
}
