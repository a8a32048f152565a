package water

import (
	"encoding/csv"
	"math/big"
	"strings"
	"testing"

	"ecowatch/assess/decimal"
)

func r(s string) *big.Rat { return decimal.MustParse(s).Rat() }

// Expected classes from GB 3838-2002 Table 1 (reference §3.1): on the
// limit meets it; equal limits collapse; DO is reversed; pH 6–9 inclusive.
func TestItemClass(t *testing.T) {
	cases := []struct {
		i    Item
		b    Body
		v    string
		want Class
	}{
		{NH3N, River, "1.0", ClassIII}, {NH3N, River, "1.01", ClassIV}, {NH3N, River, "0.15", ClassI},
		{NH3N, River, "2.01", WorseThanV}, {COD, River, "15", ClassI}, {COD, River, "15.1", ClassIII},
		{BOD5, River, "3", ClassI}, {DO, River, "7.5", ClassI}, {DO, River, "7.49", ClassII},
		{DO, River, "2.5", ClassV}, {DO, River, "1.9", WorseThanV}, {DO, River, "2", ClassV},
		{PH, River, "6", ClassI}, {PH, River, "9", ClassI}, {PH, River, "9.01", WorseThanV}, {PH, River, "5.99", WorseThanV},
		{TP, River, "0.05", ClassII}, {TP, Lake, "0.05", ClassIII}, {TP, Lake, "0.051", ClassIV},
		{Hg, River, "0.00005", ClassI}, {Hg, River, "0.00006", ClassIII}, {Cu, River, "0.02", ClassII},
		{FecalColiform, River, "40001", WorseThanV}, {Temperature, River, "25", 0},
	}
	for _, c := range cases {
		got, err := ItemClass(c.i, c.b, r(c.v))
		if err != nil || got != c.want {
			t.Errorf("%s %s (body %d) = %v, %v; want %v", c.i, c.v, c.b, got, err, c.want)
		}
	}
	if _, err := ItemClass(NH3N, River, r("-1")); err == nil {
		t.Error("negative accepted")
	}
}

// Section class is the worst counted item; TN and fecal coliform are not
// counted (2011 method §3); main pollutants by multiple vs Class III.
func TestEvaluate(t *testing.T) {
	var s Sample
	s.Set(NH3N, decimal.MustParse("1.2"))        // IV, multiple (1.2−1.0)/1.0 = 0.20
	s.Set(TP, decimal.MustParse("0.35"))         // V (river), multiple (0.35−0.2)/0.2 = 0.75
	s.Set(DO, decimal.MustParse("4"))            // IV, no multiple
	s.Set(CODMn, decimal.MustParse("7"))         // IV, (7−6)/6 = 0.1666… → 0.17
	s.Set(TN, decimal.MustParse("5"))            // 劣V but not counted
	s.Set(FecalColiform, decimal.MustParse("1")) // 1: Class I, not counted
	e := Evaluate(&s, River)
	if e.Class != ClassV || e.Status != "中度污染" {
		t.Fatalf("class %v status %s", e.Class, e.Status)
	}
	want := []string{"TP 0.75", "NH3-N 0.20", "CODMn 0.17"}
	if len(e.MainPollutants) != 3 {
		t.Fatalf("main pollutants %v", e.MainPollutants)
	}
	for k, x := range e.MainPollutants {
		if got := x.Item.String() + " " + x.Multiple.String(); got != want[k] {
			t.Errorf("main pollutant %d = %s, want %s", k, got, want[k])
		}
	}
	var empty Sample
	if e := Evaluate(&empty, River); e.Class != 0 || e.Status != "" {
		t.Fatalf("empty sample: %v", e.Class)
	}
}

// Annual evaluation classifies the mean (2011 method §4.2): 0.9 and 1.2
// NH3-N average to 1.05 → Class IV, although one month was Class III.
func TestMeanAndDrinking(t *testing.T) {
	var a, b Sample
	a.Set(NH3N, decimal.MustParse("0.9"))
	b.Set(NH3N, decimal.MustParse("1.2"))
	b.Set(DO, decimal.MustParse("8"))
	m := Mean([]Sample{a, b})
	if v, _ := m.Get(NH3N); v.Cmp(r("1.05")) != 0 {
		t.Fatalf("mean NH3-N %s", v.FloatString(3))
	}
	if v, _ := m.Get(DO); v.Cmp(r("8")) != 0 {
		t.Fatal("DO mean over the samples that have it")
	}
	if e := Evaluate(&m, River); e.Class != ClassIV {
		t.Fatalf("annual class %v", e.Class)
	}
	ok, bad := DrinkingCompliant(&m, River)
	if ok || len(bad) != 1 || bad[0] != NH3N {
		t.Fatalf("drinking: %v %v", ok, bad)
	}
	if ok, _ := DrinkingCompliant(&a, River); !ok {
		t.Fatal("Class III source must comply")
	}
	if got, _ := ComplianceRate(27, 28); got.String() != "96.4" { // 96.428… → 96.4
		t.Fatalf("rate %s", got)
	}
	if _, err := ComplianceRate(3, 2); err == nil {
		t.Fatal("3 of 2 accepted")
	}
}

