package alarm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
)

// Engine runs the rules on the bus: a durable consumer of the gateway's
// frames ("frame.>"), a subscriber of its device events, a periodic tick
// for the time-driven rules. Transitions are stored by a writer goroutine
// (the bus handler only evaluates in memory, so the gateway's
// acknowledgements never wait for the database), published on the bus as
// "alarm.<rule>.<point>" for the live feeds, and handed to Notify.
type Engine struct {
	Repo   *Repo
	Store  store.Store // the registry
	Bus    bus.Bus
	Logger *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Every is the tick of the time-driven rules (default 15 s); Reload
	// how often the registry and settings are read again (default 1 min).
	Every, ReloadEvery time.Duration
	// Notify is called after an alarm was opened, repeated or cleared.
	Notify func(ctx context.Context, a Alarm, c Change)
	// SkipConsume: the frames come through Sink (the store writer's
	// decoded records) instead of a bus consumer of their own.
	SkipConsume bool

	mu      sync.Mutex
	ev      *Evaluator
	frame   hj212.Frame
	msg     gateway.Message
	in      Frame
	queue   chan Transition
	dropped atomic.Int64
}

// ConsumerName is the engine's durable consumer on the bus.
const ConsumerName = "alarm"

// EventView is the JSON of an alarm event on the bus and in the /events
// feed.
type EventView struct {
	Type       string    `json:"type"` // "alarm"
	Change     string    `json:"change"`
	ID         int64     `json:"id"`
	Rule       Rule      `json:"rule"`
	Point      string    `json:"point"`
	Factor     string    `json:"factor,omitempty"`
	MN         string    `json:"mn,omitempty"`
	Region     string    `json:"region"`
	Enterprise string    `json:"enterprise,omitempty"`
	Severity   Severity  `json:"severity"`
	State      string    `json:"state"`
	Message    string    `json:"message"`
	Time       time.Time `json:"time"`
}

// Subject returns the bus subject of an alarm event: alarm.<rule>.<point>.
func Subject(r Rule, point string) string {
	return "alarm." + subjectToken(string(r)) + "." + subjectToken(point)
}

