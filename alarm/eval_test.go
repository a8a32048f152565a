package alarm

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"ecowatch/assess/flue"
)

var t0 = time.Date(2020, 1, 1, 8, 0, 0, 0, time.UTC) // 16:00 CST

func testRegistry() Registry {
	return Registry{
		Points: map[string]Point{
			"P1":   {Code: "P1", Kind: "gas_outlet", Region: "430102", Enterprise: "E1", City: "430100", Limits: map[string]Limit{"a21026": {Value: 35, RefO2: 6, HasRefO2: true}, "a34013": {Value: 10}}},
			"S1":   {Code: "S1", Kind: "air_station", Region: "430102", City: "430100", InCityAverage: true},
			"W1":   {Code: "W1", Kind: "water_section", Region: "430102", City: "430100", TargetClass: 3},
			"PROD": {Code: "PROD", Kind: "power_use", Region: "430102", Enterprise: "E1"},
			"FAC":  {Code: "FAC", Kind: "power_use", Region: "430102", Enterprise: "E1"},
		},
		Devices: map[string]string{"M1": "P1", "M2": "S1", "M3": "W1", "M4": "PROD", "M5": "FAC"},
		Links:   []Link{{Production: "PROD", Facility: "FAC"}},
	}
}

// rt is a real-time frame of P1 at t0 + i×30 s.
func rt(i int, rs ...Reading) (time.Time, *Frame) {
	t := t0.Add(time.Duration(i) * 30 * time.Second)
	return t, &Frame{MN: "M1", Point: "P1", Kind: RealTime, DataTime: t, Readings: rs}
}

type feed func(e *Evaluator) []Transition

// frames runs n real-time frames made by mk and collects the transitions.
func frames(n int, mk func(i int) []Reading) feed {
	return func(e *Evaluator) []Transition {
		var out []Transition
		for i := range n {
			now, f := rt(i, mk(i)...)
			out = append(out, e.Frame(now, f)...)
		}
		return out
	}
}

func so2(v float64, flag byte) Reading { return Reading{Factor: "a21026", Value: v, Flag: flag} }

func fired(ts []Transition, r Rule) bool {
	for _, t := range ts {
		if t.Rule == r && t.Change == Fire {
			return true
		}
	}
	return false
}

