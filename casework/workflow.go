// Package casework is the rectification workflow of ecowatch: problems
// found by alarms, complaints, inspections and hazard checks, or entered by
// hand from a supervision source (中央环保督察, 警示片, …), followed from
// registration to closure (问题清单 → 整改清单 → 核查 → 销号), and the
// public complaints (12369-style reports) that feed it.
//
// The rules (workflow.go, escalation.go, complaint.go) are pure: no I/O,
// no clock; the caller passes who acts and when. The repository
// (repo.go) keeps cases, their timelines, complaints and attachment
// metadata over store.SQL and commits every change with its audit entry
// in one transaction.
//
// Example (what the API does for one transition):
//
//	next, err := casework.Next(c, casework.ActVerify, who)
//	if err != nil { /* ErrForbidden, or a conflict: not from this state */ }
//	// store c with State = next, append the timeline event and audit entry
package casework

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/store"
)

// State is where a case is in its workflow.
type State string

// The states of a case. Reopened is a closed case whose problem came
// back (防止反弹): it is assigned again and goes the same way.
const (
	Registered State = "registered" // 已登记: on the problem list
	Assigned   State = "assigned"   // 已交办: given to the units that rectify
	Rectifying State = "rectifying" // 整改中: plan made, progress reported
	Submitted  State = "submitted"  // 待核查: rectification reported done
	Verified   State = "verified"   // 已核查: checked on site or remotely
	Closed     State = "closed"     // 已销号: closure approved by a supervisor
	Returned   State = "returned"   // 已退回: verification or approval found it not done
	Reopened   State = "reopened"   // 已重启: the problem recurred after closure
)

// States lists every state in workflow order.
var States = []State{Registered, Assigned, Rectifying, Submitted, Verified, Closed, Returned, Reopened}

// Open reports whether a case in s still needs work (everything but
// closed).
func (s State) Open() bool { return s != Closed }

// Action is a step a person takes on a case.
type Action string

// The actions of the workflow.
const (
	ActAssign Action = "assign" // 交办 (also re-assign)
	ActStart  Action = "start"  // 制定整改方案, start or resume rectifying
	ActReport Action = "report" // 报送整改进展 (stays rectifying)
	ActSubmit Action = "submit" // 申请核查
	ActVerify Action = "verify" // 核查通过
	ActReturn Action = "return" // 退回
	ActClose  Action = "close"  // 销号
	ActReopen Action = "reopen" // 重启 (a recurrence)
)

// Actions lists every action.
var Actions = []Action{ActAssign, ActStart, ActReport, ActSubmit, ActVerify, ActReturn, ActClose, ActReopen}

// rule is one row of the transition table: from which states an action
// may be taken, the state it leads to, and which roles may take it.
type rule struct {
	from  []State
	to    State
	roles []auth.Role
}

// Supervisors assign and approve closure: the department's own officers
// above enforcement level. Rectifiers include the enterprise that caused
// the problem (its own cases only, by scope). Verifiers are the officers
// who can go on site.
var (
	supervisors = []auth.Role{auth.Admin, auth.Province, auth.City}
	rectifiers  = []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement, auth.Enterprise}
	verifiers   = []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}
)

var rules = map[Action]rule{
	ActAssign: {[]State{Registered, Assigned, Reopened}, Assigned, supervisors},
	ActStart:  {[]State{Assigned, Returned}, Rectifying, rectifiers},
	ActReport: {[]State{Rectifying}, Rectifying, rectifiers},
	ActSubmit: {[]State{Rectifying}, Submitted, rectifiers},
	ActVerify: {[]State{Submitted}, Verified, verifiers},
	ActReturn: {[]State{Submitted, Verified}, Returned, verifiers},
	ActClose:  {[]State{Verified}, Closed, supervisors},
	ActReopen: {[]State{Closed}, Reopened, supervisors},
}

// ErrForbidden is wrapped by the error of an action the principal may not
// take on the case: the role, the scope, or the four-eyes rules (the
// verifier is not the submitter, the approver of closure not the verifier).
var ErrForbidden = errors.New("forbidden")

// ErrState is wrapped (with store.ErrConflict) by the error of an action
// not possible from the case's current state.
var ErrState = errors.New("not allowed in this state")

// CanCreateRoles may register cases by hand.
var CanCreateRoles = []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}

// CanSee reports whether p may read case c: an enterprise user sees the
// cases of their enterprise, everyone else by region (as for any object of
// the registry).
func CanSee(p auth.Principal, c Case) bool {
	if p.Role == auth.Enterprise {
		return p.Enterprise != "" && c.EnterpriseCode == p.Enterprise
	}
	return p.CanSeeRegion(c.RegionCode)
}

