package casework

import (
	"context"
	"sort"
	"time"
)

// Stats are the command centre's figures of the cases in a scope.
type Stats struct {
	Open    int
	Closed  int
	Overdue int
	// ByLevel counts open cases by escalation level (index: Level).
	ByLevel [4]int
	// AvgCloseDays is the mean time from registration to closure of the
	// closed cases, in days (0 when none is closed).
	AvgCloseDays float64
	ByDepartment []Group
	ByCity       []Group
	ByState      map[State]int
}

// Group is one row of a breakdown.
type Group struct {
	Key          string // department code or city code
	Open         int
	Closed       int
	Overdue      int
	AvgCloseDays float64
}

// Stats computes the figures over the cases f selects (scope fields and
// filters; paging is ignored) at now. Cases are read in one pass: the
// breakdowns need every case's deadline against now anyway.
func (r *Repo) Stats(ctx context.Context, f Filter, now time.Time) (Stats, error) {
	f.Limit, f.Offset = 0, 0
	w, args := r.where(f)
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT state, region_code, lead_department, deadline, level, created, closed_at FROM rect_case`+w), args...)
	if err != nil {
		return Stats{}, err
	}
	defer rows.Close()
	st := Stats{ByState: map[State]int{}}
	type acc struct {
		g   Group
		sum float64
	}
	deps, cities := map[string]*acc{}, map[string]*acc{}
	var sum float64
	for rows.Next() {
		var s State
		var region, dep string
		var deadline, created, closedAt int64
		var level int
		if err := rows.Scan(&s, &region, &dep, &deadline, &level, &created, &closedAt); err != nil {
			return st, err
		}
		city := region
		if len(region) == 6 {
			city = region[:4] + "00"
		}
		if dep == "" {
			dep = "-"
		}
		st.ByState[s]++
		c := Case{State: s, Deadline: unix(deadline)}
		for _, km := range []struct {
			key string
			m   map[string]*acc
		}{{dep, deps}, {city, cities}} {
			key, m := km.key, km.m
			a := m[key]
			if a == nil {
				a = &acc{g: Group{Key: key}}
				m[key] = a
			}
			if s.Open() {
				a.g.Open++
				if Overdue(c, now) {
					a.g.Overdue++
				}
			} else {
				a.g.Closed++
				a.sum += float64(closedAt-created) / 86400
			}
		}
		if s.Open() {
			st.Open++
			if Overdue(c, now) {
				st.Overdue++
			}
			if level >= 0 && level < len(st.ByLevel) {
				st.ByLevel[level]++
			}
		} else {
			st.Closed++
			sum += float64(closedAt-created) / 86400
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if st.Closed > 0 {
		st.AvgCloseDays = sum / float64(st.Closed)
	}
	flat := func(m map[string]*acc) []Group {
		out := make([]Group, 0, len(m))
		for _, a := range m {
			if a.g.Closed > 0 {
				a.g.AvgCloseDays = a.sum / float64(a.g.Closed)
			}
			out = append(out, a.g)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Open != out[j].Open {
				return out[i].Open > out[j].Open
			}
			return out[i].Key < out[j].Key
		})
		return out
	}
	st.ByDepartment, st.ByCity = flat(deps), flat(cities)
	return st, nil
}
