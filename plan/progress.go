package plan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// cst is China Standard Time: report periods are cut in UTC+8 whatever the
// server's zone (as the store cuts days and months).
var cst = time.FixedZone("CST", 8*3600)

// Status is a task's state for one party (a department or a city).
type Status string

// Statuses, in the order a board shows them.
const (
	NotStarted Status = "not_started" // 未启动
	OnTrack    Status = "on_track"    // 按计划推进
	Delayed    Status = "delayed"     // 滞后
	Done       Status = "done"        // 已完成
)

// ParseStatus accepts a status name.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case NotStarted, OnTrack, Delayed, Done:
		return st, nil
	}
	return "", fmt.Errorf("%w: status %q: want not_started, on_track, delayed or done", ErrInvalid, s)
}

// PartyKind says whether a party is a lead department or a city.
type PartyKind string

// Party kinds.
const (
	PartyDepartment PartyKind = "department"
	PartyCity       PartyKind = "city"
)

// Party is who carries out a task: a lead department (by its registry
// code) or a city government (by its GB/T 2260 code).
type Party struct {
	Kind PartyKind `json:"kind"`
	Code string    `json:"code"`
	Name string    `json:"name"`
}

// Period is one reporting period of a schedule.
type Period struct {
	Key   string    `json:"key"`   // "2020Q1"
	Start time.Time `json:"start"` // first instant of the period (CST)
	End   time.Time `json:"end"`   // first instant after it
	Due   time.Time `json:"due"`   // the report is due before this instant
}

// Schedule is when progress reports are due: one per quarter of Year,
// due GraceDays after the quarter ends (the 10th of the next month by
// default, when quarterly figures are usually compiled).
type Schedule struct {
	Year      int
	GraceDays int
}

// Periods returns the schedule's four quarters.
func (s Schedule) Periods() []Period {
	grace := s.GraceDays
	if grace <= 0 {
		grace = 10
	}
	out := make([]Period, 4)
	for q := 0; q < 4; q++ {
		start := time.Date(s.Year, time.Month(1+3*q), 1, 0, 0, 0, 0, cst)
		end := start.AddDate(0, 3, 0)
		out[q] = Period{Key: fmt.Sprintf("%dQ%d", s.Year, q+1), Start: start, End: end, Due: end.AddDate(0, 0, grace)}
	}
	return out
}

// Period finds a period by key, e.g. "2020Q3".
func (s Schedule) Period(key string) (Period, error) {
	for _, p := range s.Periods() {
		if p.Key == key {
			return p, nil
		}
	}
	return Period{}, fmt.Errorf("%w: period %q: want %dQ1 … %dQ4", ErrInvalid, key, s.Year, s.Year)
}

// ParsePeriodYear returns the year of a period key like "2020Q3".
func ParsePeriodYear(key string) (int, error) {
	y, q, ok := strings.Cut(key, "Q")
	n, err := strconv.Atoi(y)
	if !ok || err != nil || len(y) != 4 || (q != "1" && q != "2" && q != "3" && q != "4") {
		return 0, fmt.Errorf("%w: period %q: want YYYYQn, e.g. 2020Q1", ErrInvalid, key)
	}
	return n, nil
}

// Report is one progress report of a party on a task for a period.
type Report struct {
	TaskID   int64
	Party    Party
	Period   string
	Status   Status
	Percent  int // 0..100, the party's own estimate
	Filed    time.Time
	Returned bool // a supervisor sent it back: it does not count as filed
}

// Due is a report that is due and missing (or late) for a task and party.
type Due struct {
	TaskID  int64
	Party   Party
	Period  string
	Due     time.Time
	Overdue bool // now is past Due with no report filed
	// DaysLate is how many whole days past due (0 when not overdue).
	DaysLate int
}

// Assignment is a task carried out by a party.
type Assignment struct {
	TaskID int64
	Party  Party
}

func partyKey(p Party) string { return string(p.Kind) + ":" + p.Code }

type assignKey struct {
	task  int64
	party string
}

// index keeps the valid (not returned) reports per task and party, in
// period order.
func index(reports []Report) map[assignKey][]Report {
	m := map[assignKey][]Report{}
	for _, r := range reports {
		if r.Returned {
			continue
		}
		k := assignKey{r.TaskID, partyKey(r.Party)}
		m[k] = append(m[k], r)
	}
	for _, rs := range m {
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].Period != rs[j].Period {
				return rs[i].Period < rs[j].Period
			}
			return rs[i].Filed.Before(rs[j].Filed)
		})
	}
	return m
}

// Overdue lists, for every assignment, the periods whose report is due by
// now and was not filed by its due time. A task a party reported done needs
// no further reports. now is the clock (pure: no time.Now).
func Overdue(s Schedule, as []Assignment, reports []Report, now time.Time) []Due {
	idx := index(reports)
	var out []Due
	for _, a := range as {
		rs := idx[assignKey{a.TaskID, partyKey(a.Party)}]
		for _, p := range s.Periods() {
			if now.Before(p.Due) {
				break
			}
			if doneBefore(rs, p.Key) {
				break
			}
			if filedFor(rs, p) {
				continue
			}
			out = append(out, Due{TaskID: a.TaskID, Party: a.Party, Period: p.Key, Due: p.Due, Overdue: true,
				DaysLate: int(now.Sub(p.Due) / (24 * time.Hour))})
		}
	}
	return out
}

