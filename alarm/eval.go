package alarm

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
)

// Point is what the evaluator knows of a monitoring point from the
// registry.
type Point struct {
	Code string
	Kind string // registry.PointKind
	// Region is where the alarm is scoped: the enterprise's registered
	// region for an enterprise's point, the point's region otherwise.
	Region     string
	Enterprise string // credit code, "" for ambient points
	// City is the prefecture-level code of Region (for the city AQI).
	City          string
	InCityAverage bool
	TargetClass   int  // water sections: GB 3838 class 1..5, 0 none
	Lake          bool // lakes and reservoirs (the TP column)
	Limits        map[string]Limit
}

// Limit is a factor's emission limit at a point.
type Limit struct {
	Value float64
	// RefO2 is the reference O2 in % when the standard converts to it;
	// HasRefO2 says whether it does.
	RefO2    float64
	HasRefO2 bool
}

// Link says that a production line's power-use point and its treatment
// facility's power-use point belong together (治污设施与生产设施关联).
type Link struct {
	Production string `json:"production"`
	Facility   string `json:"facility"`
}

// Registry is the evaluator's view of the registry.
type Registry struct {
	Points  map[string]Point
	Devices map[string]string // MN → point code (registered devices)
	Links   []Link
}

// Kind is the interval kind of a data upload, as its CN.
type Kind uint16

// Interval kinds (HJ 212-2017 table 9).
const (
	RealTime Kind = 2011
	Minute   Kind = 2051
	Hour     Kind = 2061
	Day      Kind = 2031
)

// Reading is one factor's value in a frame. Value is Rtd for real-time
// data and Avg for interval data; Zs the O2-converted (折算) value when the
// device sends one.
type Reading struct {
	Factor string
	Value  float64
	Zs     float64
	HasZs  bool
	// Flag is the HJ 212 data flag (N, F, M, S, D, C, T, B; 0 = none,
	// read as N).
	Flag byte
}

// Frame is one data upload.
type Frame struct {
	MN, Point string
	Kind      Kind
	DataTime  time.Time
	Readings  []Reading
}

// Factor codes the cross-factor rules read (HJ 212-2017 Appendix B).
const (
	FactorO2        = "a19001" // 氧含量, %
	FactorGasFlow   = "a00000" // 废气流量, m³/h (or the 2005 "B02")
	FactorWaterFlow = "w00000" // 废水流量
)

// Transition is a change for the caller to store and notify.
type Transition struct {
	Change     Change    `json:"change"`
	Rule       Rule      `json:"rule"`
	Point      string    `json:"point"` // point code, city code (city-aqi) or "" for an unregistered device
	Factor     string    `json:"factor,omitempty"`
	MN         string    `json:"mn,omitempty"`
	Region     string    `json:"region"`
	Enterprise string    `json:"enterprise,omitempty"`
	Severity   Severity  `json:"severity"`
	At         time.Time `json:"at"`
	Value      float64   `json:"value"`
	Threshold  float64   `json:"threshold"`
	Message    string    `json:"message"`
	Repeats    int       `json:"repeats"`
}

// factor rules kept inline in a factor's state (the per-frame path).
const (
	frExceedance = iota
	frFlat
	frZero
	frRange
	frZeroFlow
	frFlag
	frStation
	numFR
)

var factorRules = [numFR]Rule{Exceedance, Flat, ZeroNegative, AboveRange, ZeroFlow, FlagTooLong, StationDaily}

type factorState struct {
	code  string
	limit Limit
	has   bool // a limit exists
	// p are the rules' parameters here, shared by every factor with the
	// same ones (interned): most factors of a kind have the defaults, and
	// a frame touching fewer cache lines is a faster frame.
	p *[numFR]Params
	// st are the rules' states, allocated when a rule first finds its
	// condition: the states of quiet factors are never touched, and the
	// per-frame data of ten factors stays in a few cache lines.
	st *[numFR]State
	// live has bit r set while st[r] is pending or firing: the per-frame
	// path reads one byte instead of seven states to find nothing to do.
	live uint8

	// Exceedance: the running mean of the current averaging period
	// (hour) of valid values; flagged values are counted apart.
	period  int64
	sum     float64
	n       int
	flagged int

	last    float64
	flatRun int
	zeroRun int
	tRun    int
	zfRun   int

	// Ambient: the CST day's hourly values.
	day    int64
	daySum float64
	dayN   int
	dayMax float64
}

