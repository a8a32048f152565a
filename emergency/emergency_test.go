package emergency

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"ecowatch/seed"
	"ecowatch/store"
)

// cosines is the spherical law of cosines: an independent formula for the
// same great-circle distance, good to metres at these distances.
func cosines(lat1, lon1, lat2, lon2 float64) float64 {
	r := math.Pi / 180
	return EarthRadiusKm * math.Acos(math.Sin(lat1*r)*math.Sin(lat2*r)+math.Cos(lat1*r)*math.Cos(lat2*r)*math.Cos((lon2-lon1)*r))
}

func TestDistanceRealCoordinates(t *testing.T) {
	stations, _, err := seed.Stations()
	if err != nil {
		t.Fatal(err)
	}
	at := map[string][2]float64{}
	for _, s := range stations {
		at[s.Code] = [2]float64{s.Lat, s.Lon}
	}
	d := func(a, b string) float64 { return Distance(at[a][0], at[a][1], at[b][0], at[b][1]) }
	// 长沙 伍家岭 → 株洲 市监测站: about 47.6 km (0.407° of latitude, 0.151° of longitude at 28°N).
	if x := d("1340A", "1524A"); x < 47.3 || x > 47.9 {
		t.Errorf("伍家岭 → 株洲市监测站 %.3f km, want ≈ 47.6", x)
	}
	for _, pair := range [][2]string{{"1340A", "1524A"}, {"1340A", "1858A"}, {"1847A", "1515A"}, {"1335A", "1336A"}} {
		a, b := at[pair[0]], at[pair[1]]
		got, want := Distance(a[0], a[1], b[0], b[1]), cosines(a[0], a[1], b[0], b[1])
		if math.Abs(got-want) > 0.005 {
			t.Errorf("%v: haversine %.4f, cosines %.4f", pair, got, want)
		}
		if back := Distance(b[0], b[1], a[0], a[1]); math.Abs(back-got) > 1e-9 {
			t.Errorf("%v not symmetric", pair)
		}
	}
	// One degree of latitude is R·π/180 = 111.195 km.
	if x := Distance(28, 113, 29, 113); math.Abs(x-111.195) > 0.001 {
		t.Errorf("1° of latitude %.4f km", x)
	}
	if x := Distance(28.2, 113, 28.2, 113); x != 0 {
		t.Errorf("same point %v", x)
	}
	// Antipodes: half the circumference, without NaN from rounding.
	if x := Distance(28, 113, -28, -67); math.Abs(x-math.Pi*EarthRadiusKm) > 0.001 {
		t.Errorf("antipodes %v", x)
	}

	// Nearest stations to an incident at 株冶医院 (1518A): itself, then the
	// Zhuzhou stations; none from 长沙 within 10 km.
	var places []Place
	for _, s := range stations {
		places = append(places, Place{Kind: "air_station", Ref: s.Code, Name: s.Name, Lat: s.Lat, Lon: s.Lon})
	}
	places = append(places, Place{Kind: "air_station", Ref: "nowhere", Name: "无坐标"})
	near := Nearest(27.8867, 113.095, places, 10, 3)
	if len(near) != 3 || near[0].Ref != "1518A" || near[0].DistKm != 0 || near[1].Ref != "1524A" {
		t.Fatalf("nearest %+v", near)
	}
	for i := 1; i < len(near); i++ {
		if near[i].DistKm < near[i-1].DistKm || near[i].DistKm > 10 {
			t.Errorf("order or radius: %+v", near)
		}
	}
	all := Nearest(27.8867, 113.095, places, 0, 0)
	if len(all) != len(stations) { // the one without coordinates is left out
		t.Errorf("all %d, want %d", len(all), len(stations))
	}
}

