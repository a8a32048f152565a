package inspect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Stream is the draw's pseudo-random number generator, documented so that
// anyone can re-implement it:
//
//	key     = SHA-256("ecowatch/inspect/draw/v1" ‖ 0x0A ‖ seed ‖ 0x0A ‖
//	                  enterprise pool hash ‖ 0x0A ‖ officer pool hash ‖ 0x0A ‖ plan hash)
//	block i = HMAC-SHA256(key, uint64 big-endian i), i = 0, 1, 2, …
//
// (hashes as lowercase hex text). Each block yields four uint64 words
// (big-endian, in order). Uniform(n) takes words until one is at least
// (2⁶⁴ mod n) and returns it mod n (no modulo bias). Binding the key to
// the three hashes means a changed pool or plan gives a different draw
// even with the same seed.
type Stream struct {
	key   []byte
	block uint64
	buf   [32]byte
	used  int // words of buf consumed
}

// NewStream derives the stream of a draw.
func NewStream(seed, enterpriseHash, officerHash, planHash string) *Stream {
	h := sha256.New()
	h.Write([]byte("ecowatch/inspect/draw/v1"))
	for _, s := range []string{seed, enterpriseHash, officerHash, planHash} {
		h.Write([]byte{'\n'})
		h.Write([]byte(s))
	}
	return &Stream{key: h.Sum(nil), used: 4}
}

// Uint64 returns the next word of the stream.
func (s *Stream) Uint64() uint64 {
	if s.used == 4 {
		m := hmac.New(sha256.New, s.key)
		var ctr [8]byte
		binary.BigEndian.PutUint64(ctr[:], s.block)
		m.Write(ctr[:])
		m.Sum(s.buf[:0])
		s.block++
		s.used = 0
	}
	w := binary.BigEndian.Uint64(s.buf[8*s.used:])
	s.used++
	return w
}

// Uniform returns a uniform integer in [0, n); n must be positive.
func (s *Stream) Uniform(n int) int {
	u := uint64(n)
	threshold := -u % u // 2⁶⁴ mod n
	for {
		if x := s.Uint64(); x >= threshold {
			return int(x % u)
		}
	}
}

// shuffle is Fisher–Yates (Knuth's algorithm P) from the last element down.
func shuffle[T any](s *Stream, xs []T) {
	for i := len(xs) - 1; i > 0; i-- {
		j := s.Uniform(i + 1)
		xs[i], xs[j] = xs[j], xs[i]
	}
}

// Refusal is a plan the pools cannot satisfy; Code is stable, Reason says
// what is short and by how much.
type Refusal struct {
	Code   string // pool_region, empty, group_short, officers_short, team_capacity, conflict
	Reason string
}

func (r *Refusal) Error() string { return "plan refused (" + r.Code + "): " + r.Reason }

// ErrRefused is what every *Refusal matches with errors.Is.
var ErrRefused = errors.New("plan refused")

// Is makes errors.Is(err, ErrRefused) true.
func (r *Refusal) Is(target error) bool { return target == ErrRefused }

