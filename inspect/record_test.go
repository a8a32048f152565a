package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func drawRecord(t *testing.T) (Record, []byte, []byte) {
	t.Helper()
	ep, op := genPools(200, 16, 5)
	plan := quarterPlan()
	res, err := Draw(ep, op, plan, "lottery 2026-09-30 07 12 19")
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := op.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewRecord(ep, op, plan, "lottery 2026-09-30 07 12 19", res), ep.Canonical(), op.Canonical()
}

func TestVerify(t *testing.T) {
	rec, eb, ob := drawRecord(t)
	// Through JSON, as published.
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(back, eb, ob); err != nil {
		t.Fatalf("verify of an honest draw: %v", err)
	}
	// A reformatted snapshot (indented, other order) still verifies: the
	// hash is over the canonical form.
	var pretty bytes.Buffer
	json.Indent(&pretty, eb, "", "  ")
	if err := Verify(back, pretty.Bytes(), ob); err != nil {
		t.Errorf("indented snapshot: %v", err)
	}
}

func TestVerifyTamper(t *testing.T) {
	rec, eb, ob := drawRecord(t)
	ep, _ := ParseEnterprisePool(eb)
	op, _ := ParseOfficerPool(ob)

	// An enterprise removed from the pool after hashing.
	ep.Enterprises = ep.Enterprises[1:]
	err := Verify(rec, ep.Canonical(), ob)
	var m *Mismatch
	if !errors.As(err, &m) || m.What != "enterprise pool hash" || !errors.Is(err, ErrMismatch) {
		t.Errorf("removed enterprise: %v, want an enterprise pool hash mismatch", err)
	}
	// An officer made unavailable after hashing.
	op.Officers[0].Available = false
	if err := Verify(rec, eb, op.Canonical()); !errors.As(err, &m) || m.What != "officer pool hash" {
		t.Errorf("changed officer: %v, want an officer pool hash mismatch", err)
	}
	// Another seed than published.
	r2 := rec
	r2.Seed = "lottery 2026-09-30 07 12 20"
	if err := Verify(r2, eb, ob); !errors.As(err, &m) || !strings.HasPrefix(m.What, "groups") && !strings.HasPrefix(m.What, "teams") && !strings.HasPrefix(m.What, "assignments") {
		t.Errorf("other seed: %v, want a result mismatch", err)
	}
	// A plan changed after hashing.
	r3 := rec
	r3.Plan.Teams = 4
	if err := Verify(r3, eb, ob); !errors.As(err, &m) || m.What != "plan hash" {
		t.Errorf("changed plan: %v, want a plan hash mismatch", err)
	}
	// A result edited after the draw: the first difference is named.
	r4 := rec
	r4.Result.Assignments = append([]Assignment(nil), rec.Result.Assignments...)
	r4.Result.Assignments[2].Team = r4.Result.Assignments[2].Team%rec.Plan.Teams + 1
	if err := Verify(r4, eb, ob); !errors.As(err, &m) || m.What != "assignments[2]" {
		t.Errorf("edited result: %v, want a mismatch at assignments[2]", err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"unknown field", `{"region":"430100","as_of":"2026-01-01","enterprises":[],"x":1}`, "unknown field"},
		{"trailing", `{"region":"430100","as_of":"2026-01-01","enterprises":[]} {}`, "trailing"},
		{"bad region", `{"region":"43","as_of":"2026-01-01","enterprises":[]}`, "six-digit"},
		{"bad date", `{"region":"430100","as_of":"2026-13-01","enterprises":[]}`, "YYYY-MM-DD"},
		{"duplicate", `{"region":"430100","as_of":"2026-01-01","enterprises":[{"credit_code":"A","name":"a","region":"430102"},{"credit_code":"A","name":"b","region":"430102"}]}`, "twice"},
		{"negative", `{"region":"430100","as_of":"2026-01-01","enterprises":[{"credit_code":"A","name":"a","region":"430102","alarms":-1}]}`, "negative"},
	} {
		_, err := ParseEnterprisePool([]byte(c.data))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want invalid with %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct{ name, data, want string }{
		{"one-person team", `{"region":"430100","period":"2026Q4","groups":[{"group":"key","ratio":0.2}],"teams":2,"team_size":1}`, "at least two"},
		{"ratio", `{"region":"430100","period":"2026Q4","groups":[{"group":"key","ratio":1.5}],"teams":2,"team_size":2}`, "ratio"},
		{"group", `{"region":"430100","period":"2026Q4","groups":[{"group":"vip","ratio":0.5}],"teams":2,"team_size":2}`, "unknown group"},
		{"twice", `{"region":"430100","period":"2026Q4","groups":[{"group":"key","ratio":0.5},{"group":"key","ratio":0.2}],"teams":2,"team_size":2}`, "twice"},
		{"period", `{"region":"430100","period":"Q4","groups":[{"group":"key","ratio":0.5}],"teams":2,"team_size":2}`, "period"},
	} {
		_, err := ParsePlan([]byte(c.data))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want invalid with %q", c.name, err, c.want)
		}
	}
	if err := CheckSeed("a\x00b"); !errors.Is(err, ErrInvalid) {
		t.Errorf("seed with NUL: %v", err)
	}
}

// FuzzParse feeds the snapshot, plan and record parsers: none may panic,
// and a snapshot that parses must reparse from its canonical form to the
// same canonical bytes.
func FuzzParse(f *testing.F) {
	rec, eb, ob := func() (Record, []byte, []byte) {
		ep, op := genPools(5, 4, 1)
		plan := quarterPlan()
		plan.Teams = 2
		res, _ := Draw(ep, op, plan, "s")
		return NewRecord(ep, op, plan, "s", res), ep.Canonical(), op.Canonical()
	}()
	rb, _ := json.Marshal(rec)
	pb, _ := json.Marshal(rec.Plan)
	rep, _ := json.Marshal(Report{Outcome: OutcomeProblems, Checklist: []CheckAnswer{{Code: "permit", OK: true}}, Findings: []Finding{{Text: "x", Attachments: []int64{1}}}, Minutes: 5, InspectedOn: "2026-10-01"})
	for _, s := range [][]byte{eb, ob, rb, pb, rep, []byte(`{}`), []byte(`[]`), []byte(`{"region":"430100"`)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ep, err := ParseEnterprisePool(data); err == nil {
			c := ep.Canonical()
			ep2, err := ParseEnterprisePool(c)
			if err != nil || !bytes.Equal(ep2.Canonical(), c) {
				t.Fatalf("enterprise pool canonical form does not round-trip: %v", err)
			}
		}
		if op, err := ParseOfficerPool(data); err == nil {
			c := op.Canonical()
			op2, err := ParseOfficerPool(c)
			if err != nil || !bytes.Equal(op2.Canonical(), c) {
				t.Fatalf("officer pool canonical form does not round-trip: %v", err)
			}
		}
		if p, err := ParsePlan(data); err == nil {
			c := p.Canonical()
			p2, err := ParsePlan(c)
			if err != nil || !bytes.Equal(p2.Canonical(), c) {
				t.Fatalf("plan canonical form does not round-trip: %v", err)
			}
		}
		if r, err := ParseRecord(data); err == nil {
			_ = Verify(r, eb, ob) // must not panic
		}
		var rep Report
		if json.Unmarshal(data, &rep) == nil {
			_ = rep.Validate("4411") // must not panic
		}
	})
}
