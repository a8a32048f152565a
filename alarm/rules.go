package alarm

import (
	"ecowatch/store"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Rule names a kind of alarm. The names are stable: they are stored with
// every alarm, are part of bus subjects (alarm.<rule>.<point>) and of the
// API.
type Rule string

// The rules (issue 7, "Alarm engine"). Documented with their defaults in
// README.md.
const (
	Exceedance    Rule = "exceedance"     // 超标: O2-converted average over the limit
	Offline       Rule = "offline"        // 脱机: no frame for too long
	Missing       Rule = "missing"        // 缺数: an hour's data absent while online
	Flat          Rule = "flat"           // 恒值: N identical consecutive values
	ZeroNegative  Rule = "zero-negative"  // 零值/负值
	AboveRange    Rule = "above-range"    // 超量程: T flag
	ImpossibleO2  Rule = "impossible-o2"  // O2 near 21 % with high flow
	ZeroFlow      Rule = "zero-flow"      // concentration while flow is zero
	FlagTooLong   Rule = "flag-too-long"  // fault, maintenance, calibration… too long
	FacilityOff   Rule = "facility-off"   // 治污设施停运 while production runs
	CityAQI       Rule = "city-aqi"       // a city's daily AQI above 200
	StationDaily  Rule = "station-daily"  // a station above the GB 3095 daily limit
	WaterClass    Rule = "water-class"    // a section worse than its target class
	WrongPassword Rule = "wrong-password" // a device sent a wrong PW
	ClockDrift    Rule = "clock-drift"    // a device's clock is off
	CheckFailures Rule = "check-failures" // frames failing checks repeatedly
)

// Rules lists every rule in the order settings pages show them.
var Rules = []Rule{Exceedance, Offline, Missing, Flat, ZeroNegative, AboveRange, ImpossibleO2, ZeroFlow,
	FlagTooLong, FacilityOff, CityAQI, StationDaily, WaterClass, WrongPassword, ClockDrift, CheckFailures}

// Valid reports whether r is a known rule.
func (r Rule) Valid() bool { return slices.Contains(Rules, r) }

// Severity of an alarm; the same words as a case's severity.
type Severity string

// Severities, lowest first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

func validSeverity(s Severity) bool {
	return s == Low || s == Medium || s == High || s == Critical
}

// Params are one rule's settings where it is evaluated. What Threshold,
// Threshold2 and Count mean depends on the rule (README.md's table).
type Params struct {
	Enabled  bool
	Severity Severity
	// For: the condition must hold this long before the alarm fires.
	For time.Duration
	// ClearFor: the condition must stay away this long before the alarm
	// resolves (hysteresis in time).
	ClearFor   time.Duration
	Threshold  float64
	Threshold2 float64
	Count      int
}

// Defaults are the built-in settings of every rule. Each is documented in
// README.md; change both together.
var Defaults = map[Rule]Params{
	// Threshold: multiple of the limit that counts as over (1 = the limit);
	// Threshold2: the multiple under which a firing exceedance ends
	// (hysteresis in value); Count: valid values needed in the averaging
	// period before the running mean is judged.
	Exceedance: {Enabled: true, Severity: High, ClearFor: 10 * time.Minute, Threshold: 1, Threshold2: 0.95, Count: 3},
	// For: silence after the last frame that counts as offline.
	Offline: {Enabled: true, Severity: Medium, For: 10 * time.Minute, ClearFor: 0},
	// Threshold: minutes after an hour's end the hourly data may still
	// come (the gateway's backfill asks for it first).
	Missing: {Enabled: true, Severity: Low, Threshold: 20},
	// Count: identical consecutive values (real-time or minute data).
	Flat: {Enabled: true, Severity: Medium, Count: 30},
	// Threshold: values at or below it count; Count: consecutive values.
	ZeroNegative: {Enabled: true, Severity: Low, Threshold: 0, Count: 5},
	// Count: consecutive values flagged T.
	AboveRange: {Enabled: true, Severity: Medium, Count: 3},
	// Threshold: O2 % at or above which the air is ambient; Threshold2:
	// flow (m³/h, a00000) above which the stack is running; Count:
	// consecutive frames.
	ImpossibleO2: {Enabled: true, Severity: High, Threshold: 20.5, Threshold2: 1000, Count: 3},
	// Threshold: flow at or below which it is zero; Threshold2:
	// concentration above which a value is reported; Count: frames.
	ZeroFlow: {Enabled: true, Severity: High, Threshold: 0, Threshold2: 0, Count: 3},
	// For: how long a fault (D), communication (B), maintenance (M) or
	// calibration (C) flag may last.
	FlagTooLong: {Enabled: true, Severity: Medium, For: 2 * time.Hour, ClearFor: 10 * time.Minute},
	// Threshold: the production line's power-use value above which it
	// runs; Threshold2: the treatment facility's value below which it is
	// off; For: how long both must hold.
	FacilityOff: {Enabled: true, Severity: Critical, For: 15 * time.Minute, ClearFor: 10 * time.Minute, Threshold: 1, Threshold2: 0.5},
	// Threshold: the daily AQI above which a city alarms (200: heavy
	// pollution, HJ 633-2012 Table 2).
	CityAQI: {Enabled: true, Severity: High, Threshold: 200, Count: 1},
	// Threshold: multiple of the GB 3095-2012 class 2 24-hour limit;
	// Count: hourly values the day's mean needs.
	StationDaily: {Enabled: true, Severity: Medium, Threshold: 1, Count: 6},
	// Threshold: classes worse than the target that count (1 = any).
	WaterClass: {Enabled: true, Severity: Medium, Threshold: 1},
	// ClearFor: quiet time after the last event before the alarm ends.
	WrongPassword: {Enabled: true, Severity: Medium, ClearFor: time.Hour},
	ClockDrift:    {Enabled: true, Severity: Low, ClearFor: time.Hour},
	// Count: failed frames within For (the window); ClearFor: quiet time.
	CheckFailures: {Enabled: true, Severity: Medium, For: 10 * time.Minute, ClearFor: time.Hour, Count: 5},
}

// Override changes some of a rule's parameters for a scope; nil fields
// keep what the wider scope says.
type Override struct {
	Enabled    *bool     `json:"enabled,omitempty"`
	Severity   *Severity `json:"severity,omitempty"`
	For        *Duration `json:"for,omitempty"`
	ClearFor   *Duration `json:"clear_for,omitempty"`
	Threshold  *float64  `json:"threshold,omitempty"`
	Threshold2 *float64  `json:"threshold2,omitempty"`
	Count      *int      `json:"count,omitempty"`
}

// Duration is a time.Duration written as Go writes it ("10m", "1h30m").
type Duration time.Duration

// MarshalJSON writes "10m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "10m" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want \"10m\" or seconds")
		}
		*d = Duration(time.Duration(n * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want e.g. \"10m\", \"1h30m\"", s)
	}
	*d = Duration(v)
	return nil
}

