package opendata

import (
	"encoding/json"
	"fmt"
	"time"

	"ecowatch/store"
)

// The parts of an enterprise's compliance page that other features own:
// its completed random inspections (双随机、一公开, issue 10) and its
// rectification cases (issue 7). They go through the policy like every
// other public record, so each field is a setting, and the private ones
// (officers' names, findings, internal notes, the complainant) are not
// declared and can never appear.

// CaseInfo is what the compliance page may show of a case, handed over by
// the cases feature; everything else a case holds (description, plan,
// timeline, assignee, who verified and closed it) stays out by
// construction.
type CaseInfo struct {
	ID          int64
	Source      string // alarm, complaint, inspection, central-inspection, …
	Category    string // air, water, soil, …
	Severity    string
	Point       string // the outlet's code, "" when none
	State       string // the workflow state (casework.State)
	Level       int    // escalation level: 2 督办, 3 挂牌督办
	Title       string
	Opened      time.Time
	Deadline    time.Time
	Closed      time.Time // zero while open
	Recurrences int
}

// caseSourcesPublished are the sources whose cases are published: the
// supervision sources that are themselves public (督察反馈, 警示片, 执法检查,
// verified complaints, monitoring alarms, inspections). A leader's
// instruction (领导批示) and a hazard screening (隐患排查) are internal
// working documents.
var caseSourcesPublished = map[string]bool{
	"alarm": true, "complaint": true, "inspection": true, "central-inspection": true, "central-inspection-follow-up": true,
	"yangtze-warning-film": true, "npc-enforcement-inspection": true, "provincial-inspection": true,
}

// PublicCaseState is the state the public sees: "rectifying" (整改中) from
// assignment until the rectification is reported done, "verifying" (核查中)
// while it is checked, "closed" (已销号). A case that is only registered
// has not been confirmed by anyone (an alarm's case may be a device's
// fault) and is not published: "" with ok false.
func PublicCaseState(state string) (string, bool) {
	switch state {
	case "assigned", "rectifying", "returned", "reopened":
		return "rectifying", true
	case "submitted", "verified":
		return "verifying", true
	case "closed":
		return "closed", true
	}
	return "", false
}

// CaseLevel names the escalation levels that are announced: 督办
// (supervised) and 挂牌督办 (listed); a reminder before the deadline is
// internal.
func CaseLevel(level int) string {
	switch {
	case level >= 3:
		return "listed"
	case level == 2:
		return "supervised"
	}
	return ""
}

// Case is a case's public record; ok is false for a case that is not
// published (its source or state, see caseSourcesPublished and
// PublicCaseState).
func (p *Policy) Case(c CaseInfo) (*Record, bool) {
	state, ok := PublicCaseState(c.State)
	if !ok || !caseSourcesPublished[c.Source] {
		return nil, false
	}
	day := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.In(store.CST).Format(time.DateOnly)
	}
	return p.New(Case).Set("id", c.ID).Set("source", c.Source).Set("category", c.Category).Set("severity", c.Severity).
		Set("point", c.Point).Set("state", state).Set("level", CaseLevel(c.Level)).Set("opened", day(c.Opened)).
		Set("deadline", day(c.Deadline)).Set("closed", day(c.Closed)).Set("recurrences", c.Recurrences).Set("title", c.Title), true
}

// FromJSON builds a record of a resource from a value's JSON object: the
// declared, published fields in column order; every other member is
// dropped. It suits a feature's own public view (inspect.PublicResult)
// whose JSON names are the declared field names.
func (p *Policy) FromJSON(r Resource, v any) (*Record, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("opendata: %s record from %T: %w", r, v, err)
	}
	rec := p.New(r)
	for _, f := range Fields[r] {
		if raw, ok := m[f.Name]; ok {
			rec.Set(f.Name, raw)
		}
	}
	return rec, nil
}
