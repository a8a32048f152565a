package casework

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"ecowatch/auth"
	"ecowatch/store"
)

// ComplaintState is where a public complaint (举报) is in triage.
type ComplaintState string

// The states of a complaint.
const (
	ComplaintReceived ComplaintState = "received" // 已受理
	ComplaintAssigned ComplaintState = "assigned" // 已转办 to a city
	ComplaintVerified ComplaintState = "verified" // 已核实 (with a result)
	ComplaintClosed   ComplaintState = "closed"   // 已办结: feedback given
	ComplaintMerged   ComplaintState = "merged"   // 已合并 into another report of the same problem
)

// Verification results (核实结果).
const (
	ResultConfirmed = "confirmed" // 属实
	ResultUnfounded = "unfounded" // 不属实
	ResultPartly    = "partly"    // 部分属实
)

// Results lists the verification results.
var Results = []string{ResultConfirmed, ResultUnfounded, ResultPartly}

// Reward decisions (有奖举报).
const (
	RewardGranted = "granted"
	RewardDenied  = "denied"
)

// Complaint is a report from the public.
type Complaint struct {
	ID           int64
	TrackingCode string
	What         string
	Address      string
	// Lon, Lat: a point on the map (WGS 84), when HasPoint.
	Lon, Lat float64
	HasPoint bool
	// Happened is when the reporter saw it; zero when not given.
	Happened  time.Time
	Contact   string // "" when anonymous or not given
	Anonymous bool
	// RegionCode is the city (or county) the complaint concerns: the
	// reporter's choice at first, the triage's assignment later.
	RegionCode string
	State      ComplaintState
	MergedInto int64
	Result     string // one of Results once verified
	// Feedback is the public result shown with the tracking code.
	Feedback string
	// Note is internal (never shown to the public).
	Note           string
	RewardDecision string // "", granted, denied
	RewardAmount   int64  // yuan
	CaseID         int64  // the case opened from it, 0 when none
	Remote         string // the submitting address, for abuse handling only
	Created        time.Time
	Updated        time.Time
}

// Complaint input bounds: a report is a few paragraphs, not a document.
const (
	MaxComplaintText = 5000 // characters of What
	MaxAddress       = 300
	MaxContact       = 100
	MaxPhotos        = 6
)

// ValidateComplaint checks a new complaint as submitted at now and fills
// defaults; every error wraps store.ErrInvalid and names the field.
func ValidateComplaint(c *Complaint, now time.Time) error {
	c.What = strings.TrimSpace(c.What)
	c.Address = strings.TrimSpace(c.Address)
	c.Contact = strings.TrimSpace(c.Contact)
	switch {
	case c.What == "":
		return invalid("what", "empty: say what you saw")
	case !utf8.ValidString(c.What) || !utf8.ValidString(c.Address) || !utf8.ValidString(c.Contact):
		return invalid("what", "not UTF-8 text")
	case utf8.RuneCountInString(c.What) > MaxComplaintText:
		return invalid("what", "longer than %d characters", MaxComplaintText)
	case utf8.RuneCountInString(c.Address) > MaxAddress:
		return invalid("address", "longer than %d characters", MaxAddress)
	case utf8.RuneCountInString(c.Contact) > MaxContact:
		return invalid("contact", "longer than %d characters", MaxContact)
	case c.Address == "" && !c.HasPoint:
		return invalid("address", "give an address or a point on the map")
	}
	// China lies within about 73–136° E, 3–54° N; a point outside is a
	// mistake (or lat/lon swapped).
	if c.HasPoint && (c.Lon < 73 || c.Lon > 136 || c.Lat < 3 || c.Lat > 54) {
		return invalid("lon", "point %.5f, %.5f is outside China (want lon 73–136, lat 3–54)", c.Lon, c.Lat)
	}
	if !c.Happened.IsZero() && c.Happened.After(now.Add(time.Hour)) {
		return invalid("happened", "in the future")
	}
	if c.RegionCode != "" && !isRegionCode(c.RegionCode) {
		return invalid("region_code", "%q: want a six-digit GB/T 2260 code", c.RegionCode)
	}
	if c.Anonymous {
		c.Contact = ""
	}
	c.State = ComplaintReceived
	return nil
}

// ComplaintAction is a triage step.
type ComplaintAction string

// The triage actions.
const (
	CActAssign   ComplaintAction = "assign"   // 转办 to a city
	CActMerge    ComplaintAction = "merge"    // 合并重复举报
	CActVerify   ComplaintAction = "verify"   // 核实结果
	CActFeedback ComplaintAction = "feedback" // 反馈 (the public result) and close
	CActReward   ComplaintAction = "reward"   // 奖励决定
)

var complaintRules = map[ComplaintAction]rule{
	CActAssign:   {[]State{State(ComplaintReceived), State(ComplaintAssigned)}, State(ComplaintAssigned), []auth.Role{auth.Admin, auth.Province}},
	CActMerge:    {[]State{State(ComplaintReceived), State(ComplaintAssigned)}, State(ComplaintMerged), []auth.Role{auth.Admin, auth.Province, auth.City}},
	CActVerify:   {[]State{State(ComplaintAssigned)}, State(ComplaintVerified), []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}},
	CActFeedback: {[]State{State(ComplaintVerified)}, State(ComplaintClosed), []auth.Role{auth.Admin, auth.Province, auth.City}},
	CActReward:   {[]State{State(ComplaintVerified), State(ComplaintClosed)}, "", []auth.Role{auth.Admin, auth.Province}},
}

// TriageRoles may read complaints (within their region).
var TriageRoles = []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}

// CanSeeComplaint: the province-wide roles see every complaint; a city
// or enforcement officer those assigned (or addressed) to their region.
func CanSeeComplaint(p auth.Principal, c Complaint) bool {
	if !slices.Contains(TriageRoles, p.Role) {
		return false
	}
	prefix, ok := p.RegionPrefix()
	if !ok {
		return false
	}
	return prefix == "" || (c.RegionCode != "" && strings.HasPrefix(c.RegionCode, prefix))
}

// NextComplaint checks that p may take action a on c and returns the
// state it leads to (a reward keeps the state). Errors as for Next.
func NextComplaint(c Complaint, a ComplaintAction, p auth.Principal) (ComplaintState, error) {
	r, ok := complaintRules[a]
	if !ok {
		return c.State, fmt.Errorf("%w: action %q: want assign, merge, verify, feedback or reward", store.ErrInvalid, a)
	}
	if !p.SignedIn() || !slices.Contains(r.roles, p.Role) {
		return c.State, fmt.Errorf("%w: role %q may not %s a complaint", ErrForbidden, p.Role, a)
	}
	if !CanSeeComplaint(p, c) {
		return c.State, fmt.Errorf("%w: complaint %d is outside your region", ErrForbidden, c.ID)
	}
	if !slices.Contains(r.from, State(c.State)) {
		return c.State, fmt.Errorf("%w: %w: cannot %s a complaint that is %s", store.ErrConflict, ErrState, a, c.State)
	}
	if a == CActReward && c.Result == ResultUnfounded {
		return c.State, fmt.Errorf("%w: %w: an unfounded report earns no reward", store.ErrConflict, ErrState)
	}
	if r.to == "" {
		return c.State, nil
	}
	return ComplaintState(r.to), nil
}

// Confirmed reports whether a verification result makes the complaint a
// case (属实 or 部分属实).
func Confirmed(result string) bool { return result == ResultConfirmed || result == ResultPartly }
