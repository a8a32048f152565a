package inspect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// genPools makes a pool of n enterprises over the four counties of city
// 430100 (one in five a key unit, one in four with evidence, one in six
// inspected in 2026) and m officers of the city.
func genPools(n, m int, seed uint64) (EnterprisePool, OfficerPool) {
	r := rand.New(rand.NewPCG(seed, 1))
	counties := []string{"430102", "430103", "430104", "430105"}
	ep := EnterprisePool{Region: "430100", AsOf: "2026-09-30"}
	for i := range n {
		e := Enterprise{CreditCode: fmt.Sprintf("9143010%011d", i), Name: fmt.Sprintf("企业%d", i),
			Region: counties[r.IntN(len(counties))], Industry: "4411", KeyUnit: r.IntN(5) == 0}
		if r.IntN(4) == 0 {
			e.Alarms = 1 + r.IntN(5)
		}
		if r.IntN(6) == 0 {
			e.LastInspected = fmt.Sprintf("2026-%02d-15", 1+r.IntN(9))
		}
		ep.Enterprises = append(ep.Enterprises, e)
	}
	op := OfficerPool{Region: "430100", AsOf: "2026-09-30"}
	for i := range m {
		o := Officer{ID: fmt.Sprintf("officer%03d", i), Name: fmt.Sprintf("执法%d", i), Region: "430100",
			HomeCounty: counties[r.IntN(len(counties))], Certificate: fmt.Sprintf("HN%06d", i), Available: true}
		if r.IntN(10) == 0 {
			o.Links = []string{ep.Enterprises[r.IntN(n)].CreditCode}
		}
		op.Officers = append(op.Officers, o)
	}
	return ep, op
}

func quarterPlan() Plan {
	return Plan{Region: "430100", Period: "2026Q4", Teams: 5, Size: 2, ExcludeDays: 90,
		Groups: []GroupRule{{GroupGeneral, 0.05}, {GroupKey, 0.25}, {GroupFocus, 0.1}}}
}

func TestDrawRules(t *testing.T) {
	for seed := range uint64(20) {
		ep, op := genPools(400, 30, seed)
		plan := quarterPlan()
		plan.HomeCounty = seed%2 == 0
		res, err := Draw(ep, op, plan, fmt.Sprintf("seed-%d", seed))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		byCode := map[string]Enterprise{}
		for _, e := range ep.Enterprises {
			byCode[e.CreditCode] = e
		}
		officers := map[string]Officer{}
		for _, o := range op.Officers {
			officers[o.ID] = o
		}
		// Groups in draw order; counts follow the ratios.
		if len(res.Groups) != 3 || res.Groups[0].Group != GroupKey || res.Groups[2].Group != GroupGeneral {
			t.Fatalf("groups %+v, want key, focus, general", res.Groups)
		}
		perGroup := map[Group]int{}
		for _, a := range res.Assignments {
			perGroup[a.Group]++
			e := byCode[a.CreditCode]
			if GroupOf(e, 0) != a.Group {
				t.Errorf("%s drawn as %s, is %s", a.CreditCode, a.Group, GroupOf(e, 0))
			}
			if e.LastInspected >= "2026-07-03" {
				t.Errorf("%s inspected %s, within 90 days before 2026-10-01, was drawn", a.CreditCode, e.LastInspected)
			}
			team := res.Teams[a.Team-1]
			for _, id := range team.Officers {
				o := officers[id]
				if slices.Contains(o.Links, a.CreditCode) {
					t.Errorf("officer %s linked to %s inspects it", id, a.CreditCode)
				}
				if plan.HomeCounty && o.HomeCounty == e.Region {
					t.Errorf("officer %s from %s inspects %s there", id, o.HomeCounty, a.CreditCode)
				}
			}
		}
		for _, g := range res.Groups {
			want := int(math.Ceil(g.Ratio * float64(g.Size)))
			if g.Drawn != want || perGroup[g.Group] != want {
				t.Errorf("group %s: size %d ratio %v: drawn %d (assigned %d), want %d", g.Group, g.Size, g.Ratio, g.Drawn, perGroup[g.Group], want)
			}
		}
		// Teams: the planned number, the planned size, no officer twice.
		seen := map[string]bool{}
		if len(res.Teams) != plan.Teams {
			t.Errorf("%d teams, want %d", len(res.Teams), plan.Teams)
		}
		for _, tm := range res.Teams {
			if len(tm.Officers) != plan.Size {
				t.Errorf("team %d has %d officers, want %d", tm.Team, len(tm.Officers), plan.Size)
			}
			for _, id := range tm.Officers {
				if seen[id] {
					t.Errorf("officer %s in two teams", id)
				}
				seen[id] = true
			}
		}
	}
}