func subjectToken(s string) string {
	if s == "" || len(s) > 64 {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger == nil {
		return slog.Default()
	}
	return e.Logger
}

// LoadRegistry reads the evaluator's registry view from st and links
// from the repository, with the limits in force at now.
func LoadRegistry(ctx context.Context, st store.Store, repo *Repo, now time.Time) (Registry, error) {
	reg := Registry{Points: map[string]Point{}, Devices: map[string]string{}}
	pts, err := st.Points(ctx)
	if err != nil {
		return reg, err
	}
	ents, err := st.Enterprises(ctx)
	if err != nil {
		return reg, err
	}
	entRegion := map[string]string{}
	for _, en := range ents {
		entRegion[en.CreditCode] = en.RegionCode
	}
	lims, err := st.Limits(ctx, "")
	if err != nil {
		return reg, err
	}
	byPoint := map[string]map[string]Limit{}
	for _, l := range lims {
		if now.Before(l.ValidFrom) || (!l.ValidTo.IsZero() && !now.Before(l.ValidTo)) {
			continue
		}
		if byPoint[l.PointCode] == nil {
			byPoint[l.PointCode] = map[string]Limit{}
		}
		lim := Limit{Value: l.Value}
		if l.ReferenceO2 != nil {
			lim.RefO2, lim.HasRefO2 = *l.ReferenceO2, true
		}
		byPoint[l.PointCode][l.Factor] = lim
	}
	for _, p := range pts {
		region := p.RegionCode
		if r, ok := entRegion[p.EnterpriseCode]; ok && p.EnterpriseCode != "" {
			region = r
		}
		city := ""
		if len(region) == 6 {
			city = region[:4] + "00"
		}
		reg.Points[p.Code] = Point{Code: p.Code, Kind: string(p.Kind), Region: region, Enterprise: p.EnterpriseCode, City: city,
			InCityAverage: p.InCityAverage, TargetClass: p.TargetClass, Lake: p.WaterBody == "lake", Limits: byPoint[p.Code]}
	}
	ds, err := st.Devices(ctx, "")
	if err != nil {
		return reg, err
	}
	for _, d := range ds {
		if d.State == registry.DeviceActive && d.PointCode != "" {
			reg.Devices[d.MN] = d.PointCode
		}
	}
	if repo != nil {
		if reg.Links, err = repo.Links(ctx); err != nil {
			return reg, err
		}
	}
	return reg, nil
}

// Start loads the registry and settings, restores the open alarms into
// the evaluator, and starts consuming; background goroutines are counted
// in wg and end with ctx.
func (e *Engine) Start(ctx context.Context, wg *sync.WaitGroup) error {
	if e.Repo == nil || e.Store == nil || e.Bus == nil {
		return fmt.Errorf("alarm engine: Repo, Store and Bus are required")
	}
	if e.Every <= 0 {
		e.Every = 15 * time.Second
	}
	if e.ReloadEvery <= 0 {
		e.ReloadEvery = time.Minute
	}
	now := e.now()
	reg, err := LoadRegistry(ctx, e.Store, e.Repo, now)
	if err != nil {
		return fmt.Errorf("alarm engine: registry: %w", err)
	}
	ss, err := e.Repo.Settings(ctx)
	if err != nil {
		return fmt.Errorf("alarm engine: settings: %w", err)
	}
	open, _, err := e.Repo.List(ctx, Query{States: []string{StateOpen, StateAcknowledged}, Limit: 100000})
	if err != nil {
		return fmt.Errorf("alarm engine: open alarms: %w", err)
	}
	e.mu.Lock() // Sink may already be called by the store writer
	e.ev = NewEvaluator(NewSettings(ss), reg, now)
	for _, a := range open {
		e.ev.Restore(a.Rule, a.Point, a.Factor, a.MN, a.Updated)
	}
	e.queue = make(chan Transition, 65536)
	e.mu.Unlock()
	if !e.SkipConsume {
		if err := e.Bus.Consume(ctx, ConsumerName, gateway.FrameSubjectPrefix+">", e.Handle); err != nil {
			return err
		}
	}
	unsub, err := e.Bus.Subscribe("event.device.>", func(m bus.Msg) {
		var ge gateway.Event
		if json.Unmarshal(m.Data, &ge) != nil {
			return
		}
		e.mu.Lock()
		e.enqueue(e.ev.Event(e.now(), ge.Kind, ge.MN, ge.Detail))
		e.mu.Unlock()
	})
	if err != nil {
		return err
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer unsub()
		tick := time.NewTicker(e.Every)
		defer tick.Stop()
		reload := time.NewTicker(e.ReloadEvery)
		defer reload.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				e.mu.Lock()
				e.enqueue(e.ev.Tick(e.now()))
				e.mu.Unlock()
			case <-reload.C:
				e.reload(ctx)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case t := <-e.queue:
				e.store(ctx, t)
			}
		}
	}()
	return nil
}

// Reload reads the registry and the settings again now (after a change
// through the API).
func (e *Engine) reload(ctx context.Context) {
	reg, err := LoadRegistry(ctx, e.Store, e.Repo, e.now())
	if err != nil {
		e.log().Warn("alarm engine: registry reload failed; keeping the previous", "err", err)
		return
	}
	ss, err := e.Repo.Settings(ctx)
	if err != nil {
		e.log().Warn("alarm engine: settings reload failed; keeping the previous", "err", err)
		return
	}
	e.mu.Lock()
	e.ev.SetRegistry(reg)
	e.ev.SetSettings(NewSettings(ss))
	e.mu.Unlock()
}

// Reload makes the engine read the registry and settings at once.
func (e *Engine) Reload(ctx context.Context) { e.reload(ctx) }

func (e *Engine) enqueue(ts []Transition) {
	for _, t := range ts {
		select {
		case e.queue <- t:
		default:
			// The database is far behind: losing a transition is better
			// than holding up every device's acknowledgement.
			if e.dropped.Add(1)%1000 == 1 {
				e.log().Error("alarm engine: transition queue full, transitions dropped", "dropped", e.dropped.Load())
			}
		}
	}
}