// Upcoming lists the reports due within the next `within` of now that are
// not filed yet: the reminders sent before a due date.
func Upcoming(s Schedule, as []Assignment, reports []Report, now time.Time, within time.Duration) []Due {
	idx := index(reports)
	var out []Due
	for _, a := range as {
		rs := idx[assignKey{a.TaskID, partyKey(a.Party)}]
		for _, p := range s.Periods() {
			if !now.Before(p.Due) || p.Due.Sub(now) > within {
				continue
			}
			if doneBefore(rs, p.Key) || filedFor(rs, p) {
				continue
			}
			out = append(out, Due{TaskID: a.TaskID, Party: a.Party, Period: p.Key, Due: p.Due})
		}
	}
	return out
}

func filedFor(rs []Report, p Period) bool {
	for _, r := range rs {
		if r.Period == p.Key && r.Filed.Before(p.Due) {
			return true
		}
	}
	return false
}

func doneBefore(rs []Report, period string) bool {
	for _, r := range rs {
		if r.Period < period && r.Status == Done {
			return true
		}
	}
	return false
}

// StatusOf is a task's status for one party at now: the latest valid
// report's status, except that a missing report past its due date makes an
// unfinished task delayed; without any report a task is not started
// (delayed once its first report is overdue).
func StatusOf(s Schedule, a Assignment, reports []Report, now time.Time) Status {
	rs := index(reports)[assignKey{a.TaskID, partyKey(a.Party)}]
	overdue := len(Overdue(s, []Assignment{a}, rs, now)) > 0
	if len(rs) == 0 {
		if overdue {
			return Delayed
		}
		return NotStarted
	}
	last := rs[len(rs)-1]
	if last.Status == Done {
		return Done
	}
	if overdue {
		return Delayed
	}
	return last.Status
}

// Assessment is the 考核 of one party for a schedule's year at a time.
type Assessment struct {
	Party Party
	Tasks int // tasks assigned
	// Per status, how many of its tasks are in it.
	NotStarted, OnTrack, Delayed, Done int
	ReportsDue                         int // reports due by now
	ReportsOnTime                      int // of those, filed before their due time
	ReportsLate                        int // filed after the due time
	ReportsMissed                      int // not filed at all
	// Timeliness is ReportsOnTime / ReportsDue in percent (100 when
	// nothing is due yet).
	Timeliness float64
	// Progress is (Done + OnTrack) / Tasks in percent.
	Progress float64
	// Score is the platform's assessment rule: half timeliness, half
	// progress, 0..100, one decimal.
	Score float64
	// Grade: 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 below.
	Grade string
	// Behind lists the keys of the tasks the party is delayed on.
	Behind []int64
}

// Assess computes the assessment of every party with an assignment, in
// the order parties first appear in as. The rule is the platform's own (the
// plan leaves the method to 《湖南省污染防治攻坚战成效考核办法》, task 3):
// timeliness of reports and progress of tasks weigh half each.
func Assess(s Schedule, as []Assignment, reports []Report, now time.Time) []Assessment {
	idx := index(reports)
	byParty := map[string]*Assessment{}
	var order []string
	for _, a := range as {
		k := partyKey(a.Party)
		x, ok := byParty[k]
		if !ok {
			x = &Assessment{Party: a.Party}
			byParty[k] = x
			order = append(order, k)
		}
		x.Tasks++
		rs := idx[assignKey{a.TaskID, k}]
		switch StatusOf(s, a, rs, now) {
		case NotStarted:
			x.NotStarted++
		case OnTrack:
			x.OnTrack++
		case Delayed:
			x.Delayed++
			x.Behind = append(x.Behind, a.TaskID)
		case Done:
			x.Done++
		}
		for _, p := range s.Periods() {
			if now.Before(p.Due) || doneBefore(rs, p.Key) {
				break
			}
			x.ReportsDue++
			switch {
			case filedFor(rs, p):
				x.ReportsOnTime++
			case filedAt(rs, p.Key):
				x.ReportsLate++
			default:
				x.ReportsMissed++
			}
		}
	}
	out := make([]Assessment, 0, len(order))
	for _, k := range order {
		x := byParty[k]
		x.Timeliness = 100
		if x.ReportsDue > 0 {
			x.Timeliness = round1(100 * float64(x.ReportsOnTime) / float64(x.ReportsDue))
		}
		x.Progress = round1(100 * float64(x.Done+x.OnTrack) / float64(x.Tasks))
		x.Score = round1((x.Timeliness + x.Progress) / 2)
		x.Grade = GradeOf(x.Score)
		out = append(out, *x)
	}
	return out
}

func filedAt(rs []Report, period string) bool {
	for _, r := range rs {
		if r.Period == period {
			return true
		}
	}
	return false
}

// GradeOf maps a score to the four assessment grades.
func GradeOf(score float64) string {
	switch {
	case score >= 90:
		return "优秀"
	case score >= 80:
		return "良好"
	case score >= 60:
		return "合格"
	}
	return "不合格"
}

func round1(x float64) float64 {
	return float64(int64(x*10+0.5)) / 10
}
