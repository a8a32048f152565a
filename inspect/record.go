package inspect

import (
	"errors"
	"fmt"
	"slices"
)

// RecordFormat names the record layout and the draw algorithm version.
const RecordFormat = "ecowatch-inspect-draw/1"

// Record is a published draw: the rules, the pool hashes (published
// before the draw), the seed and the result. With the two pool snapshots
// it is everything Verify needs.
type Record struct {
	Format             string `json:"format"`
	ID                 int64  `json:"id,omitempty"` // the store's draw id; not part of the check
	Plan               Plan   `json:"plan"`
	PlanHash           string `json:"plan_hash"`
	EnterprisePoolHash string `json:"enterprise_pool_hash"`
	OfficerPoolHash    string `json:"officer_pool_hash"`
	Seed               string `json:"seed"`
	// Redraw names the draw this one replaces and why; a draw itself is
	// never edited.
	RedrawOf int64  `json:"redraw_of,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Result   Result `json:"result"`
}

// NewRecord makes the record of a draw made with these arguments.
func NewRecord(ep EnterprisePool, op OfficerPool, plan Plan, seed string, res Result) Record {
	return Record{Format: RecordFormat, Plan: plan, PlanHash: Hash(plan.Canonical()),
		EnterprisePoolHash: Hash(ep.Canonical()), OfficerPoolHash: Hash(op.Canonical()), Seed: seed, Result: res}
}

// ResultHash is the SHA-256 of the result's canonical JSON: published
// with the pool hashes and seed while the result itself is withheld, it
// commits the draw to its result.
func (r Record) ResultHash() string { return Hash(canonical(r.Result)) }

// ParseRecord reads a record.
func ParseRecord(data []byte) (Record, error) {
	var r Record
	if err := strictUnmarshal(data, &r); err != nil {
		return r, fmt.Errorf("draw record: %w", err)
	}
	if r.Format != RecordFormat {
		return r, fmt.Errorf("draw record: %w", invalidf("format %q: this version checks %q", r.Format, RecordFormat))
	}
	return r, nil
}

// Mismatch is a verification failure: the first thing that differs.
type Mismatch struct {
	What       string // e.g. "enterprise pool hash", "assignments[3].team"
	Published  string
	Recomputed string
}

func (m *Mismatch) Error() string {
	return fmt.Sprintf("mismatch at %s: published %s, recomputed %s", m.What, m.Published, m.Recomputed)
}

// ErrMismatch is what every *Mismatch matches with errors.Is.
var ErrMismatch = errors.New("draw mismatch")

// Is makes errors.Is(err, ErrMismatch) true.
func (m *Mismatch) Is(target error) bool { return target == ErrMismatch }

// Verify recomputes a published draw from the pool snapshots: the hashes
// of the snapshots and of the plan must equal the published ones and the
// draw must give the same result. It returns nil, a *Mismatch naming the
// first difference, or an error about malformed input.
func Verify(rec Record, enterpriseSnapshot, officerSnapshot []byte) error {
	ep, err := ParseEnterprisePool(enterpriseSnapshot)
	if err != nil {
		return err
	}
	op, err := ParseOfficerPool(officerSnapshot)
	if err != nil {
		return err
	}
	plan := rec.Plan
	if err := plan.Validate(); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	for _, c := range []struct{ what, pub, got string }{
		{"enterprise pool hash", rec.EnterprisePoolHash, Hash(ep.Canonical())},
		{"officer pool hash", rec.OfficerPoolHash, Hash(op.Canonical())},
		{"plan hash", rec.PlanHash, Hash(plan.Canonical())},
	} {
		if c.pub != c.got {
			return &Mismatch{What: c.what, Published: c.pub, Recomputed: c.got}
		}
	}
	res, err := Draw(ep, op, plan, rec.Seed)
	if err != nil {
		return fmt.Errorf("recomputing the draw: %w", err)
	}
	if m := Diff(rec.Result, res); m != nil {
		return m
	}
	return nil
}

// Diff returns the first difference between a published and a recomputed
// result, or nil when they are equal.
func Diff(pub, got Result) *Mismatch {
	s := func(v any) string { return fmt.Sprint(v) }
	if len(pub.Groups) != len(got.Groups) {
		return &Mismatch{"number of groups", s(len(pub.Groups)), s(len(got.Groups))}
	}
	for i := range pub.Groups {
		if pub.Groups[i] != got.Groups[i] {
			return &Mismatch{fmt.Sprintf("groups[%d]", i), s(pub.Groups[i]), s(got.Groups[i])}
		}
	}
	if len(pub.Teams) != len(got.Teams) {
		return &Mismatch{"number of teams", s(len(pub.Teams)), s(len(got.Teams))}
	}
	for i := range pub.Teams {
		if pub.Teams[i].Team != got.Teams[i].Team || !slices.Equal(pub.Teams[i].Officers, got.Teams[i].Officers) {
			return &Mismatch{fmt.Sprintf("teams[%d]", i), s(pub.Teams[i]), s(got.Teams[i])}
		}
	}
	if len(pub.Assignments) != len(got.Assignments) {
		return &Mismatch{"number of assignments", s(len(pub.Assignments)), s(len(got.Assignments))}
	}
	for i := range pub.Assignments {
		if pub.Assignments[i] != got.Assignments[i] {
			return &Mismatch{fmt.Sprintf("assignments[%d]", i), s(pub.Assignments[i]), s(got.Assignments[i])}
		}
	}
	return nil
}