func TestRules(t *testing.T) {
	noisy := func(i int) float64 { return 20 + float64(i%7) }
	cases := []struct {
		name string
		rule Rule
		feed feed
		want bool
	}{
		{"exceedance: Zs over the limit", Exceedance, frames(5, func(i int) []Reading {
			return []Reading{{Factor: "a21026", Value: 30, Zs: 50 + float64(i), HasZs: true, Flag: 'N'}}
		}), true},
		{"exceedance: measured under, O2-converted over", Exceedance, frames(5, func(i int) []Reading {
			// 30 at O2 14 % is 30 × 15/7 ≈ 64 at 6 %.
			return []Reading{so2(30+float64(i%2), 'N'), {Factor: FactorO2, Value: 14, Flag: 'N'}}
		}), true},
		{"exceedance: under the limit", Exceedance, frames(20, func(i int) []Reading { return []Reading{so2(noisy(i), 'N')} }), false},
		{"exceedance: too few valid values", Exceedance, frames(2, func(i int) []Reading { return []Reading{so2(90+float64(i), 'N')} }), false},
		{"exceedance: high values flagged maintenance are excluded", Exceedance, frames(10, func(i int) []Reading {
			if i%2 == 0 {
				return []Reading{so2(200+float64(i), 'M')}
			}
			return []Reading{so2(noisy(i), 'N')}
		}), false},
		{"exceedance: stopped, calibration, fault flags excluded", Exceedance, frames(9, func(i int) []Reading {
			return []Reading{so2(300+float64(i), "FCD"[i%3])}
		}), false},
		{"exceedance: hourly average over", Exceedance, func(e *Evaluator) []Transition {
			return e.Frame(t0, &Frame{MN: "M1", Point: "P1", Kind: Hour, DataTime: t0, Readings: []Reading{{Factor: "a34013", Value: 12, Flag: 'N'}}})
		}, true},
		{"exceedance: factor without a limit", Exceedance, frames(10, func(i int) []Reading { return []Reading{{Factor: "a21002", Value: 999 + float64(i), Flag: 'N'}} }), false},
		{"flat: 30 identical values", Flat, frames(30, func(i int) []Reading { return []Reading{so2(21.5, 'N')} }), true},
		{"flat: 29 identical values", Flat, frames(29, func(i int) []Reading { return []Reading{so2(21.5, 'N')} }), false},
		{"flat: varying values", Flat, frames(60, func(i int) []Reading { return []Reading{so2(noisy(i), 'N')} }), false},
		{"flat: identical but flagged", Flat, frames(40, func(i int) []Reading { return []Reading{so2(21.5, 'D')} }), false},
		{"zero: five zeros", ZeroNegative, frames(5, func(i int) []Reading { return []Reading{so2(-float64(i%2), 'N')} }), true},
		{"zero: four zeros then a value", ZeroNegative, frames(9, func(i int) []Reading {
			if i == 4 {
				return []Reading{so2(3, 'N')}
			}
			return []Reading{so2(0, 'N')}
		}), false},
		{"zero: zeros flagged stopped", ZeroNegative, frames(10, func(i int) []Reading { return []Reading{so2(0, 'F')} }), false},
		{"above range: T three times", AboveRange, frames(3, func(i int) []Reading { return []Reading{so2(999, 'T')} }), true},
		{"above range: T twice", AboveRange, frames(4, func(i int) []Reading { return []Reading{so2(999, "TTNT"[i])} }), false},
		{"impossible O2: ambient air at full flow", ImpossibleO2, frames(3, func(i int) []Reading {
			return []Reading{so2(1, 'N'), {Factor: FactorO2, Value: 20.8, Flag: 'N'}, {Factor: FactorGasFlow, Value: 150000, Flag: 'N'}}
		}), true},
		{"impossible O2: high O2, stack stopped", ImpossibleO2, frames(5, func(i int) []Reading {
			return []Reading{{Factor: FactorO2, Value: 20.9, Flag: 'N'}, {Factor: FactorGasFlow, Value: 0, Flag: 'N'}}
		}), false},
		{"impossible O2: normal O2", ImpossibleO2, frames(5, func(i int) []Reading {
			return []Reading{{Factor: FactorO2, Value: 9, Flag: 'N'}, {Factor: FactorGasFlow, Value: 150000, Flag: 'N'}}
		}), false},
		{"zero flow: concentration with no flow", ZeroFlow, frames(3, func(i int) []Reading {
			return []Reading{so2(20, 'N'), {Factor: FactorGasFlow, Value: 0, Flag: 'N'}}
		}), true},
		{"zero flow: flow flagged stopped", ZeroFlow, frames(5, func(i int) []Reading {
			return []Reading{so2(20, 'N'), {Factor: FactorGasFlow, Value: 0, Flag: 'F'}}
		}), false},
		{"zero flow: flow present", ZeroFlow, frames(5, func(i int) []Reading {
			return []Reading{so2(20, 'N'), {Factor: FactorGasFlow, Value: 120000, Flag: 'N'}}
		}), false},
		{"flag too long: fault for 2 h", FlagTooLong, frames(250, func(i int) []Reading { return []Reading{so2(20, 'D')} }), true},
		{"flag too long: fault for 1 h then normal", FlagTooLong, frames(250, func(i int) []Reading {
			if i < 120 {
				return []Reading{so2(20, 'D')}
			}
			return []Reading{so2(noisy(i), 'N')}
		}), false},
		{"flag too long: stopped is not abnormal", FlagTooLong, frames(250, func(i int) []Reading { return []Reading{so2(0, 'F')} }), false},
		{"station daily: PM2.5 over 75", StationDaily, stationHours(8, 90), true},
		{"station daily: PM2.5 under 75", StationDaily, stationHours(8, 60), false},
		{"station daily: too few hours", StationDaily, stationHours(5, 200), false},
		{"city AQI over 200", CityAQI, func(e *Evaluator) []Transition {
			out := stationHours(8, 200)(e) // PM2.5 200: IAQI 250
			return append(out, e.Tick(t0)...)
		}, true},
		{"city AQI under 200", CityAQI, func(e *Evaluator) []Transition {
			out := stationHours(8, 120)(e) // IAQI 159
			return append(out, e.Tick(t0)...)
		}, false},
		{"water class: NH3-N class V at a class III section", WaterClass, waterHour(1.8), true},
		{"water class: NH3-N class III", WaterClass, waterHour(0.9), false},
		{"water class: flagged", WaterClass, func(e *Evaluator) []Transition {
			return e.Frame(t0, &Frame{MN: "M3", Point: "W1", Kind: Hour, DataTime: t0, Readings: []Reading{{Factor: "w21003", Value: 5, Flag: 'D'}}})
		}, false},
		{"offline: silent 10 min", Offline, func(e *Evaluator) []Transition {
			e.Frame(t0, &Frame{MN: "M1", Point: "P1", Kind: RealTime, DataTime: t0})
			return e.Tick(t0.Add(10 * time.Minute))
		}, true},
		{"offline: frames every minute", Offline, func(e *Evaluator) []Transition {
			var out []Transition
			for i := range 30 {
				now := t0.Add(time.Duration(i) * time.Minute)
				for _, mn := range []string{"M1", "M2", "M3", "M4", "M5"} {
					e.Frame(now, &Frame{MN: mn, Point: e.reg.Devices[mn], Kind: RealTime, DataTime: now})
				}
				out = append(out, e.Tick(now)...)
			}
			return out
		}, false},
		{"missing: hourly data stops while online", Missing, func(e *Evaluator) []Transition {
			e.Frame(t0, &Frame{MN: "M2", Point: "S1", Kind: Hour, DataTime: t0.Add(-time.Hour)})
			var out []Transition
			for i := range 120 {
				now := t0.Add(time.Duration(i) * time.Minute)
				e.Frame(now, &Frame{MN: "M2", Point: "S1", Kind: RealTime, DataTime: now})
				out = append(out, e.Tick(now)...)
			}
			return out
		}, true},
		{"missing: hourly data every hour", Missing, func(e *Evaluator) []Transition {
			var out []Transition
			for i := range 180 {
				now := t0.Add(time.Duration(i) * time.Minute)
				if i%60 == 5 {
					e.Frame(now, &Frame{MN: "M2", Point: "S1", Kind: Hour, DataTime: now.Truncate(time.Hour).Add(-time.Hour)})
				}
				e.Frame(now, &Frame{MN: "M2", Point: "S1", Kind: RealTime, DataTime: now})
				out = append(out, e.Tick(now)...)
			}
			return out
		}, false},
		{"facility off while production runs", FacilityOff, facility(80, 0.1, 20), true},
		{"facility on while production runs", FacilityOff, facility(80, 35, 20), false},
		{"facility off, production stopped", FacilityOff, facility(0.2, 0.1, 20), false},
		{"facility off only 10 minutes", FacilityOff, facility(80, 0.1, 10), false},
		{"wrong password", WrongPassword, func(e *Evaluator) []Transition { return e.Event(t0, EventWrongPassword, "M1", "") }, true},
		{"clock drift", ClockDrift, func(e *Evaluator) []Transition { return e.Event(t0, EventClockDrift, "M1", "10m") }, true},
		{"online is no alarm", WrongPassword, func(e *Evaluator) []Transition { return e.Event(t0, EventOnline, "M1", "") }, false},
		{"check failures: 5 in 10 min", CheckFailures, checks(5, time.Minute), true},
		{"check failures: 5 in 50 min", CheckFailures, checks(5, 12*time.Minute), false},
		{"check failures: an unregistered MN", CheckFailures, func(e *Evaluator) []Transition {
			var out []Transition
			for i := range 10 {
				out = append(out, e.Checked(t0.Add(time.Duration(i)*time.Second), "INVENTED", "crc")...)
			}
			if len(e.gen) != 0 {
				t.Errorf("state kept for an invented MN: %d", len(e.gen))
			}
			return out
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := NewEvaluator(Settings{}, testRegistry(), t0)
			got := fired(c.feed(e), c.rule)
			if got != c.want {
				t.Errorf("%s fired = %v, want %v", c.rule, got, c.want)
			}
		})
	}
}