func (e *Engine) store(ctx context.Context, t Transition) {
	var a Alarm
	var changed bool
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		a, changed, err = e.Repo.Apply(ctx, t)
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(100<<attempt) * time.Millisecond)
	}
	if err != nil {
		e.log().Error("alarm engine: storing a transition failed", "rule", t.Rule, "point", t.Point, "err", err)
		return
	}
	if !changed {
		return
	}
	v := EventView{Type: "alarm", Change: t.Change.String(), ID: a.ID, Rule: a.Rule, Point: a.Point, Factor: a.Factor, MN: a.MN,
		Region: a.Region, Enterprise: a.Enterprise, Severity: a.Severity, State: a.State, Message: a.Message, Time: t.At.In(store.CST)}
	b, _ := json.Marshal(v)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := e.Bus.Publish(pctx, Subject(a.Rule, a.Point), b); err != nil && ctx.Err() == nil {
		e.log().Warn("alarm engine: publish failed", "err", err)
	}
	cancel()
	if e.Notify != nil {
		e.Notify(ctx, a, t.Change)
	}
}

// Handle is the bus handler of frames: it decodes each accepted data
// upload and evaluates it; frames failing checks count for the device's
// check-failure rule. It never fails (a bad message is skipped), so the
// bus never redelivers because of it.
func (e *Engine) Handle(_ context.Context, batch []bus.Msg) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, m := range batch {
		e.enqueue(e.evalMsg(now, m.Data))
	}
	return nil
}

// Verdicts that are a device's administrative state, not a failed check.
func failedCheck(v string) bool {
	switch v {
	case gateway.VerdictOK, gateway.VerdictUnregistered, gateway.VerdictSuspended, gateway.VerdictWrongPassword, "tolerated":
		return false
	}
	return true
}

func (e *Engine) evalMsg(now time.Time, data []byte) []Transition {
	if e.msg.UnmarshalBinary(data) != nil {
		return nil
	}
	m := &e.msg
	if m.Verdict != gateway.VerdictOK {
		if failedCheck(m.Verdict) {
			return e.ev.Checked(now, m.MN, m.Verdict)
		}
		return nil
	}
	if m.Point == "" {
		return nil
	}
	var kind Kind
	switch m.CN {
	case "2011":
		kind = RealTime
	case "2051":
		kind = Minute
	case "2061":
		kind = Hour
	case "2031":
		kind = Day
	default:
		return nil
	}
	if hj212.DecodeInto(&e.frame, m.Raw, m.Mode) != nil {
		return nil
	}
	in, ok := FrameOf(&e.frame, m.MN, m.Point, kind, e.in.Readings[:0])
	if !ok {
		return nil
	}
	e.in = in
	return e.ev.Frame(now, &e.in)
}

// FrameOf extracts the readings of a decoded data upload: per factor its
// Rtd (real-time) or Avg (interval) value, ZsRtd/ZsAvg and flag, 2005
// codes mapped to 2017 ones. rs is reused.
func FrameOf(f *hj212.Frame, mn, point string, kind Kind, rs []Reading) (Frame, bool) {
	dt, err := f.DataTime(store.CST)
	if err != nil {
		return Frame{}, false
	}
	legacy := f.Version() == hj212.V2005
	valueField, zsField := "Avg", "ZsAvg"
	if kind == RealTime {
		valueField, zsField = "Rtd", "ZsRtd"
	}
	index := func(code string) int {
		for i := len(rs) - 1; i >= 0; i-- {
			if rs[i].Factor == code {
				return i
			}
		}
		rs = append(rs, Reading{Factor: code, Value: nan})
		return len(rs) - 1
	}
	for i := range f.CP {
		fd := &f.CP[i]
		name := fd.Name
		dash := strings.IndexByte(name, '-')
		if dash <= 0 {
			continue
		}
		code, suffix := name[:dash], name[dash+1:]
		if legacy {
			if fc, ok := hj212.LookupFactor2005(code); ok {
				code = fc.Code
			}
		}
		switch suffix {
		case "Flag":
			if v := strings.TrimSpace(fd.Value); v != "" {
				rs[index(code)].Flag = v[0]
			}
		case valueField, zsField:
			v, err := fd.Float()
			if err != nil {
				continue
			}
			j := index(code)
			if suffix == zsField {
				rs[j].Zs, rs[j].HasZs = v, true
			} else {
				rs[j].Value = v
			}
		}
	}
	// A factor with a flag or Zs only has no value to judge.
	kept := rs[:0]
	for _, r := range rs {
		if r.Value == r.Value {
			kept = append(kept, r)
		}
	}
	return Frame{MN: mn, Point: point, Kind: kind, DataTime: dt, Readings: kept}, true
}
