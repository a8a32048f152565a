package casework

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/store"
)

var (
	pAdmin      = auth.Principal{Username: "admin", Role: auth.Admin}
	pProvince   = auth.Principal{Username: "province", Role: auth.Province}
	pCity       = auth.Principal{Username: "changsha", Role: auth.City, Region: "430100"}
	pOtherCity  = auth.Principal{Username: "zhuzhou", Role: auth.City, Region: "430200"}
	pOfficer    = auth.Principal{Username: "officer", Role: auth.Enforcement, Region: "430100"}
	pEnterprise = auth.Principal{Username: "ent", Role: auth.Enterprise, Enterprise: "91430100MA4L000001"}
	pOtherEnt   = auth.Principal{Username: "ent2", Role: auth.Enterprise, Enterprise: "91430200MA4L000002"}
	pClient     = auth.Principal{Username: "client", Role: auth.Client}
	pPublic     = auth.Principal{}
)

var everyone = []auth.Principal{pAdmin, pProvince, pCity, pOtherCity, pOfficer, pEnterprise, pOtherEnt, pClient, pPublic}

func caseIn(s State) Case {
	return Case{ID: 1, State: s, RegionCode: "430102", EnterpriseCode: "91430100MA4L000001", SubmittedBy: "someone-else"}
}

// TestTransitionTable walks every action from every state as every
// principal: allowed exactly where the table says, and each refusal is
// the right kind (forbidden, or a conflict of state).
func TestTransitionTable(t *testing.T) {
	type row struct {
		action Action
		from   []State
		to     State
		who    []string // usernames allowed (in scope)
	}
	sup := []string{"admin", "province", "changsha"}
	rect := []string{"admin", "province", "changsha", "officer", "ent"}
	ver := []string{"admin", "province", "changsha", "officer"}
	table := []row{
		{ActAssign, []State{Registered, Assigned, Reopened}, Assigned, sup},
		{ActStart, []State{Assigned, Returned}, Rectifying, rect},
		{ActReport, []State{Rectifying}, Rectifying, rect},
		{ActSubmit, []State{Rectifying}, Submitted, rect},
		{ActVerify, []State{Submitted}, Verified, ver},
		{ActReturn, []State{Submitted, Verified}, Returned, ver},
		{ActClose, []State{Verified}, Closed, sup},
		{ActReopen, []State{Closed}, Reopened, sup},
	}
	if len(table) != len(Actions) {
		t.Fatalf("table has %d actions, the workflow %d", len(table), len(Actions))
	}
	for _, r := range table {
		for _, s := range States {
			for _, p := range everyone {
				name := fmt.Sprintf("%s/%s/%s", r.action, s, p.Username)
				got, err := Next(caseIn(s), r.action, p)
				roleOK := slices.Contains(r.who, p.Username)
				stateOK := slices.Contains(r.from, s)
				switch {
				case roleOK && stateOK:
					if err != nil || got != r.to {
						t.Errorf("%s: %v, %v; want %s", name, got, err, r.to)
					}
				case !roleOK:
					if !errors.Is(err, ErrForbidden) {
						t.Errorf("%s: err %v, want forbidden", name, err)
					}
				default:
					if !errors.Is(err, ErrState) || !errors.Is(err, store.ErrConflict) {
						t.Errorf("%s: err %v, want a state conflict", name, err)
					}
				}
			}
		}
	}
}

func TestVerifierIsNotSubmitter(t *testing.T) {
	c := caseIn(Submitted)
	c.SubmittedBy = "officer"
	if _, err := Next(c, ActVerify, pOfficer); !errors.Is(err, ErrForbidden) {
		t.Errorf("the submitter verified their own rectification: %v", err)
	}
	c.SubmittedBy = "OFFICER" // usernames compare without case
	if _, err := Next(c, ActVerify, pOfficer); !errors.Is(err, ErrForbidden) {
		t.Errorf("the submitter (other case) verified their own rectification: %v", err)
	}
	if s, err := Next(c, ActVerify, pCity); err != nil || s != Verified {
		t.Errorf("another officer could not verify: %v %v", s, err)
	}
	// The rule binds verification only: withdrawing (returning) one's own
	// submission for more work is allowed.
	if _, err := Next(c, ActReturn, pOfficer); err != nil {
		t.Errorf("return by the submitter: %v", err)
	}
}

func TestApproverIsNotVerifier(t *testing.T) {
	c := caseIn(Verified)
	c.VerifiedBy = "changsha"
	if _, err := Next(c, ActClose, pCity); !errors.Is(err, ErrForbidden) {
		t.Errorf("the verifier approved the closure: %v", err)
	}
	if s, err := Next(c, ActClose, pProvince); err != nil || s != Closed {
		t.Errorf("the province could not close: %v %v", s, err)
	}
}

func TestUnknownAction(t *testing.T) {
	if _, err := Next(caseIn(Registered), "approve", pAdmin); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
}

func TestAllowed(t *testing.T) {
	got := Allowed(caseIn(Registered), pCity)
	if !slices.Equal(got, []Action{ActAssign}) {
		t.Errorf("city on a registered case: %v, want [assign]", got)
	}
	if got := Allowed(caseIn(Rectifying), pEnterprise); !slices.Equal(got, []Action{ActReport, ActSubmit}) {
		t.Errorf("enterprise on its rectifying case: %v", got)
	}
	if got := Allowed(caseIn(Rectifying), pOtherEnt); len(got) != 0 {
		t.Errorf("another enterprise: %v, want none", got)
	}
}