func refuse(code, format string, args ...any) error {
	return &Refusal{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// GroupCount is one group's part of a draw.
type GroupCount struct {
	Group    Group   `json:"group"`
	Ratio    float64 `json:"ratio"`
	Size     int     `json:"size"`     // enterprises of the group in the region
	Excluded int     `json:"excluded"` // left out as recently inspected
	Drawn    int     `json:"drawn"`
}

// Team is one inspection team, officers by id in ascending order.
type Team struct {
	Team     int      `json:"team"` // 1-based
	Officers []string `json:"officers"`
}

// Assignment is one drawn enterprise and the team that inspects it.
type Assignment struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	Group      Group  `json:"group"`
	Team       int    `json:"team"`
}

// Result is the outcome of a draw.
type Result struct {
	Groups      []GroupCount `json:"groups"`
	Teams       []Team       `json:"teams"`
	Assignments []Assignment `json:"assignments"`
}

// CheckSeed accepts a seed: 1 to 200 bytes of printable UTF-8 (a hex
// string from a random source, or a lottery draw's numbers and date).
func CheckSeed(seed string) error {
	if seed == "" || len(seed) > 200 || !utf8.ValidString(seed) {
		return invalidf("seed: want 1 to 200 bytes of UTF-8")
	}
	for _, r := range seed {
		if !unicode.IsPrint(r) {
			return invalidf("seed: control character %U", r)
		}
	}
	return nil
}

// Draw draws enterprises per group, then the teams, then assigns each
// drawn enterprise to a team without a conflict of interest. It is a
// deterministic function of its arguments; the pools and plan are
// validated (and so put in canonical order) first. The order of use of
// the stream is part of the contract:
//
//  1. For each planned group in the order key, focus, general: the
//     group's eligible enterprises (in the region, not inspected on or
//     after ExcludeDays before the period's start) in credit-code order are shuffled
//     and the first ceil(ratio × group size) drawn.
//  2. The eligible officers (serving a region overlapping the plan's,
//     available, certified through the period's first day) in id order
//     are shuffled; team k (1-based) gets positions (k-1)·size … k·size-1.
//  3. Drawn enterprises in draw order each go to the team with the
//     fewest enterprises so far among the teams with no member linked to
//     it (nor, under the home-county rule, from its county) and below
//     MaxPerTeam; ties are broken by Uniform(number of tied teams) over
//     the tied teams in team order. When an enterprise finds no such
//     team, steps 2 and 3 are repeated (the stream continues) up to 100
//     times before the plan is refused.
func Draw(ep EnterprisePool, op OfficerPool, plan Plan, seed string) (Result, error) {
	var res Result
	if err := CheckSeed(seed); err != nil {
		return res, err
	}
	if err := ep.Validate(); err != nil {
		return res, fmt.Errorf("enterprise pool: %w", err)
	}
	if err := op.Validate(); err != nil {
		return res, fmt.Errorf("officer pool: %w", err)
	}
	if err := plan.Validate(); err != nil {
		return res, fmt.Errorf("plan: %w", err)
	}
	if !InRegion(plan.Region, ep.Region) || !InRegion(plan.Region, op.Region) {
		return res, refuse("pool_region", "the plan's region %s is outside the pools' regions (enterprises %s, officers %s)", plan.Region, ep.Region, op.Region)
	}
	s := NewStream(seed, Hash(ep.Canonical()), Hash(op.Canonical()), Hash(plan.Canonical()))
	start, _, _ := PeriodRange(plan.Period)
	cutoff := ""
	if plan.ExcludeDays > 0 {
		cutoff = start.AddDate(0, 0, -plan.ExcludeDays).Format(time.DateOnly)
	}
	startDay := start.Format(time.DateOnly)

	// 1. Enterprises.
	var drawn []Enterprise
	var drawnGroup []Group
	for _, g := range plan.Groups {
		gc := GroupCount{Group: g.Group, Ratio: g.Ratio}
		var eligible []Enterprise
		for _, e := range ep.Enterprises {
			if !InRegion(e.Region, plan.Region) || GroupOf(e, plan.FocusMin) != g.Group {
				continue
			}
			gc.Size++
			// Inspected on or after the cutoff, including within the period
			// (a redraw after some inspections were made), is recent.
			if cutoff != "" && e.LastInspected >= cutoff {
				gc.Excluded++
				continue
			}
			eligible = append(eligible, e)
		}
		n := int(math.Ceil(g.Ratio*float64(gc.Size) - 1e-9))
		if n > len(eligible) {
			return Result{}, refuse("group_short", "group %s: ratio %v of %d enterprises needs %d, but only %d are eligible (%d inspected since %d days before %s)",
				g.Group, g.Ratio, gc.Size, n, len(eligible), gc.Excluded, plan.ExcludeDays, startDay)
		}
		shuffle(s, eligible)
		gc.Drawn = n
		for _, e := range eligible[:n] {
			drawn = append(drawn, e)
			drawnGroup = append(drawnGroup, g.Group)
		}
		res.Groups = append(res.Groups, gc)
	}
	if len(drawn) == 0 {
		return Result{}, refuse("empty", "no enterprise of the planned groups lies in region %s", plan.Region)
	}

	// 2. Officers and teams.
	var officers []Officer
	var unavailable, uncertified, outside int
	for _, o := range op.Officers {
		switch {
		case !InRegion(o.Region, plan.Region) && !InRegion(plan.Region, o.Region):
			outside++
		case !o.Available:
			unavailable++
		case o.Certificate == "" || (o.CertificateValidUntil != "" && o.CertificateValidUntil < startDay):
			uncertified++
		default:
			officers = append(officers, o)
		}
	}
	need := plan.Teams * plan.Size
	if len(officers) < need {
		return Result{}, refuse("officers_short", "%d teams of %d need %d officers, but only %d are eligible (%d outside region %s, %d unavailable, %d without a valid certificate on %s)",
			plan.Teams, plan.Size, need, len(officers), outside, plan.Region, unavailable, uncertified, startDay)
	}
	if plan.MaxPerTeam > 0 && len(drawn) > plan.Teams*plan.MaxPerTeam {
		return Result{}, refuse("team_capacity", "%d enterprises drawn, but %d teams of at most %d enterprises take %d",
			len(drawn), plan.Teams, plan.MaxPerTeam, plan.Teams*plan.MaxPerTeam)
	}
	var lastRefusal error
	for attempt := 0; attempt < teamAttempts; attempt++ {
		teams, assigned, err := drawTeams(s, officers, drawn, drawnGroup, plan)
		if err == nil {
			res.Teams, res.Assignments = teams, assigned
			return res, nil
		}
		lastRefusal = err
	}
	return Result{}, fmt.Errorf("after %d team draws: %w", teamAttempts, lastRefusal)
}

// teamAttempts is how many times the teams are drawn anew when one draw
// leaves an enterprise without a conflict-free team (step 3 of Draw).
const teamAttempts = 100

// drawTeams is steps 2 and 3 of Draw: one draw of the teams from the
// eligible officers and the assignment of the drawn enterprises.
func drawTeams(s *Stream, eligible []Officer, drawn []Enterprise, drawnGroup []Group, plan Plan) ([]Team, []Assignment, error) {
	officers := slices.Clone(eligible)
	shuffle(s, officers)
	teams := make([][]Officer, plan.Teams)
	var out []Team
	for k := range teams {
		teams[k] = officers[k*plan.Size : (k+1)*plan.Size]
		ids := make([]string, plan.Size)
		for i, o := range teams[k] {
			ids[i] = o.ID
		}
		slices.Sort(ids)
		out = append(out, Team{Team: k + 1, Officers: ids})
	}
	var assigned []Assignment
	load := make([]int, plan.Teams)
	for i, e := range drawn {
		var cands []int
		best := math.MaxInt
		for k, team := range teams {
			if conflicted(team, e, plan.HomeCounty) {
				continue
			}
			if plan.MaxPerTeam > 0 && load[k] >= plan.MaxPerTeam {
				continue
			}
			switch {
			case load[k] < best:
				best, cands = load[k], []int{k}
			case load[k] == best:
				cands = append(cands, k)
			}
		}
		if len(cands) == 0 {
			// The reasons are written only now: building them for every
			// conflicting team of every enterprise is most of a large draw's time.
			var why []string
			for k, team := range teams {
				if c := Conflict(team, e, plan.HomeCounty); c != "" {
					why = append(why, fmt.Sprintf("team %d: %s", k+1, c))
				}
			}
			return nil, nil, refuse("conflict", "enterprise %s (%s) has no team free of conflicts of interest with room left: %s",
				e.CreditCode, e.Name, strings.Join(why, "; "))
		}
		k := cands[0]
		if len(cands) > 1 {
			k = cands[s.Uniform(len(cands))]
		}
		load[k]++
		assigned = append(assigned, Assignment{CreditCode: e.CreditCode, Name: e.Name, Region: e.Region, Group: drawnGroup[i], Team: k + 1})
	}
	return out, assigned, nil
}

// conflicted is Conflict(team, e, homeCounty) != "" without the text.
func conflicted(team []Officer, e Enterprise, homeCounty bool) bool {
	for _, o := range team {
		if _, linked := slices.BinarySearch(o.Links, e.CreditCode); linked {
			return true
		}
		if homeCounty && o.HomeCounty != "" && InRegion(e.Region, o.HomeCounty) {
			return true
		}
	}
	return false
}

// Conflict returns why a team may not inspect e ("" when it may): a member
// linked to e, or, under the home-county rule, a member from e's county.
// The officers' Links must be sorted (Validate does it).
func Conflict(team []Officer, e Enterprise, homeCounty bool) string {
	for _, o := range team {
		if _, linked := slices.BinarySearch(o.Links, e.CreditCode); linked {
			return fmt.Sprintf("officer %s is linked to %s", o.ID, e.CreditCode)
		}
		if homeCounty && o.HomeCounty != "" && InRegion(e.Region, o.HomeCounty) {
			return fmt.Sprintf("officer %s comes from county %s", o.ID, o.HomeCounty)
		}
	}
	return ""
}
