package opendata

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCaseRecord: which cases are published (by state and source), the
// public state each maps to, dates in China Standard Time, the title only
// when the policy publishes it.
func TestCaseRecord(t *testing.T) {
	opened := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC) // 04:00 on 2 March in UTC+8
	base := CaseInfo{ID: 7, Source: "alarm", Category: "air", Severity: "high", Point: "P1", Level: 2, Title: "张三 的锅炉",
		Opened: opened, Deadline: opened.AddDate(0, 1, 0)}
	for _, tc := range []struct {
		state, source, want string
		ok                  bool
	}{
		{"registered", "alarm", "", false}, // nobody has confirmed it yet
		{"assigned", "alarm", "rectifying", true},
		{"returned", "complaint", "rectifying", true},
		{"reopened", "central-inspection", "rectifying", true},
		{"submitted", "inspection", "verifying", true},
		{"verified", "alarm", "verifying", true},
		{"closed", "provincial-inspection", "closed", true},
		{"closed", "leaders-instruction", "", false}, // internal working document
		{"assigned", "hazard", "", false},
		{"nonsense", "alarm", "", false},
	} {
		c := base
		c.State, c.Source = tc.state, tc.source
		rec, ok := DefaultPolicy().Case(c)
		if ok != tc.ok {
			t.Errorf("%s/%s: published %v, want %v", tc.state, tc.source, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if st, _ := rec.Get("state"); st != tc.want {
			t.Errorf("%s: public state %v, want %s", tc.state, st, tc.want)
		}
	}
	c := base
	c.State, c.Closed = "closed", time.Date(2026, 4, 30, 17, 0, 0, 0, time.UTC)
	rec, _ := DefaultPolicy().Case(c)
	b, _ := json.Marshal(rec)
	want := `{"id":7,"source":"alarm","category":"air","severity":"high","point":"P1","state":"closed","level":"supervised",` +
		`"opened":"2026-03-02","deadline":"2026-04-02","closed":"2026-05-01","recurrences":0}`
	if string(b) != want {
		t.Errorf("record\n%s\nwant\n%s", b, want)
	}
	pol, err := ParsePolicy("case.title=public,case.level=hidden")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = pol.Case(c)
	if names := strings.Join(rec.Names(), ","); !strings.HasSuffix(names, ",title") || strings.Contains(names, "level") {
		t.Errorf("with titles and without levels: %s", names)
	}
	for _, never := range []string{"case.description", "case.plan", "case.assignee", "case.timeline", "inspection.officers", "inspection.findings"} {
		if _, err := ParsePolicy(never + "=public"); err == nil || !strings.Contains(err.Error(), "never published") {
			t.Errorf("%s=public: %v", never, err)
		}
	}
	if CaseLevel(1) != "" || CaseLevel(3) != "listed" {
		t.Errorf("levels: reminder %q, listed %q", CaseLevel(1), CaseLevel(3))
	}
}

// TestFromJSON: only the declared, published fields of a value's JSON,
// in column order, whatever else the value holds.
func TestFromJSON(t *testing.T) {
	v := struct {
		Outcome  string   `json:"outcome"`
		TaskID   int64    `json:"task_id"`
		Officers []string `json:"officers"`
		Findings string   `json:"findings"`
		Region   string   `json:"region"`
	}{"problems", 3, []string{"执法甲"}, "旁路偷排", "430102"}
	pol, err := ParsePolicy("inspection.region=hidden")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pol.FromJSON(Inspection, v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if string(b) != `{"task_id":3,"outcome":"problems"}` {
		t.Errorf("record %s", b)
	}
	if _, err := pol.FromJSON(Inspection, []int{1}); err == nil {
		t.Error("an array is not a record")
	}
}