func TestCaseValidate(t *testing.T) {
	ok := func() Case {
		return Case{Title: "某厂超标排放", Source: SourceCentralInspection, Category: "air", RegionCode: "430102", Deadline: time.Unix(1e9, 0)}
	}
	c := ok()
	if err := c.Validate(); err != nil || c.Severity != "medium" || c.State != Registered {
		t.Fatalf("valid case: %v %+v", err, c)
	}
	for field, mut := range map[string]func(*Case){
		"title":       func(c *Case) { c.Title = "  " },
		"source":      func(c *Case) { c.Source = "rumour" },
		"category":    func(c *Case) { c.Category = "smell" },
		"severity":    func(c *Case) { c.Severity = "urgent" },
		"region_code": func(c *Case) { c.RegionCode = "43010" },
		"deadline":    func(c *Case) { c.Deadline = time.Time{} },
	} {
		c := ok()
		mut(&c)
		err := c.Validate()
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v, want invalid naming the field", field, err)
		}
	}
}

func TestEscalationLevels(t *testing.T) {
	e := DefaultEscalation
	d := time.Date(2026, 6, 30, 0, 0, 0, 0, store.CST)
	for _, c := range []struct {
		now  time.Time
		want Level
	}{
		{d.Add(-72*time.Hour - time.Second), LevelNone},
		{d.Add(-72 * time.Hour), LevelReminder},
		{d, LevelReminder},
		{d.Add(7*24*time.Hour - time.Second), LevelReminder},
		{d.Add(7 * 24 * time.Hour), LevelEscalate},
		{d.Add(30*24*time.Hour - time.Second), LevelEscalate},
		{d.Add(30 * 24 * time.Hour), LevelListed},
		{d.AddDate(2, 0, 0), LevelListed},
	} {
		if got := e.Level(d, c.now); got != c.want {
			t.Errorf("at %s: %s, want %s", c.now.Sub(d), got, c.want)
		}
	}
	if e.Level(time.Time{}, d) != LevelNone {
		t.Error("a case without a deadline escalated")
	}
	// Raise never lowers, and leaves closed cases alone.
	c := Case{State: Rectifying, Deadline: d.AddDate(0, 1, 0), Level: LevelEscalate}
	if got := e.Raise(c, d); got != LevelEscalate {
		t.Errorf("a moved deadline lowered the level to %s", got)
	}
	c = Case{State: Closed, Deadline: d}
	if got := e.Raise(c, d.AddDate(1, 0, 0)); got != LevelNone {
		t.Errorf("a closed case escalated to %s", got)
	}
	if err := (Escalation{RemindBefore: 0, EscalateAfter: time.Hour, ListAfter: time.Hour}).Validate(); err == nil {
		t.Error("list-after = escalate-after accepted")
	}
}

func TestComplaintRules(t *testing.T) {
	c := Complaint{ID: 1, State: ComplaintReceived}
	if _, err := NextComplaint(c, CActAssign, pCity); !errors.Is(err, ErrForbidden) {
		t.Errorf("city assigned an unassigned complaint: %v", err)
	}
	if s, err := NextComplaint(c, CActAssign, pProvince); err != nil || s != ComplaintAssigned {
		t.Errorf("province assign: %v %v", s, err)
	}
	c.State, c.RegionCode = ComplaintAssigned, "430102"
	if _, err := NextComplaint(c, CActVerify, pOtherCity); !errors.Is(err, ErrForbidden) {
		t.Errorf("another city verified: %v", err)
	}
	if s, err := NextComplaint(c, CActVerify, pOfficer); err != nil || s != ComplaintVerified {
		t.Errorf("officer verify: %v %v", s, err)
	}
	if _, err := NextComplaint(c, CActFeedback, pCity); !errors.Is(err, store.ErrConflict) {
		t.Errorf("feedback before verification: %v", err)
	}
	c.State, c.Result = ComplaintVerified, ResultUnfounded
	if _, err := NextComplaint(c, CActReward, pProvince); !errors.Is(err, store.ErrConflict) {
		t.Errorf("reward for an unfounded report: %v", err)
	}
	c.Result = ResultConfirmed
	if s, err := NextComplaint(c, CActReward, pProvince); err != nil || s != ComplaintVerified {
		t.Errorf("reward keeps the state: %v %v", s, err)
	}
	for _, p := range []auth.Principal{pPublic, pEnterprise, pClient} {
		if _, err := NextComplaint(c, CActFeedback, p); !errors.Is(err, ErrForbidden) {
			t.Errorf("%q gave feedback: %v", p.Role, err)
		}
	}
}

func TestValidateComplaint(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, store.CST)
	good := Complaint{What: "河边排污口冒黑水", Address: "长沙市岳麓区某路", Contact: "138", Anonymous: true}
	if err := ValidateComplaint(&good, now); err != nil || good.Contact != "" || good.State != ComplaintReceived {
		t.Errorf("anonymous complaint: %v, contact %q", err, good.Contact)
	}
	for name, c := range map[string]Complaint{
		"what":     {Address: "x"},
		"address":  {What: "x"},
		"lon":      {What: "x", HasPoint: true, Lon: 28.2, Lat: 112.9},
		"happened": {What: "x", Address: "y", Happened: now.Add(48 * time.Hour)},
	} {
		if err := ValidateComplaint(&c, now); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
	pt := Complaint{What: "烟囱冒黄烟", HasPoint: true, Lon: 112.94, Lat: 28.23}
	if err := ValidateComplaint(&pt, now); err != nil {
		t.Errorf("a map point alone is a place: %v", err)
	}
}