type pointState struct {
	code      string
	info      Point
	known     bool
	ver       int
	factors   []factorState
	lastFrame time.Time
	// lastHour is the latest hourly data's DataTime; zero when the point
	// never sent hourly data (then none is expected of it).
	lastHour time.Time
	o2Run    int
	o2P      Params
	o2St     State
	// latest values for the facility-off rule
	maxValue float64
	maxAt    time.Time
}

type key struct {
	rule    Rule
	subject string // point, city or MN
	factor  string
}

type genState struct {
	State
	mn, point string
	// events within the check-failure window
	times []time.Time
}

// Evaluator holds the rules' state for every point and device. It is not
// safe for concurrent use; it does no I/O and reads no clock: every call
// takes now.
type Evaluator struct {
	settings Settings
	ver      int
	reg      Registry
	points   map[string]*pointState
	gen      map[key]*genState
	// lastSeen per device MN (offline rule); started is the baseline for
	// devices never heard from.
	lastSeen map[string]time.Time
	started  time.Time
	out      []Transition
	params   map[[numFR]Params]*[numFR]Params
}

// NewEvaluator returns an evaluator with settings and a registry; started
// is when evaluation began (a device never heard from is offline from
// then on).
func NewEvaluator(s Settings, reg Registry, started time.Time) *Evaluator {
	e := &Evaluator{settings: s, ver: 1, points: map[string]*pointState{}, gen: map[key]*genState{},
		lastSeen: map[string]time.Time{}, started: started, params: map[[numFR]Params]*[numFR]Params{}}
	e.SetRegistry(reg)
	return e
}

// SetSettings replaces the settings; cached parameters are refreshed on
// each point's next frame.
func (e *Evaluator) SetSettings(s Settings) {
	e.settings = s
	e.ver++
	e.params = map[[numFR]Params]*[numFR]Params{}
}

// Settings returns the settings in force.
func (e *Evaluator) Settings() Settings { return e.settings }

// SetRegistry replaces the registry view.
func (e *Evaluator) SetRegistry(r Registry) {
	if r.Points == nil {
		r.Points = map[string]Point{}
	}
	e.reg = r
	e.ver++
	for code, ps := range e.points {
		ps.info, ps.known = r.Points[code]
	}
}

func (e *Evaluator) point(code string) *pointState {
	ps := e.points[code]
	if ps == nil {
		ps = &pointState{code: code}
		ps.info, ps.known = e.reg.Points[code]
		e.points[code] = ps
	}
	if ps.ver != e.ver {
		ps.ver = e.ver
		ps.o2P = e.settings.For(ImpossibleO2, ps.info.Kind, code, FactorO2)
		for i := range ps.factors {
			e.refresh(ps, &ps.factors[i])
		}
	}
	return ps
}

func (e *Evaluator) refresh(ps *pointState, fs *factorState) {
	fs.limit, fs.has = ps.info.Limits[fs.code]
	var p [numFR]Params
	for r := range numFR {
		p[r] = e.settings.For(factorRules[r], ps.info.Kind, ps.code, fs.code)
	}
	if fs.p = e.params[p]; fs.p == nil {
		fs.p = &p
		e.params[p] = fs.p
	}
}

// state returns rule r's state, allocating the states on first use.
func (fs *factorState) state(r int) *State {
	if fs.st == nil {
		fs.st = new([numFR]State)
	}
	return &fs.st[r]
}

// firing reports whether rule r fires.
func (fs *factorState) firing(r int) bool {
	return fs.live&(1<<r) != 0 && fs.st[r].Phase == Firing
}

// needMsg is needMsg for rule r of a factor.
func (fs *factorState) needMsg(r int, active bool) bool {
	return active && (fs.live&(1<<r) == 0 || fs.st[r].Phase != Firing || !fs.st[r].ClearSince.IsZero())
}

// mark records in live whether rule r's state needs evaluating.
func (fs *factorState) mark(r int) {
	if ph := fs.state(r).Phase; ph == Pending || ph == Firing {
		fs.live |= 1 << r
	} else {
		fs.live &^= 1 << r
	}
}

func (ps *pointState) factor(e *Evaluator, code string) *factorState {
	return ps.factorAt(e, -1, code)
}

