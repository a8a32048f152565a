package inspect

import (
	"errors"
	"strings"
	"testing"
)

func answers(industry string) []CheckAnswer {
	var out []CheckAnswer
	for _, c := range Checklist(industry) {
		out = append(out, CheckAnswer{Code: c.Code, OK: true})
	}
	return out
}

func TestChecklistByIndustry(t *testing.T) {
	power, general := Checklist("4411"), Checklist("1711")
	has := func(cs []CheckItem, code string) bool {
		for _, c := range cs {
			if c.Code == code {
				return true
			}
		}
		return false
	}
	if !has(power, "cems") || !has(power, "permit") || has(general, "cems") || !has(general, "permit") {
		t.Errorf("power plant checklist %v, textile %v", power, general)
	}
}

func TestReportValidate(t *testing.T) {
	ok := Report{Outcome: OutcomeNoProblem, Checklist: answers("4411"), Minutes: 60, InspectedOn: "2026-10-01"}
	if err := ok.Validate("4411"); err != nil {
		t.Fatalf("valid report: %v", err)
	}
	for _, c := range []struct {
		name string
		edit func(r *Report)
		want string
	}{
		{"unknown outcome", func(r *Report) { r.Outcome = "fine" }, "outcome"},
		{"missing line", func(r *Report) { r.Checklist = r.Checklist[1:] }, "not answered: permit"},
		{"foreign line", func(r *Report) { r.Checklist = append(r.Checklist, CheckAnswer{Code: "vocs"}) }, "not on the checklist"},
		{"twice", func(r *Report) { r.Checklist = append(r.Checklist, r.Checklist[0]) }, "twice"},
		{"findings without problems", func(r *Report) { r.Findings = []Finding{{Text: "x"}} }, "choose problems"},
		{"problems without findings", func(r *Report) { r.Outcome = OutcomeProblems }, "at least one finding"},
		{"empty finding", func(r *Report) { r.Outcome = OutcomeProblems; r.Findings = []Finding{{Text: " "}} }, "findings[0].text"},
		{"no time", func(r *Report) { r.Minutes = 0 }, "minutes"},
		{"bad date", func(r *Report) { r.InspectedOn = "10/01/2026" }, "inspected_on"},
	} {
		r := ok
		r.Checklist = append([]CheckAnswer(nil), ok.Checklist...)
		c.edit(&r)
		if err := r.Validate("4411"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want invalid mentioning %q", c.name, err, c.want)
		}
	}
}

func TestStatisticsAndPublic(t *testing.T) {
	tasks := []Task{
		{ID: 1, Source: SourceRandom, DrawID: 7, Group: GroupKey, Region: "430102", State: TaskDone, Outcome: OutcomeProblems, Officers: []string{"a", "b"}, Minutes: 60},
		{ID: 2, Source: SourceRandom, DrawID: 7, Group: GroupKey, Region: "430103", State: TaskDone, Outcome: OutcomeNoProblem, Officers: []string{"a", "b"}, Minutes: 30},
		{ID: 3, Source: SourceRandom, DrawID: 7, Group: GroupGeneral, Region: "430103", State: TaskOpen, Officers: []string{"c", "d"}},
		{ID: 4, Source: SourceRemote, Region: "430202", State: TaskDone, Outcome: OutcomeReferral, Officers: []string{"a", "c"}, Minutes: 90},
	}
	draws := []DrawSummary{{ID: 7, Period: "2026Q4", Region: "430100", Groups: []GroupCount{{Group: GroupKey, Ratio: 0.2, Size: 10, Drawn: 2}, {Group: GroupGeneral, Ratio: 0.05, Size: 20, Drawn: 1}}}}
	st := Statistics(draws, tasks)
	if len(st.Coverage) != 2 || st.Coverage[0].Done != 2 || st.Coverage[0].Coverage != 0.2 || st.Coverage[1].Done != 0 {
		t.Errorf("coverage %+v", st.Coverage)
	}
	want := map[string]SourceStat{
		"430100/random": {City: "430100", Source: SourceRandom, Tasks: 3, Done: 2, WithFindings: 1, FindingsRate: 0.5},
		"430200/remote": {City: "430200", Source: SourceRemote, Tasks: 1, Done: 1, WithFindings: 1, FindingsRate: 1},
	}
	if len(st.Sources) != 2 {
		t.Fatalf("sources %+v", st.Sources)
	}
	for _, s := range st.Sources {
		if s != want[s.City+"/"+s.Source] {
			t.Errorf("source stat %+v, want %+v", s, want[s.City+"/"+s.Source])
		}
	}
	if a := st.Officers[0]; a.Officer != "a" || a.Tasks != 3 || a.Done != 3 || a.Minutes != 180 {
		t.Errorf("officer a %+v", a)
	}
	if _, ok := tasks[2].Public(); ok {
		t.Error("an open task is public")
	}
	if _, ok := tasks[3].Public(); ok {
		t.Error("a remote-led inspection is published as a random one")
	}
	if p, ok := tasks[0].Public(); !ok || p.FollowUp != "rectification" {
		t.Errorf("public %+v %v", p, ok)
	}
}