func stationHours(n int, pm25 float64) feed {
	return func(e *Evaluator) []Transition {
		var out []Transition
		for h := range n {
			dt := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
			out = append(out, e.Frame(dt.Add(time.Hour), &Frame{MN: "M2", Point: "S1", Kind: Hour, DataTime: dt,
				Readings: []Reading{{Factor: "a34004", Value: pm25 + float64(h%2), Flag: 'N'}, {Factor: "a21026", Value: 10, Flag: 'N'}}})...)
		}
		return out
	}
}

func waterHour(nh3 float64) feed {
	return func(e *Evaluator) []Transition {
		return e.Frame(t0, &Frame{MN: "M3", Point: "W1", Kind: Hour, DataTime: t0, Readings: []Reading{
			{Factor: "w21003", Value: nh3, Flag: 'N'}, {Factor: "w01009", Value: 7, Flag: 'N'}, {Factor: "w01001", Value: 7.2, Flag: 'N'}}})
	}
}

func facility(prod, fac float64, minutes int) feed {
	return func(e *Evaluator) []Transition {
		var out []Transition
		for i := 0; i <= minutes; i++ {
			now := t0.Add(time.Duration(i) * time.Minute)
			e.Frame(now, &Frame{MN: "M4", Point: "PROD", Kind: RealTime, DataTime: now, Readings: []Reading{{Factor: "e01001", Value: prod, Flag: 'N'}}})
			e.Frame(now, &Frame{MN: "M5", Point: "FAC", Kind: RealTime, DataTime: now, Readings: []Reading{{Factor: "e01001", Value: fac, Flag: 'N'}}})
			out = append(out, e.Tick(now)...)
		}
		return out
	}
}