// factorAt finds a factor's state, trying position hint first: a device
// sends its factors in the same order every time.
func (ps *pointState) factorAt(e *Evaluator, hint int, code string) *factorState {
	if hint >= 0 && hint < len(ps.factors) && ps.factors[hint].code == code {
		return &ps.factors[hint]
	}
	for i := range ps.factors {
		if ps.factors[i].code == code {
			return &ps.factors[i]
		}
	}
	ps.factors = append(ps.factors, factorState{code: code})
	fs := &ps.factors[len(ps.factors)-1]
	e.refresh(ps, fs)
	return fs
}

func (e *Evaluator) emit(c Change, r Rule, ps *pointState, factor, mn string, p Params, now time.Time, s State, o Observation) {
	if c == None {
		return
	}
	t := Transition{Change: c, Rule: r, Factor: factor, MN: mn, Severity: p.Severity, At: now, Value: s.Value,
		Threshold: o.Threshold, Message: o.Message, Repeats: s.Repeats}
	if ps != nil {
		t.Point, t.Region, t.Enterprise = ps.code, ps.info.Region, ps.info.Enterprise
	}
	e.out = append(e.out, t)
}

func (e *Evaluator) step(r Rule, ps *pointState, factor, mn string, p Params, st *State, now time.Time, o Observation) {
	if !o.Active && (st.Phase == Inactive || st.Phase == Resolved) {
		return // the common case: nothing to do
	}
	if !p.Enabled {
		if st.Phase == Firing {
			// A rule switched off ends its alarms.
			o = Observation{}
			p.ClearFor = 0
		} else {
			return
		}
	}
	var c Change
	*st, c = Step(now, p, *st, o)
	e.emit(c, r, ps, factor, mn, p, now, *st, o)
}

// needMsg says whether an active observation can change the state, so
// that its message is worth formatting: an alarm firing on and on formats
// nothing per frame.
func needMsg(st *State, active bool) bool {
	return active && (st.Phase != Firing || !st.ClearSince.IsZero())
}

// quiet says whether an observation leaves a state as it is without a
// call to Step: the condition is absent and nothing is pending or firing.
// It keeps the per-frame path to a comparison for the usual case.
func (s *State) quiet(active bool) bool {
	return !active && (s.Phase == Inactive || s.Phase == Resolved)
}

func valid(flag byte) bool { return flag == 0 || flag == 'N' }

// abnormal flags: fault, communication error, maintenance, calibration
// (HJ 212-2017 Table 6: D, B, M, C). Stopped (F) is the production's
// state, not a fault, and manual (S) is an operator's entry.
func abnormal(flag byte) bool { return flag == 'D' || flag == 'B' || flag == 'M' || flag == 'C' }