// Allowed lists the actions p may take on c now, for the UI's buttons.
func Allowed(c Case, p auth.Principal) []Action {
	var out []Action
	for _, a := range Actions {
		if _, err := Next(c, a, p); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// Next checks that p may take action a on c and returns the state it
// leads to. Errors wrap ErrForbidden (role, scope, or p submitted the
// rectification being verified), or ErrState and store.ErrConflict (not
// from this state), or store.ErrInvalid (unknown action).
func Next(c Case, a Action, p auth.Principal) (State, error) {
	r, ok := rules[a]
	if !ok {
		return c.State, fmt.Errorf("%w: action %q: want one of %v", store.ErrInvalid, a, Actions)
	}
	if !p.SignedIn() || !slices.Contains(r.roles, p.Role) {
		return c.State, fmt.Errorf("%w: role %q may not %s a case", ErrForbidden, p.Role, a)
	}
	if !CanSee(p, c) {
		return c.State, fmt.Errorf("%w: case %d is outside your region or enterprise", ErrForbidden, c.ID)
	}
	if !slices.Contains(r.from, c.State) {
		return c.State, fmt.Errorf("%w: %w: cannot %s a case that is %s", store.ErrConflict, ErrState, a, c.State)
	}
	// 核查 by someone other than the one who reported the work done: the
	// check is worth nothing when the rectifier checks themselves.
	if a == ActVerify && c.SubmittedBy != "" && strings.EqualFold(c.SubmittedBy, p.Username) {
		return c.State, fmt.Errorf("%w: %s submitted this rectification and may not verify it", ErrForbidden, p.Username)
	}
	// 销号 is a second check: the supervisor approving it is not the one
	// who verified.
	if a == ActClose && c.VerifiedBy != "" && strings.EqualFold(c.VerifiedBy, p.Username) {
		return c.State, fmt.Errorf("%w: %s verified this case and may not also approve its closure", ErrForbidden, p.Username)
	}
	return r.to, nil
}

// Source is where a case came from.
type Source string

// Sources of cases: objects of other domains, and the supervision
// sources a case is entered from by hand.
const (
	SourceAlarm      Source = "alarm"
	SourceComplaint  Source = "complaint"
	SourceInspection Source = "inspection"
	SourceHazard     Source = "hazard"
	// 中央生态环境保护督察反馈意见
	SourceCentralInspection Source = "central-inspection"
	// 中央生态环境保护督察"回头看"
	SourceCentralFollowUp Source = "central-inspection-follow-up"
	// 长江经济带生态环境警示片
	SourceYangtzeFilm Source = "yangtze-warning-film"
	// 全国人大常委会执法检查
	SourceNPCInspection Source = "npc-enforcement-inspection"
	// 省级生态环境保护督察
	SourceProvincialInspection Source = "provincial-inspection"
	// 领导批示
	SourceLeaderInstruction Source = "leaders-instruction"
)

// Sources lists every source.
var Sources = []Source{SourceAlarm, SourceComplaint, SourceInspection, SourceHazard, SourceCentralInspection, SourceCentralFollowUp,
	SourceYangtzeFilm, SourceNPCInspection, SourceProvincialInspection, SourceLeaderInstruction}

// Categories of problems (the environment they concern).
var Categories = []string{"air", "water", "soil", "solid-waste", "ecology", "noise", "radiation"}

// Severities, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// VerifyMethods: on site (现场核查) or remotely (非现场核查: monitoring data,
// video, documents).
var VerifyMethods = []string{"on-site", "remote"}

// Case is a rectification case.
type Case struct {
	ID          int64
	Title       string
	Description string
	Source      Source
	SourceRef   string // "alarm:42", "complaint:7"; "" when entered by hand
	Category    string
	Severity    string
	RegionCode  string // GB/T 2260 code of the city or county
	// EnterpriseCode and PointCode name the discharger, "" when none.
	EnterpriseCode string
	PointCode      string
	// LeadDepartment is the code of the 牵头单位, ResponsibleUnits those
	// of the 责任单位 (departments of the registry).
	LeadDepartment   string
	ResponsibleUnits []string
	Deadline         time.Time
	State            State
	// Level is the highest escalation reached (it never drops).
	Level       Level
	Assignee    string // who rectifies: a username or a unit's name
	Plan        string // the rectification plan (整改方案)
	Milestones  []Milestone
	SubmittedBy string
	VerifiedBy  string
	// VerifyMethod is on-site or remote.
	VerifyMethod string
	ClosedBy     string
	Recurrences  int // times reopened
	CreatedBy    string
	Created      time.Time
	Updated      time.Time
	ClosedAt     time.Time // zero while open
}

// Milestone is a dated step of a rectification plan.
type Milestone struct {
	Title string    `json:"title"`
	Due   time.Time `json:"due"`
	Done  bool      `json:"done"`
}

// DefaultDeadline is the deadline of a case opened without one (from an
// alarm, a complaint): the more severe, the sooner.
func DefaultDeadline(severity string, from time.Time) time.Time {
	days := map[string]int{"critical": 7, "high": 15, "medium": 30, "low": 60}[severity]
	if days == 0 {
		days = 30
	}
	return from.AddDate(0, 0, days)
}

// Validate checks a new case and fills defaults (severity medium, state
// registered); every error wraps store.ErrInvalid and names the field.
func (c *Case) Validate() error {
	c.Title = strings.TrimSpace(c.Title)
	switch {
	case c.Title == "":
		return invalid("title", "empty")
	case len([]rune(c.Title)) > 200:
		return invalid("title", "longer than 200 characters")
	case len(c.Description) > 20000:
		return invalid("description", "longer than 20,000 bytes")
	case !slices.Contains(Sources, c.Source):
		return invalid("source", "%q: want one of %v", c.Source, Sources)
	case !slices.Contains(Categories, c.Category):
		return invalid("category", "%q: want one of %v", c.Category, Categories)
	}
	if c.Severity == "" {
		c.Severity = "medium"
	}
	if !slices.Contains(Severities, c.Severity) {
		return invalid("severity", "%q: want one of %v", c.Severity, Severities)
	}
	if !isRegionCode(c.RegionCode) {
		return invalid("region_code", "%q: want a six-digit GB/T 2260 code", c.RegionCode)
	}
	if c.Deadline.IsZero() {
		return invalid("deadline", "missing")
	}
	if len(c.ResponsibleUnits) > 50 {
		return invalid("responsible_units", "more than 50")
	}
	if c.State == "" {
		c.State = Registered
	}
	return nil
}

func isRegionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", store.ErrInvalid, field, fmt.Sprintf(format, args...))
}