func checks(n int, every time.Duration) feed {
	return func(e *Evaluator) []Transition {
		var out []Transition
		for i := range n {
			out = append(out, e.Checked(t0.Add(time.Duration(i)*every), "M1", "crc")...)
		}
		return out
	}
}

func TestLifecycle(t *testing.T) {
	e := NewEvaluator(Settings{}, testRegistry(), t0)
	var got []string
	// Hourly averages (each judged on its own) one minute apart: limit 35,
	// hysteresis 0.95 × 35 = 33.25, ClearFor 10 min.
	vals := []float64{30, 50, 36, 34, 30, 30, 50, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30}
	for i, v := range vals {
		now := t0.Add(time.Duration(i) * time.Minute)
		for _, tr := range e.Frame(now, &Frame{MN: "M1", Point: "P1", Kind: Hour, DataTime: now, Readings: []Reading{{Factor: "a34013", Value: v / 3.5, Flag: 'N'}}}) {
			if tr.Rule == Exceedance {
				got = append(got, fmt.Sprintf("%d:%s:%d", i, tr.Change, tr.Repeats))
			}
		}
	}
	// a34013's limit is 10: v/3.5 against 10 is v against 35.
	want := []string{"1:fire:0", "6:repeat:1", "17:resolve:1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transitions %v, want %v", got, want)
	}
}

func TestSettingsOverride(t *testing.T) {
	six := 6
	dis := false
	s := NewSettings([]Setting{
		{Rule: Flat, Scope: "kind:gas_outlet", Override: Override{Count: &six}},
		{Rule: Flat, Scope: "point:P1/factor:a34013", Override: Override{Enabled: &dis}},
	})
	if p := s.For(Flat, "gas_outlet", "P1", "a21026"); p.Count != 6 || !p.Enabled {
		t.Errorf("kind override: %+v", p)
	}
	if p := s.For(Flat, "water_outlet", "P9", "a21026"); p.Count != 30 {
		t.Errorf("default: %+v", p)
	}
	if p := s.For(Flat, "gas_outlet", "P1", "a34013"); p.Enabled {
		t.Errorf("point+factor override: %+v", p)
	}
	e := NewEvaluator(s, testRegistry(), t0)
	if !fired(frames(6, func(int) []Reading { return []Reading{so2(21.5, 'N')} })(e), Flat) {
		t.Error("flat with count 6 did not fire after 6 values")
	}
	if fired(frames(40, func(int) []Reading { return []Reading{{Factor: "a34013", Value: 3, Flag: 'N'}} })(NewEvaluator(s, testRegistry(), t0)), Flat) {
		t.Error("flat fired for a factor where it is disabled")
	}
}