// Frame evaluates one data upload received at now. The returned slice is
// reused by the next call.
func (e *Evaluator) Frame(now time.Time, f *Frame) []Transition {
	e.out = e.out[:0]
	if f.MN != "" {
		e.lastSeen[f.MN] = now
		if g := e.gen[key{Offline, f.MN, ""}]; g != nil && g.Phase == Firing {
			e.step(Offline, e.point(f.Point), "", f.MN, e.settings.For(Offline, "", f.Point, ""), &g.State, now, Observation{})
		}
	}
	if f.Point == "" {
		return e.out
	}
	ps := e.point(f.Point)
	ps.lastFrame = now
	if f.Kind == Hour && f.DataTime.After(ps.lastHour) {
		ps.lastHour = f.DataTime
		if g := e.gen[key{Missing, ps.code, ""}]; g != nil && g.Phase == Firing {
			e.step(Missing, ps, "", f.MN, e.settings.For(Missing, ps.info.Kind, ps.code, ""), &g.State, now, Observation{})
		}
	}
	interval := f.Kind == Hour || f.Kind == Day
	period := f.DataTime.Unix() / 3600
	var o2, flow float64
	hasO2, hasFlow := false, false
	ps.maxValue, ps.maxAt = math.Inf(-1), now
	for i := range f.Readings {
		rd := &f.Readings[i]
		if valid(rd.Flag) && rd.Value > ps.maxValue {
			ps.maxValue = rd.Value
		}
		switch rd.Factor {
		case FactorO2:
			o2, hasO2 = rd.Value, valid(rd.Flag)
		case FactorGasFlow, FactorWaterFlow:
			flow, hasFlow = rd.Value, valid(rd.Flag)
		}
	}
	for i := range f.Readings {
		rd := &f.Readings[i]
		fs := ps.factorAt(e, i, rd.Factor)
		ok := valid(rd.Flag)

		// Exceedance of the O2-converted average (flagged values out).
		if fs.has {
			v := rd.Value
			if fs.limit.HasRefO2 {
				if rd.HasZs {
					v = rd.Zs
				} else if hasO2 {
					v = ConvertO2(v, o2, fs.limit.RefO2)
				}
			}
			p := &fs.p[frExceedance]
			var mean float64
			judge := false
			if interval {
				if ok {
					mean, judge = v, true
				}
			} else {
				if fs.period != period {
					fs.period, fs.sum, fs.n, fs.flagged = period, 0, 0, 0
				}
				if ok {
					fs.sum += v
					fs.n++
				} else {
					fs.flagged++
				}
				mean, judge = fs.sum/float64(max(fs.n, 1)), fs.n >= p.Count
			}
			if judge {
				th := fs.limit.Value * p.Threshold
				if fs.firing(frExceedance) {
					th = fs.limit.Value * p.Threshold2
				}
				o := Observation{Active: mean > th, Value: mean, Threshold: fs.limit.Value}
				if fs.needMsg(frExceedance, o.Active) {
					o.Message = fmt.Sprintf("%s average %.4g over limit %.4g (%d valid values, %d flagged excluded)", rd.Factor, mean, fs.limit.Value, max(fs.n, 1), fs.flagged)
				}
				if o.Active || fs.live&(1<<frExceedance) != 0 {
					e.step(Exceedance, ps, rd.Factor, f.MN, *p, fs.state(frExceedance), now, o)
					fs.mark(frExceedance)
				}
			}
		}
		if !interval {
			// Flat-lined values.
			if ok {
				if fs.flatRun > 0 && rd.Value == fs.last {
					fs.flatRun++
				} else {
					fs.flatRun = 1
				}
				fs.last = rd.Value
				p := &fs.p[frFlat]
				o := Observation{Active: fs.flatRun >= p.Count && p.Count > 1, Value: rd.Value, Threshold: float64(p.Count)}
				if fs.needMsg(frFlat, o.Active) {
					o.Message = fmt.Sprintf("%s stayed at %v for %d values", rd.Factor, rd.Value, fs.flatRun)
				}
				if o.Active || fs.live&(1<<frFlat) != 0 {
					e.step(Flat, ps, rd.Factor, f.MN, *p, fs.state(frFlat), now, o)
					fs.mark(frFlat)
				}
			}
		}
		// Zero or negative values.
		if ok {
			p := &fs.p[frZero]
			if rd.Value <= p.Threshold {
				fs.zeroRun++
			} else {
				fs.zeroRun = 0
			}
			o := Observation{Active: fs.zeroRun >= max(p.Count, 1), Value: rd.Value, Threshold: p.Threshold}
			if fs.needMsg(frZero, o.Active) {
				o.Message = fmt.Sprintf("%s at or below %v for %d values", rd.Factor, p.Threshold, fs.zeroRun)
			}
			if o.Active || fs.live&(1<<frZero) != 0 {
				e.step(ZeroNegative, ps, rd.Factor, f.MN, *p, fs.state(frZero), now, o)
				fs.mark(frZero)
			}
		}
		// Above the instrument's range (T flag).
		{
			p := &fs.p[frRange]
			if rd.Flag == 'T' {
				fs.tRun++
			} else {
				fs.tRun = 0
			}
			o := Observation{Active: fs.tRun >= max(p.Count, 1), Value: rd.Value}
			if fs.needMsg(frRange, o.Active) {
				o.Message = fmt.Sprintf("%s above the instrument's range (flag T) for %d values", rd.Factor, fs.tRun)
			}
			if o.Active || fs.live&(1<<frRange) != 0 {
				e.step(AboveRange, ps, rd.Factor, f.MN, *p, fs.state(frRange), now, o)
				fs.mark(frRange)
			}
		}
		// Concentration while the flow is zero.
		if fs.has && hasFlow && ok {
			p := &fs.p[frZeroFlow]
			if flow <= p.Threshold && rd.Value > p.Threshold2 {
				fs.zfRun++
			} else {
				fs.zfRun = 0
			}
			o := Observation{Active: fs.zfRun >= max(p.Count, 1), Value: rd.Value, Threshold: p.Threshold}
			if fs.needMsg(frZeroFlow, o.Active) {
				o.Message = fmt.Sprintf("%s reported %v while the flow is %v", rd.Factor, rd.Value, flow)
			}
			if o.Active || fs.live&(1<<frZeroFlow) != 0 {
				e.step(ZeroFlow, ps, rd.Factor, f.MN, *p, fs.state(frZeroFlow), now, o)
				fs.mark(frZeroFlow)
			}
		}
		// Abnormal flags lasting too long: the pending hold is the limit.
		{
			p := &fs.p[frFlag]
			o := Observation{Active: abnormal(rd.Flag), Value: rd.Value}
			if fs.needMsg(frFlag, o.Active) {
				o.Message = fmt.Sprintf("%s flagged %c for longer than %s", rd.Factor, rd.Flag, p.For)
			}
			if o.Active || fs.live&(1<<frFlag) != 0 {
				e.step(FlagTooLong, ps, rd.Factor, f.MN, *p, fs.state(frFlag), now, o)
				fs.mark(frFlag)
			}
		}
		// Ambient stations: the day's mean against GB 3095.
		if f.Kind == Hour && ps.info.Kind == "air_station" && ok {
			day := (f.DataTime.Unix() + 8*3600) / 86400
			if fs.day != day {
				fs.day, fs.daySum, fs.dayN, fs.dayMax = day, 0, 0, math.Inf(-1)
			}
			fs.daySum += rd.Value
			fs.dayN++
			fs.dayMax = max(fs.dayMax, rd.Value)
			if lim, ok := GB3095Daily[rd.Factor]; ok {
				p := &fs.p[frStation]
				if fs.dayN >= p.Count {
					mean := fs.daySum / float64(fs.dayN)
					o := Observation{Active: mean > lim*p.Threshold, Value: mean, Threshold: lim}
					if fs.needMsg(frStation, o.Active) {
						o.Message = fmt.Sprintf("%s daily mean %.4g over the GB 3095-2012 class 2 limit %v", rd.Factor, mean, lim)
					}
					if o.Active || fs.live&(1<<frStation) != 0 {
						e.step(StationDaily, ps, rd.Factor, f.MN, *p, fs.state(frStation), now, o)
						fs.mark(frStation)
					}
				}
			}
		}
	}
	// O2 near ambient while the stack blows hard: a diluted or bypassed
	// sample (tampering).
	if hasO2 && hasFlow {
		p := ps.o2P
		if o2 >= p.Threshold && flow > p.Threshold2 {
			ps.o2Run++
		} else {
			ps.o2Run = 0
		}
		o := Observation{Active: ps.o2Run >= max(p.Count, 1), Value: o2, Threshold: p.Threshold}
		if needMsg(&ps.o2St, o.Active) {
			o.Message = fmt.Sprintf("O2 %v %% with flow %v m3/h", o2, flow)
		}
		if !ps.o2St.quiet(o.Active) {
			e.step(ImpossibleO2, ps, FactorO2, f.MN, p, &ps.o2St, now, o)
		}
	}
	if f.Kind == Hour && ps.info.TargetClass > 0 && (ps.info.Kind == "water_section" || ps.info.Kind == "water_station") {
		e.waterClass(now, ps, f)
	}
	return e.out
}