func TestGradeOf(t *testing.T) {
	cases := []struct {
		f    Facts
		want Grade
	}{
		{Facts{}, General},
		{Facts{Deaths: 2, Poisoned: 9, Evacuated: 4999, LossYuan: 4999999}, General},
		{Facts{Deaths: 3}, Larger},
		{Facts{Poisoned: 10}, Larger},
		{Facts{Evacuated: 5000}, Larger},
		{Facts{LossYuan: 5e6}, Larger},
		{Facts{WaterCut: "township"}, Larger},
		{Facts{CrossBoundary: "city"}, Larger},
		{Facts{CrossBoundary: "county"}, General},
		{Facts{RadioactiveClass: 3}, Larger},
		{Facts{Deaths: 9, Poisoned: 49}, Larger},
		{Facts{Deaths: 10}, Major},
		{Facts{Poisoned: 50}, Major},
		{Facts{Evacuated: 10000}, Major},
		{Facts{LossYuan: 2e7}, Major},
		{Facts{WaterCut: "county"}, Major},
		{Facts{CrossBoundary: "province"}, Major},
		{Facts{RadioactiveClass: 2}, Major},
		{Facts{Deaths: 29, Poisoned: 99, Evacuated: 49999, LossYuan: 99999999}, Major},
		{Facts{Deaths: 30}, ParticularMajor},
		{Facts{Poisoned: 100}, ParticularMajor},
		{Facts{Evacuated: 50000}, ParticularMajor},
		{Facts{LossYuan: 1e8}, ParticularMajor},
		{Facts{WaterCut: "city"}, ParticularMajor},
		{Facts{CrossBoundary: "country", Deaths: 1}, ParticularMajor},
	}
	for _, c := range cases {
		g := GradeOf(c.f)
		if g.Grade != c.want || len(g.Basis) == 0 {
			t.Errorf("%+v: %s %v, want %s", c.f, g.Grade, g.Basis, c.want)
		}
	}
	g := GradeOf(Facts{Deaths: 4, WaterCut: "county"})
	if g.Grade != Major || len(g.Basis) != 2 || !strings.Contains(g.Basis[1], "县级城市") {
		t.Errorf("two criteria: %+v", g)
	}
	for _, bad := range []Facts{{Deaths: -1}, {WaterCut: "village"}, {CrossBoundary: "planet"}, {RadioactiveClass: 6}, {LossYuan: math.NaN()}} {
		if err := CheckFacts(bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestLevelsAndChecks(t *testing.T) {
	q, ok := QRatio([]Substance{{Name: "液氯", Quantity: 10, Critical: 1}, {Name: "硫酸", Quantity: 5, Critical: 10}})
	if !ok || q != 10.5 {
		t.Errorf("Q %v %v", q, ok)
	}
	if _, ok := QRatio([]Substance{{Name: "未知物", Quantity: 1}}); ok {
		t.Error("Q without critical quantity reported ok")
	}
	if err := CheckLevel(LevelMajor, "", nil); !errors.Is(err, ErrInvalid) {
		t.Error("empty basis accepted")
	}
	if err := CheckLevel("high", "x", nil); !errors.Is(err, ErrInvalid) {
		t.Error("bad level accepted")
	}
	if err := CheckLevel(LevelLarger, "风险评估报告 Q2-M2-E1", []Substance{{Name: "", Quantity: 1}}); !errors.Is(err, ErrInvalid) {
		t.Error("nameless substance accepted")
	}
	if l, why := Track(LevelGeneral, 0, 0); l != LevelGeneral || why == "" {
		t.Errorf("no change: %s %s", l, why)
	}
	if l, _ := Track(LevelGeneral, 2, 0); l != LevelLarger {
		t.Errorf("critical hazards: %s", l)
	}
	if l, why := Track(LevelLarger, 1, 1); l != LevelMajor || !strings.Contains(why, "突发环境事件") {
		t.Errorf("hazards and incident: %s %s", l, why)
	}
	if _, err := ParseKind("volcano"); !errors.Is(err, ErrInvalid) {
		t.Error("bad kind accepted")
	}
	for _, k := range Kinds {
		if len(Checklists[k]) == 0 || KindNames[k] == "" {
			t.Errorf("kind %s lacks a checklist or name", k)
		}
	}
	var rs []Result
	for _, it := range Checklists[TailingsPond] {
		rs = append(rs, Result{Code: it.Code, OK: it.Code != "seepage" && it.Code != "dam", Note: "见照片"})
	}
	hs, err := Evaluate(TailingsPond, rs)
	if err != nil || len(hs) != 2 || !hs[0].Critical || hs[0].Item.Code != "dam" || hs[1].Critical {
		t.Errorf("hazards %+v %v", hs, err)
	}
	if _, err := Evaluate(TailingsPond, rs[1:]); !errors.Is(err, ErrInvalid) {
		t.Error("unanswered item accepted")
	}
	if _, err := Evaluate(TailingsPond, append(rs, rs[0])); !errors.Is(err, ErrInvalid) {
		t.Error("item answered twice accepted")
	}
	if _, err := Evaluate(TailingsPond, append(rs, Result{Code: "nope"})); !errors.Is(err, ErrInvalid) {
		t.Error("unknown item accepted")
	}
}

func TestReminders(t *testing.T) {
	day := 24 * time.Hour
	now := time.Date(2020, 6, 1, 9, 0, 0, 0, store.CST)
	ps := []PlanState{
		{ID: 1, ReviseBy: now.Add(60 * day), LastDrill: now.Add(-30 * day), Approved: now.Add(-900 * day)}, // revision in 60 days
		{ID: 2, ReviseBy: now.Add(-1 * day), LastDrill: now.Add(-400 * day)},                               // both overdue
		{ID: 3, ReviseBy: now.Add(400 * day), Approved: now.Add(-300 * day)},                               // never drilled, due in 65 days
		{ID: 4}, // not approved yet: nothing
	}
	rs := Reminders(ps, now, 90*day)
	type key struct {
		id   int64
		what string
		over bool
	}
	got := map[key]bool{}
	for _, r := range rs {
		got[key{r.PlanID, r.What, r.Overdue}] = true
	}
	want := []key{{1, "revision", false}, {2, "revision", true}, {2, "drill", true}, {3, "drill", false}}
	if len(rs) != len(want) {
		t.Errorf("reminders %+v", rs)
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("missing %+v in %+v", w, rs)
		}
	}
	// A shorter lead leaves out the ones further away.
	if rs := Reminders(ps, now, 30*day); len(rs) != 2 {
		t.Errorf("30-day lead: %+v", rs)
	}
}