func TestParseSetting(t *testing.T) {
	good := `{"rule":"flat","scope":"point:P1/factor:a21026","override":{"count":10,"for":"5m","severity":"high"}}`
	s, err := ParseSetting([]byte(good))
	if err != nil || *s.Override.Count != 10 || time.Duration(*s.Override.For) != 5*time.Minute {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{`{"rule":"nope"}`, `{"rule":"flat","scope":"city:1"}`, `{"rule":"flat","override":{"severity":"dire"}}`,
		`{"rule":"flat","override":{"count":-1}}`, `{"rule":"flat","override":{"for":"soon"}}`, `{"rule":"flat","extra":1}`, `[`} {
		if _, err := ParseSetting([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func FuzzParseSetting(f *testing.F) {
	f.Add([]byte(`{"rule":"flat","scope":"point:P1/factor:a21026","override":{"count":10,"for":"5m"}}`))
	f.Add([]byte(`{"rule":"exceedance","scope":"kind:gas_outlet","override":{"threshold":1.2,"clear_for":600}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSetting(b)
		if err != nil {
			return
		}
		if !s.Rule.Valid() {
			t.Fatalf("accepted rule %q", s.Rule)
		}
		NewSettings([]Setting{s}).For(s.Rule, "gas_outlet", "P1", "a21026")
	})
}

// ConvertO2 agrees with the exact computation of assess/flue.
func TestConvertO2(t *testing.T) {
	for _, c := range [][3]string{{"30", "14", "6"}, {"50", "9", "6"}, {"12.5", "3.5", "3"}, {"80", "20.5", "9"}} {
		exact, err := flue.ToReferenceO2(flue.D(c[0]), flue.D(c[1]), flue.D(c[2]))
		if err != nil {
			t.Fatal(err)
		}
		var f [3]float64
		for i := range f {
			r, _ := new(big.Rat).SetString(c[i])
			f[i], _ = r.Float64()
		}
		want, _ := exact.Float64()
		if got := ConvertO2(f[0], f[1], f[2]); got-want > 1e-9 || want-got > 1e-9 {
			t.Errorf("ConvertO2(%v) = %v, want %v", c, got, want)
		}
	}
}

// After a restart the open alarms are restored as firing: a condition
// that ended meanwhile resolves them, one that goes on is no new alarm.
func TestRestore(t *testing.T) {
	e := NewEvaluator(Settings{}, testRegistry(), t0)
	e.Restore(Exceedance, "P1", "a34013", "M1", t0.Add(-time.Hour))
	e.Restore(Offline, "P1", "", "M1", t0.Add(-time.Hour))
	e.Restore(Flat, "P1", "a21026", "M1", t0.Add(-time.Hour))
	var got []string
	for i := range 12 {
		now := t0.Add(time.Duration(i) * time.Minute)
		v := 5.0
		if i == 0 {
			v = 20 // still over at first: no new alarm
		}
		for _, tr := range e.Frame(now, &Frame{MN: "M1", Point: "P1", Kind: Hour, DataTime: now, Readings: []Reading{{Factor: "a34013", Value: v, Flag: 'N'}}}) {
			got = append(got, fmt.Sprintf("%d:%s:%s", i, tr.Rule, tr.Change))
		}
	}
	// Offline ends with the first frame; the exceedance 10 min after the
	// value fell; flat is judged on real-time data only, so it stays.
	want := []string{"0:offline:resolve", "11:exceedance:resolve"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if n := len(e.Firing()); n != 1 {
		t.Errorf("%d keys firing, want 1 (flat): %+v", n, e.Firing())
	}
}