// ConvertO2 converts a measured concentration to the reference O2
// content: C = C' × (21 − O2ref) / (21 − O2) (HJ 75-2017 formula for the
// 基准氧含量 conversion, as assess/flue.ToReferenceO2 computes exactly).
// An O2 of 21 % or more cannot be converted; the measured value is kept
// (the impossible-o2 rule reports such values).
func ConvertO2(c, o2, ref float64) float64 {
	if o2 >= 21 || o2 < 0 {
		return c
	}
	return c * (21 - ref) / (21 - o2)
}

// GB3095Daily are the class 2 24-hour mean limits of GB 3095-2012
// Table 1 (µg/m³; CO mg/m³). O3 has no 24-hour limit (its daily limit is
// the 8-hour mean) and is not judged by the station-daily rule.
var GB3095Daily = map[string]float64{
	"a21026": 150, // SO2
	"a21004": 80,  // NO2
	"a34002": 150, // PM10
	"a34004": 75,  // PM2.5
	"a21005": 4,   // CO
}

// waterItems maps HJ 212 water codes to GB 3838 items.
var waterItems = map[string]water.Item{
	"w01001": water.PH, "w01009": water.DO, "w01019": water.CODMn, "w01018": water.COD,
	"w21003": water.NH3N, "w21011": water.TP, "w01017": water.BOD5,
}