// River status table of the 2011 method §4.3, on its edges.
func TestRiverStatus(t *testing.T) {
	mk := func(counts map[Class]int) []Class {
		var cs []Class
		for c, n := range counts {
			for range n {
				cs = append(cs, c)
			}
		}
		return cs
	}
	cases := []struct {
		counts map[Class]int
		want   string
	}{
		{map[Class]int{ClassII: 9, ClassIV: 1}, "优"},                                // 90 %
		{map[Class]int{ClassIII: 3, ClassIV: 1}, ""},                                // 4 sections: mean rule
		{map[Class]int{ClassIII: 3, ClassIV: 1, 0: 3}, ""},                          // unclassified sections do not count
		{map[Class]int{ClassII: 89, ClassIV: 11}, "良好"},                             // 89 %
		{map[Class]int{ClassII: 74, ClassIV: 7, WorseThanV: 19}, "轻度污染"},            // 74 %, 19 %
		{map[Class]int{ClassII: 74, ClassIV: 6, WorseThanV: 20}, "中度污染"},            // 20 %
		{map[Class]int{ClassII: 59, ClassIV: 1, WorseThanV: 40}, "重度污染"},            // 59 %, 40 %
		{map[Class]int{ClassII: 60, WorseThanV: 40}, "重度污染"},                        // the "< 75 %" reading leaves no gap
		{map[Class]int{ClassII: 3, ClassIII: 3, ClassIV: 2, WorseThanV: 2}, "中度污染"}, // 60 %, 劣V 20 %
	}
	for k, c := range cases {
		got, _, err := RiverStatus(mk(c.counts))
		if got != c.want || (c.want == "" && err == nil) {
			t.Errorf("case %d %v: %q %v, want %q", k, c.counts, got, err, c.want)
		}
	}
	rt := Ratios([]Class{ClassI, ClassIII, WorseThanV})
	if rt.Good.String() != "66.7" || rt.WorseV.String() != "33.3" {
		t.Fatalf("ratios %s %s", rt.Good, rt.WorseV)
	}
}

func TestLayout(t *testing.T) {
	in := "断面,水温,pH,溶解氧(mg/L),电导率,浊度,高锰酸盐指数,氨氮,总磷,总氮\nA,20.1,7.5,8.2,300,10,3.1,0.32,0.12,1.8\nB,x,7,,,,,,,\n"
	recs, _ := csv.NewReader(strings.NewReader(in)).ReadAll()
	l, err := NewLayout(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Row(recs[0], recs[1])
	if err != nil {
		t.Fatal(err)
	}
	if e := Evaluate(&s, River); e.Class != ClassIII { // TP 0.12 → III; NH3-N 0.32 → II; CODMn 3.1 → II
		t.Fatalf("class %v", e.Class)
	}
	// "0.01L": below a detection limit of 0.01, counted as 0.005 (Class I TP for rivers ≤ 0.02).
	dl, err := l.Row(recs[0], []string{"C", "", "7", "", "", "", "", "", "0.01L", ""})
	if v, _ := dl.Get(TP); err != nil || v.Cmp(r("0.005")) != 0 || !dl.BelowDetection(TP) || dl.BelowDetection(NH3N) {
		t.Fatalf("detection limit: %v %v", v, err)
	}
	if _, err := l.Row(recs[0], recs[2]); err == nil {
		t.Fatal("bad temperature accepted")
	}
	if _, err := NewLayout([]string{"a", "b"}); err == nil {
		t.Fatal("header without items accepted")
	}
	if _, err := NewLayout([]string{"氨氮", "NH3-N"}); err == nil {
		t.Fatal("duplicate item accepted")
	}
}

func FuzzRow(f *testing.F) {
	header := []string{"断面", "水温", "pH", "溶解氧", "氨氮", "总磷", "总氮"}
	l, _ := NewLayout(header)
	f.Add("A,20,7,8,0.5,0.1,1")
	f.Add("B,,-1,x,1e3,NA,99999999999999999999")
	f.Fuzz(func(t *testing.T, line string) {
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil {
			return
		}
		s, _ := l.Row(header, rec)
		e := Evaluate(&s, River)
		if e.Class > WorseThanV {
			t.Fatalf("class %d", e.Class)
		}
	})
}
