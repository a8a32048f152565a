package inspect

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// GroupRule is the share of one group drawn in the plan's period.
type GroupRule struct {
	Group Group `json:"group"`
	// Ratio in (0, 1]: ceil(Ratio × the group's size in the region)
	// enterprises are drawn.
	Ratio float64 `json:"ratio"`
}

// Plan is what a draw is asked to do. Every field is part of the
// published rules and of the plan hash.
type Plan struct {
	Region string `json:"region"` // GB/T 2260 code of the province, a city or a county
	// Period: a year "2026", a quarter "2026Q4" or a month "2026-11".
	Period string      `json:"period"`
	Groups []GroupRule `json:"groups"`
	Teams  int         `json:"teams"`     // number of inspection teams, ≥ 1
	Size   int         `json:"team_size"` // officers per team, ≥ 2 (two-person rule)
	// FocusMin is the evidence count (alarms + complaints + violations)
	// that puts a non-key enterprise in the focus group; 0 means 1.
	FocusMin int `json:"focus_min"`
	// ExcludeDays: an enterprise inspected on or after this many days
	// before the period starts is not drawn (0: no exclusion).
	ExcludeDays int `json:"exclude_days"`
	// HomeCounty: an officer never inspects an enterprise in their home
	// county.
	HomeCounty bool `json:"home_county_rule"`
	// MaxPerTeam caps the enterprises one team gets (0: no cap).
	MaxPerTeam int `json:"max_per_team"`
}

var periodRE = regexp.MustCompile(`^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$`)

// PeriodRange returns the first day and the day after the last of a
// period ("2026", "2026Q4", "2026-11"), as dates at 00:00 UTC: only the
// calendar date matters.
func PeriodRange(period string) (start, end time.Time, err error) {
	m := periodRE.FindStringSubmatch(period)
	if m == nil {
		return start, end, invalidf("period %q: want YYYY, YYYYQn or YYYY-MM", period)
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 2200 {
		return start, end, invalidf("period %q: year out of 2000..2200", period)
	}
	switch {
	case m[2] != "":
		q, _ := strconv.Atoi(m[2])
		start = time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 3, 0)
	case m[3] != "":
		mo, _ := strconv.Atoi(m[3])
		start = time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
	default:
		start = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(1, 0, 0)
	}
	return start, end, nil
}

// Validate checks the plan and puts its groups in draw order.
func (p *Plan) Validate() error {
	if err := checkRegion("region", p.Region, false); err != nil {
		return err
	}
	if _, _, err := PeriodRange(p.Period); err != nil {
		return err
	}
	if len(p.Groups) == 0 {
		return invalidf("groups: empty; name at least one of key, focus, general with its ratio")
	}
	seen := map[Group]GroupRule{}
	for _, g := range p.Groups {
		if g.Group != GroupKey && g.Group != GroupFocus && g.Group != GroupGeneral {
			if !utf8.ValidString(string(g.Group)) || len(g.Group) > 40 {
				return invalidf("groups: unknown group")
			}
			return invalidf("groups: unknown group %q (want key, focus or general)", g.Group)
		}
		if _, dup := seen[g.Group]; dup {
			return invalidf("groups: %s listed twice", g.Group)
		}
		if math.IsNaN(g.Ratio) || g.Ratio <= 0 || g.Ratio > 1 {
			return invalidf("groups: %s ratio %v: want more than 0 and at most 1", g.Group, g.Ratio)
		}
		seen[g.Group] = g
	}
	p.Groups = p.Groups[:0]
	for _, g := range Groups {
		if r, ok := seen[g]; ok {
			p.Groups = append(p.Groups, r)
		}
	}
	if p.Teams < 1 || p.Teams > 1000 {
		return invalidf("teams %d: want 1 to 1000", p.Teams)
	}
	if p.Size < 2 || p.Size > 10 {
		return invalidf("team_size %d: want 2 to 10 (at least two officers per inspection)", p.Size)
	}
	if p.FocusMin < 0 || p.ExcludeDays < 0 || p.ExcludeDays > 3660 || p.MaxPerTeam < 0 {
		return invalidf("focus_min, exclude_days (at most 3660) and max_per_team must not be negative")
	}
	return nil
}

// Canonical returns the plan's canonical bytes; p must be validated.
func (p Plan) Canonical() []byte { return canonical(p) }

// ParsePlan reads and validates a plan.
func ParsePlan(data []byte) (Plan, error) {
	var p Plan
	if err := strictUnmarshal(data, &p); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("plan: %w", err)
	}
	return p, nil
}