func (e *Evaluator) waterClass(now time.Time, ps *pointState, f *Frame) {
	body := water.River
	if ps.info.Lake {
		body = water.Lake
	}
	worst := water.Class(0)
	var worstItem string
	for _, rd := range f.Readings {
		it, ok := waterItems[rd.Factor]
		if !ok || !valid(rd.Flag) || rd.Value < 0 || math.IsNaN(rd.Value) || math.IsInf(rd.Value, 0) {
			continue
		}
		c, err := water.ItemClass(it, body, new(big.Rat).SetFloat64(rd.Value))
		if err == nil && c > worst {
			worst, worstItem = c, rd.Factor
		}
	}
	if worst == 0 {
		return
	}
	p := e.settings.For(WaterClass, ps.info.Kind, ps.code, "")
	k := key{WaterClass, ps.code, ""}
	g := e.genFor(k, f.MN, ps.code)
	margin := int(math.Max(1, p.Threshold))
	o := Observation{Active: int(worst) >= ps.info.TargetClass+margin, Value: float64(worst), Threshold: float64(ps.info.TargetClass)}
	if o.Active {
		o.Message = fmt.Sprintf("class %s (by %s), target class %s", worst, worstItem, water.Class(ps.info.TargetClass))
	}
	e.step(WaterClass, ps, "", f.MN, p, &g.State, now, o)
}

func (e *Evaluator) genFor(k key, mn, point string) *genState {
	g := e.gen[k]
	if g == nil {
		g = &genState{mn: mn, point: point}
		e.gen[k] = g
	}
	return g
}

// Device events (the gateway's event.device.<kind>.<MN>).
const (
	EventWrongPassword = "wrong-password"
	EventClockDrift    = "clock-drift"
	EventOffline       = "offline"
	EventOnline        = "online"
)

// Event evaluates a device event at now. The returned slice is reused by
// the next call.
func (e *Evaluator) Event(now time.Time, kind, mn, detail string) []Transition {
	e.out = e.out[:0]
	var r Rule
	switch kind {
	case EventWrongPassword:
		r = WrongPassword
	case EventClockDrift:
		r = ClockDrift
	case EventOnline:
		e.lastSeen[mn] = now
		return e.out
	default:
		return e.out
	}
	if _, ok := e.reg.Devices[mn]; !ok {
		return e.out // see Checked
	}
	e.deviceEvent(now, r, mn, "device "+mn+": "+kind+" "+detail)
	return e.out
}

func (e *Evaluator) deviceEvent(now time.Time, r Rule, mn, msg string) {
	point := e.reg.Devices[mn]
	var ps *pointState
	if point != "" {
		ps = e.point(point)
	}
	kind := ""
	if ps != nil {
		kind = ps.info.Kind
	}
	p := e.settings.For(r, kind, point, "")
	g := e.genFor(key{r, mn, ""}, mn, point)
	e.step(r, ps, "", mn, p, &g.State, now, Observation{Active: true, Event: true, Message: msg, Value: 1})
}

// Checked reports a frame from mn that failed the gateway's checks (bad
// CRC, grammar, …; verdict is the gateway's). The returned slice is
// reused by the next call.
func (e *Evaluator) Checked(now time.Time, mn, verdict string) []Transition {
	e.out = e.out[:0]
	point := e.reg.Devices[mn]
	if point == "" {
		// Only registered devices: invented MNs in broken frames must not
		// grow the evaluator's memory, and no one but the archive could
		// follow such an alarm up.
		return e.out
	}
	g := e.genFor(key{CheckFailures, mn, ""}, mn, point)
	var ps *pointState
	kind := ""
	if point != "" {
		ps = e.point(point)
		kind = ps.info.Kind
	}
	p := e.settings.For(CheckFailures, kind, point, "")
	g.times = append(prune(g.times, now, p.For), now)
	n := len(g.times)
	o := Observation{Active: n >= max(p.Count, 1), Value: float64(n), Threshold: float64(p.Count), Event: true}
	if o.Active {
		o.Message = fmt.Sprintf("device %s: %d frames failed checks within %s (last: %s)", mn, n, p.For, verdict)
	}
	if g.Phase == Firing && !o.Active {
		return e.out
	}
	q := p
	q.For = 0 // For is the counting window, not a hold
	e.step(CheckFailures, ps, "", mn, q, &g.State, now, o)
	return e.out
}

func prune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > window {
		i++
	}
	if len(ts) > 1000 {
		i = max(i, len(ts)-1000)
	}
	return append(ts[:0], ts[i:]...)
}