// ErrInvalid is wrapped by errors about bad settings or requests.
var ErrInvalid = store.ErrInvalid

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Validate checks the values an override sets.
func (o Override) Validate() error {
	if o.Severity != nil && !validSeverity(*o.Severity) {
		return invalidf("severity %q: want low, medium, high or critical", *o.Severity)
	}
	for name, d := range map[string]*Duration{"for": o.For, "clear_for": o.ClearFor} {
		if d != nil && (*d < 0 || time.Duration(*d) > 31*24*time.Hour) {
			return invalidf("%s %s: want 0 to 31 days", name, time.Duration(*d))
		}
	}
	if o.Count != nil && (*o.Count < 0 || *o.Count > 100000) {
		return invalidf("count %d: want 0 to 100000", *o.Count)
	}
	for name, f := range map[string]*float64{"threshold": o.Threshold, "threshold2": o.Threshold2} {
		if f != nil && (*f != *f || *f > 1e12 || *f < -1e12) {
			return invalidf("%s: not a usable number", name)
		}
	}
	return nil
}

func (o Override) apply(p Params) Params {
	if o.Enabled != nil {
		p.Enabled = *o.Enabled
	}
	if o.Severity != nil {
		p.Severity = *o.Severity
	}
	if o.For != nil {
		p.For = time.Duration(*o.For)
	}
	if o.ClearFor != nil {
		p.ClearFor = time.Duration(*o.ClearFor)
	}
	if o.Threshold != nil {
		p.Threshold = *o.Threshold
	}
	if o.Threshold2 != nil {
		p.Threshold2 = *o.Threshold2
	}
	if o.Count != nil {
		p.Count = *o.Count
	}
	return p
}