func TestDrawExcludesIneligibleOfficers(t *testing.T) {
	ep, op := genPools(100, 12, 3)
	op.Officers[0].Available = false
	op.Officers[1].Certificate = ""
	op.Officers[2].CertificateValidUntil = "2026-09-30" // expires the day before the quarter
	op.Officers[3].Region = "430200"                    // another city
	plan := quarterPlan()
	plan.Teams = 4
	res, err := Draw(ep, op, plan, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range res.Teams {
		for _, id := range tm.Officers {
			if id <= "officer003" {
				t.Errorf("ineligible %s drawn", id)
			}
		}
	}
	plan.Teams = 5 // needs 10 of the 8 eligible
	_, err = Draw(ep, op, plan, "x")
	var rf *Refusal
	if !errors.As(err, &rf) || rf.Code != "officers_short" || !strings.Contains(rf.Reason, "only 8 are eligible") ||
		!strings.Contains(rf.Reason, "1 outside region") || !strings.Contains(rf.Reason, "2 without a valid certificate") {
		t.Errorf("err %v, want officers_short with the counts", err)
	}
}

func TestDrawRefusesImpossiblePlans(t *testing.T) {
	ep, op := genPools(60, 10, 7)
	cases := []struct {
		name, code string
		edit       func(p *Plan, ep *EnterprisePool, op *OfficerPool)
	}{
		{"too many teams", "officers_short", func(p *Plan, _ *EnterprisePool, _ *OfficerPool) { p.Teams = 6 }},
		{"region outside pools", "pool_region", func(p *Plan, _ *EnterprisePool, _ *OfficerPool) { p.Region = "430200" }},
		{"no enterprises in county", "empty", func(p *Plan, _ *EnterprisePool, _ *OfficerPool) { p.Region = "430111" }},
		{"everything recently inspected", "group_short", func(p *Plan, ep *EnterprisePool, _ *OfficerPool) {
			for i := range ep.Enterprises {
				ep.Enterprises[i].LastInspected = "2026-09-01"
			}
		}},
		{"team capacity", "team_capacity", func(p *Plan, _ *EnterprisePool, _ *OfficerPool) { p.MaxPerTeam = 1 }},
		{"every officer linked", "conflict", func(p *Plan, ep *EnterprisePool, op *OfficerPool) {
			for i := range op.Officers {
				op.Officers[i].Links = []string{ep.Enterprises[0].CreditCode}
			}
			p.Groups = []GroupRule{{GroupGeneral, 1}, {GroupKey, 1}, {GroupFocus, 1}}
			p.ExcludeDays = 0
		}},
		{"home county everywhere", "conflict", func(p *Plan, _ *EnterprisePool, op *OfficerPool) {
			p.HomeCounty = true
			p.ExcludeDays = 0
			p.Groups = []GroupRule{{GroupGeneral, 1}, {GroupKey, 1}, {GroupFocus, 1}}
			for i := range op.Officers {
				op.Officers[i].HomeCounty = "430100" // the whole city
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e2, o2 := clonePools(ep, op)
			p := quarterPlan()
			c.edit(&p, &e2, &o2)
			_, err := Draw(e2, o2, p, "seed")
			var rf *Refusal
			if !errors.As(err, &rf) || rf.Code != c.code || !errors.Is(err, ErrRefused) || rf.Reason == "" {
				t.Fatalf("err %v, want a refusal %s", err, c.code)
			}
			t.Log(err)
		})
	}
}

func clonePools(ep EnterprisePool, op OfficerPool) (EnterprisePool, OfficerPool) {
	ep.Enterprises = slices.Clone(ep.Enterprises)
	op.Officers = slices.Clone(op.Officers)
	for i := range op.Officers {
		op.Officers[i].Links = slices.Clone(op.Officers[i].Links)
	}
	return ep, op
}

func TestDrawDeterministic(t *testing.T) {
	ep, op := genPools(300, 20, 11)
	plan := quarterPlan()
	a, err := Draw(ep, op, plan, "2026-11-29 福彩3D 123")
	if err != nil {
		t.Fatal(err)
	}
	// The same pools given in another order draw the same.
	e2, o2 := clonePools(ep, op)
	slices.Reverse(e2.Enterprises)
	slices.Reverse(o2.Officers)
	b, err := Draw(e2, o2, plan, "2026-11-29 福彩3D 123")
	if err != nil {
		t.Fatal(err)
	}
	if m := Diff(a, b); m != nil {
		t.Fatalf("same inputs, different draws: %v", m)
	}
	// Another seed draws differently.
	c, err := Draw(ep, op, plan, "2026-11-29 福彩3D 124")
	if err != nil {
		t.Fatal(err)
	}
	if Diff(a, c) == nil {
		t.Error("another seed gave the same draw")
	}
}

// TestDrawUniform checks the draw is not biased: over many seeds every
// general enterprise of a small pool is drawn about equally often.
func TestDrawUniform(t *testing.T) {
	ep := EnterprisePool{Region: "430100", AsOf: "2026-09-30"}
	for i := range 10 {
		ep.Enterprises = append(ep.Enterprises, Enterprise{CreditCode: fmt.Sprintf("E%02d", i), Name: "e", Region: "430102"})
	}
	_, op := genPools(1, 4, 1)
	plan := Plan{Region: "430100", Period: "2026Q4", Teams: 1, Size: 2, Groups: []GroupRule{{GroupGeneral, 0.2}}}
	count := map[string]int{}
	const runs = 2000
	for i := range runs {
		res, err := Draw(ep, op, plan, fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Assignments {
			count[a.CreditCode]++
		}
	}
	// Each is drawn with probability 0.2: 400 of 2000, sd ≈ 17.9; 5 sd.
	for code, n := range count {
		if n < 310 || n > 490 {
			t.Errorf("%s drawn %d times of %d, want about 400", code, n, runs)
		}
	}
	if len(count) != 10 {
		t.Errorf("%d enterprises ever drawn, want 10", len(count))
	}
}

func TestStreamKnownValues(t *testing.T) {
	// The stream is a published algorithm: its first word for a fixed
	// input must never change (a change breaks every published draw).
	s := NewStream("seed", "a", "b", "c")
	first := s.Uint64()
	s2 := NewStream("seed", "a", "b", "c")
	if s2.Uint64() != first {
		t.Fatal("stream not deterministic")
	}
	if NewStream("seed", "a", "b", "d").Uint64() == first {
		t.Error("plan hash does not change the stream")
	}
	// The documented derivation, computed here by hand.
	key := sha256.Sum256([]byte("ecowatch/inspect/draw/v1\nseed\na\nb\nc"))
	m := hmac.New(sha256.New, key[:])
	m.Write(make([]byte, 8)) // counter 0, big-endian
	block := m.Sum(nil)
	if want := binary.BigEndian.Uint64(block); first != want {
		t.Errorf("first word %#x, want %#x from the documented derivation", first, want)
	}
	if second := s.Uint64(); second != binary.BigEndian.Uint64(block[8:]) {
		t.Errorf("second word %#x, want the block's second word", second)
	}
	// Pinned so that an accidental change of the derivation is noticed.
	if first != 0xeceae7134f823705 {
		t.Errorf("first word %#x changed", first)
	}
	for n := 1; n < 50; n++ {
		if u := s.Uniform(n); u < 0 || u >= n {
			t.Fatalf("Uniform(%d) = %d", n, u)
		}
	}
}

func TestPeriodRange(t *testing.T) {
	for _, c := range []struct{ p, start, end string }{
		{"2026", "2026-01-01", "2027-01-01"},
		{"2026Q4", "2026-10-01", "2027-01-01"},
		{"2026Q1", "2026-01-01", "2026-04-01"},
		{"2026-02", "2026-02-01", "2026-03-01"},
	} {
		s, e, err := PeriodRange(c.p)
		if err != nil || s.Format("2006-01-02") != c.start || e.Format("2006-01-02") != c.end {
			t.Errorf("%s: %v %v %v, want %s %s", c.p, s, e, err, c.start, c.end)
		}
	}
	for _, bad := range []string{"", "2026Q5", "2026-13", "26Q1", "2026q1", "1999"} {
		if _, _, err := PeriodRange(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v, want invalid", bad, err)
		}
	}
}

// TestDrawExclusionBoundary: inspected on the cutoff day (period start −
// ExcludeDays) or later, even within the period, is excluded; the day
// before the cutoff is not.
func TestDrawExclusionBoundary(t *testing.T) {
	_, op := genPools(1, 2, 1)
	ep := EnterprisePool{Region: "430100", AsOf: "2026-10-20", Enterprises: []Enterprise{
		{CreditCode: "A", Name: "a", Region: "430102", LastInspected: "2026-09-01"}, // the cutoff: 30 days before 2026-10-01
		{CreditCode: "B", Name: "b", Region: "430102", LastInspected: "2026-10-05"}, // within the period
		{CreditCode: "C", Name: "c", Region: "430102", LastInspected: "2026-08-31"}, // the day before the cutoff
		{CreditCode: "D", Name: "d", Region: "430102"},
	}}
	plan := Plan{Region: "430100", Period: "2026Q4", Teams: 1, Size: 2, ExcludeDays: 30, Groups: []GroupRule{{GroupGeneral, 0.5}}}
	res, err := Draw(ep, op, plan, "s")
	if err != nil {
		t.Fatal(err)
	}
	if g := res.Groups[0]; g.Excluded != 2 || g.Drawn != 2 {
		t.Errorf("group %+v, want 2 excluded and 2 drawn", g)
	}
	got := []string{res.Assignments[0].CreditCode, res.Assignments[1].CreditCode}
	slices.Sort(got)
	if !slices.Equal(got, []string{"C", "D"}) {
		t.Errorf("drawn %v, want C and D", got)
	}
}

// BenchmarkDraw: a province-sized draw (100,000 enterprises, 2,000
// officers, 100 teams) including validation and hashing of both pools.
func BenchmarkDraw(b *testing.B) {
	ep, op := genPools(100000, 2000, 1)
	plan := Plan{Region: "430100", Period: "2026Q4", Teams: 100, Size: 2, ExcludeDays: 90, HomeCounty: true,
		Groups: []GroupRule{{GroupKey, 0.25}, {GroupFocus, 0.1}, {GroupGeneral, 0.03}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Draw(ep, op, plan, "seed"); err != nil {
			b.Fatal(err)
		}
	}
}