// Tick evaluates the time-driven rules at now: offline devices, missing
// hourly data, treatment facilities off, the city AQI and the quiet ends
// of device events. Call it every few seconds to a minute. The returned
// slice is reused by the next call.
func (e *Evaluator) Tick(now time.Time) []Transition {
	e.out = e.out[:0]
	// Offline: every registered device, silent for longer than For.
	mns := make([]string, 0, len(e.reg.Devices))
	for mn := range e.reg.Devices {
		mns = append(mns, mn)
	}
	sort.Strings(mns)
	for _, mn := range mns {
		point := e.reg.Devices[mn]
		ps := e.point(point)
		p := e.settings.For(Offline, ps.info.Kind, point, "")
		last, ok := e.lastSeen[mn]
		if !ok {
			last = e.started
		}
		silent := now.Sub(last)
		k := key{Offline, mn, ""}
		g := e.gen[k]
		o := Observation{Active: silent >= p.For, Value: silent.Minutes(), Threshold: p.For.Minutes()}
		if !o.Active && g == nil {
			continue
		}
		if o.Active {
			o.Message = fmt.Sprintf("device %s silent for %s", mn, silent.Truncate(time.Second))
		}
		g = e.genFor(k, mn, point)
		q := p
		q.For = 0 // the silence is the hold
		e.step(Offline, ps, "", mn, q, &g.State, now, o)
	}
	// Missing hourly data while online, for points that send hourly data.
	codes := make([]string, 0, len(e.points))
	for c := range e.points {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		ps := e.points[c]
		if ps.lastHour.IsZero() {
			continue
		}
		p := e.settings.For(Missing, ps.info.Kind, c, "")
		offline := e.settings.For(Offline, ps.info.Kind, c, "")
		grace := time.Duration(p.Threshold * float64(time.Minute))
		// The last hour whose data should be in by now.
		due := now.Add(-grace).Truncate(time.Hour).Add(-time.Hour)
		online := now.Sub(ps.lastFrame) < offline.For
		k := key{Missing, c, ""}
		g := e.gen[k]
		o := Observation{Active: online && ps.lastHour.Before(due)}
		if !o.Active && g == nil {
			continue
		}
		if o.Active {
			o.Message = fmt.Sprintf("hourly data of %s missing since %s", c, ps.lastHour.Add(time.Hour).Format(time.RFC3339))
		}
		g = e.genFor(k, "", c)
		e.step(Missing, ps, "", "", p, &g.State, now, o)
	}
	// Treatment facility off while production runs.
	for _, l := range e.reg.Links {
		prod, fac := e.points[l.Production], e.points[l.Facility]
		if prod == nil {
			continue
		}
		p := e.settings.For(FacilityOff, prod.info.Kind, l.Production, "")
		fresh := func(ps *pointState) bool { return ps != nil && now.Sub(ps.lastFrame) < 10*time.Minute }
		running := fresh(prod) && prod.maxValue > p.Threshold
		off := fresh(fac) && fac.maxValue < p.Threshold2
		k := key{FacilityOff, l.Production, ""}
		g := e.gen[k]
		o := Observation{Active: running && off}
		if !o.Active && g == nil {
			continue
		}
		if o.Active {
			o.Value, o.Threshold = fac.maxValue, p.Threshold2
			o.Message = fmt.Sprintf("treatment facility %s off (%v) while production %s runs (%v)", l.Facility, fac.maxValue, l.Production, prod.maxValue)
		}
		g = e.genFor(k, "", l.Production)
		e.step(FacilityOff, prod, "", "", p, &g.State, now, o)
	}
	e.cityAQI(now)
	// Device events end after a quiet ClearFor.
	for k, g := range e.gen {
		if k.rule != WrongPassword && k.rule != ClockDrift && k.rule != CheckFailures || g.Phase != Firing {
			continue
		}
		var ps *pointState
		kind := ""
		if g.point != "" {
			ps = e.point(g.point)
			kind = ps.info.Kind
		}
		p := e.settings.For(k.rule, kind, g.point, "")
		if k.rule == CheckFailures {
			g.times = prune(g.times, now, p.For)
			if len(g.times) >= max(p.Count, 1) {
				continue
			}
		}
		p.For = 0
		e.step(k.rule, ps, "", g.mn, p, &g.State, now, Observation{})
	}
	return e.out
}