// Scope says where an override applies: "" (every point: changes the
// default), "kind:<point kind>", "factor:<code>", "point:<code>" or
// "point:<code>/factor:<code>". The narrower scope wins, in that order.
type Scope string

// ParseScope checks a scope's shape.
func ParseScope(s string) (Scope, error) {
	switch {
	case s == "":
		return "", nil
	case strings.HasPrefix(s, "kind:") && token(s[5:]):
		return Scope(s), nil
	case strings.HasPrefix(s, "factor:") && token(s[7:]):
		return Scope(s), nil
	case strings.HasPrefix(s, "point:"):
		pt, f, ok := strings.Cut(s[6:], "/factor:")
		if token(pt) && (!ok || token(f)) {
			return Scope(s), nil
		}
	}
	return "", invalidf("scope %q: want \"\", kind:K, factor:F, point:P or point:P/factor:F", s)
}

func token(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Setting is one stored override.
type Setting struct {
	Rule     Rule     `json:"rule"`
	Scope    Scope    `json:"scope"`
	Override Override `json:"override"`
}

// ParseSetting reads a setting from JSON and validates it (the API's and
// the CLI's input).
func ParseSetting(b []byte) (Setting, error) {
	var s Setting
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, invalidf("setting: %v", err)
	}
	if !s.Rule.Valid() {
		return s, invalidf("rule %q: unknown", s.Rule)
	}
	if _, err := ParseScope(string(s.Scope)); err != nil {
		return s, err
	}
	return s, s.Override.Validate()
}

// Settings resolve every rule's parameters for a point and factor from
// the defaults and the overrides. The zero value is the defaults.
type Settings struct {
	by map[Rule]map[Scope]Override
}

// NewSettings builds settings from stored overrides.
func NewSettings(list []Setting) Settings {
	s := Settings{by: map[Rule]map[Scope]Override{}}
	for _, o := range list {
		if s.by[o.Rule] == nil {
			s.by[o.Rule] = map[Scope]Override{}
		}
		s.by[o.Rule][o.Scope] = o.Override
	}
	return s
}

// List returns the overrides by rule and scope.
func (s Settings) List() []Setting {
	var out []Setting
	for r, m := range s.by {
		for sc, o := range m {
			out = append(out, Setting{Rule: r, Scope: sc, Override: o})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rule != out[j].Rule {
			return out[i].Rule < out[j].Rule
		}
		return out[i].Scope < out[j].Scope
	})
	return out
}

// For resolves rule's parameters at a point of kind, for factor ("" for
// rules about a whole point or device): default, then kind, factor,
// point, point+factor overrides.
func (s Settings) For(rule Rule, kind, point, factor string) Params {
	p := Defaults[rule]
	m := s.by[rule]
	if m == nil {
		return p
	}
	for _, sc := range [...]Scope{"", Scope("kind:" + kind), Scope("factor:" + factor), Scope("point:" + point),
		Scope("point:" + point + "/factor:" + factor)} {
		if o, ok := m[sc]; ok {
			p = o.apply(p)
		}
	}
	return p
}