// cityAQI computes each city's daily AQI of the day so far from its
// stations in the city average (HJ 633-2012: the city value of a
// pollutant is the mean of its stations; 24-hour means of SO2, NO2,
// PM10, PM2.5, CO, the day's maximum 1-hour O3).
func (e *Evaluator) cityAQI(now time.Time) {
	type acc struct{ sum, n [aqi.NumIndicators]float64 }
	today := (now.Unix() + 8*3600) / 86400
	cities := map[string]*acc{}
	ind := map[string]aqi.Indicator{"a21026": aqi.SO2_24h, "a21004": aqi.NO2_24h, "a34002": aqi.PM10_24h,
		"a34004": aqi.PM25_24h, "a21005": aqi.CO24h, "a05024": aqi.O3_1h}
	for _, ps := range e.points {
		if ps.info.Kind != "air_station" || !ps.info.InCityAverage || ps.info.City == "" {
			continue
		}
		for i := range ps.factors {
			fs := &ps.factors[i]
			in, ok := ind[fs.code]
			if !ok || fs.day != today || fs.dayN == 0 {
				continue
			}
			a := cities[ps.info.City]
			if a == nil {
				a = &acc{}
				cities[ps.info.City] = a
			}
			v := fs.daySum / float64(fs.dayN)
			if in == aqi.O3_1h {
				v = fs.dayMax
			}
			a.sum[in] += v
			a.n[in]++
		}
	}
	names := make([]string, 0, len(cities))
	for c := range cities {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, city := range names {
		a := cities[city]
		rules := aqi.Default(now)
		var c aqi.Concentrations
		for in := range aqi.NumIndicators {
			if a.n[in] == 0 {
				continue
			}
			places := 0
			if in == aqi.CO24h {
				places = 1
			}
			d, err := decimal.Parse(fmt.Sprintf("%.*f", places, a.sum[in]/a.n[in]))
			if err == nil {
				c.Set(in, d)
			}
		}
		res := rules.Compute(aqi.Daily, c)
		p := e.settings.For(CityAQI, "", city, "")
		k := key{CityAQI, city, ""}
		g := e.genFor(k, "", city)
		o := Observation{Active: res.Available && float64(res.AQI) > p.Threshold, Value: float64(res.AQI), Threshold: p.Threshold}
		if o.Active {
			o.Message = fmt.Sprintf("city %s daily AQI %d (so far today) above %v", city, res.AQI, p.Threshold)
		}
		var c2 Change
		g.State, c2 = Step(now, p, g.State, o)
		if p.Enabled || c2 == Resolve {
			if c2 != None {
				e.out = append(e.out, Transition{Change: c2, Rule: CityAQI, Point: city, Region: city, Severity: p.Severity,
					At: now, Value: g.Value, Threshold: p.Threshold, Message: o.Message, Repeats: g.Repeats})
			}
		}
	}
}

// Firing lists the keys firing now (rule, subject, factor), for a restart
// to reconcile stored open alarms with.
func (e *Evaluator) Firing() []Transition {
	var out []Transition
	for _, ps := range e.points {
		for i := range ps.factors {
			fs := &ps.factors[i]
			for r := range numFR {
				if fs.st != nil && fs.st[r].Phase == Firing {
					out = append(out, Transition{Rule: factorRules[r], Point: ps.code, Factor: fs.code})
				}
			}
		}
		if ps.o2St.Phase == Firing {
			out = append(out, Transition{Rule: ImpossibleO2, Point: ps.code, Factor: FactorO2})
		}
	}
	for k, g := range e.gen {
		if g.Phase == Firing {
			out = append(out, Transition{Rule: k.rule, Point: g.point, MN: g.mn})
		}
	}
	return out
}

// nan marks a reading without a value while a frame is read.
var nan = math.NaN()

// Restore marks a key as firing since at: the engine restores the stored
// open alarms after a restart, so that a condition that ended meanwhile
// resolves them and one that goes on counts as the same alarm.
func (e *Evaluator) Restore(r Rule, point, factor, mn string, at time.Time) {
	st := State{Phase: Firing, Since: at}
	for i, fr := range factorRules {
		if fr == r {
			if point == "" {
				return
			}
			fs := e.point(point).factor(e, factor)
			*fs.state(i) = st
			fs.mark(i)
			return
		}
	}
	switch r {
	case ImpossibleO2:
		if point != "" {
			e.point(point).o2St = st
		}
	case Offline, WrongPassword, ClockDrift, CheckFailures:
		g := e.genFor(key{r, mn, ""}, mn, point)
		g.State = st
	case Missing, FacilityOff, WaterClass, CityAQI:
		g := e.genFor(key{r, point, ""}, mn, point)
		g.State = st
	}
}
