package alarm

import (
	"context"

	"ecowatch/gateway"
	"ecowatch/ingest"
	"ecowatch/store"
)

// Sink wraps the store writer's sink so that the engine evaluates the
// measurements the writer decoded already, after they were stored: the
// engine then reads no frame a second time (the bus consumer's decoding is
// half of its cost, README.md "Speed"). Wire it in place of the bus
// consumer, with SkipConsume set before Start:
//
//	eng.SkipConsume = true
//	c := &ingest.Consumer{Sink: eng.Sink(ingest.StoreSink(st)), …}
func (e *Engine) Sink(next ingest.Sink) ingest.Sink {
	return ingest.SinkFunc(func(ctx context.Context, recs []ingest.Record) error {
		if err := next.Write(ctx, recs); err != nil {
			return err
		}
		e.Records(recs)
		return nil
	})
}

// Records evaluates stored records (what the writer decoded): failed
// checks for the check-failure rule, each data upload's values for the
// rest.
func (e *Engine) Records(recs []ingest.Record) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ev == nil {
		return
	}
	now := e.now()
	for i := range recs {
		r := &recs[i]
		if r.Frame.Verdict != gateway.VerdictOK {
			if failedCheck(r.Frame.Verdict) {
				e.enqueue(e.ev.Checked(now, r.Frame.MN, r.Frame.Verdict))
			}
			continue
		}
		if len(r.Measurements) == 0 {
			continue
		}
		f, ok := frameOfRecord(r, e.in.Readings[:0])
		if !ok {
			continue
		}
		e.in = f
		e.enqueue(e.ev.Frame(now, &e.in))
	}
}

// frameOfRecord turns a record's measurements (one point, kind and time)
// into a frame of readings: Rtd or Avg, ZsRtd or ZsAvg, and the flag.
func frameOfRecord(r *ingest.Record, rs []Reading) (Frame, bool) {
	m0 := &r.Measurements[0]
	kind := Kind(m0.Kind)
	value, zs := store.Avg, store.ZsAvg
	if m0.Kind == store.RealTime {
		value, zs = store.Rtd, store.ZsRtd
	}
	for i := range r.Measurements {
		m := &r.Measurements[i]
		v, ok := m.Values.Get(value)
		if !ok {
			continue
		}
		rd := Reading{Factor: m.Factor, Value: v}
		if z, ok := m.Values.Get(zs); ok {
			rd.Zs, rd.HasZs = z, true
		}
		if m.Values.Flag != "" {
			rd.Flag = m.Values.Flag[0]
		}
		rs = append(rs, rd)
	}
	return Frame{MN: r.Frame.MN, Point: m0.Point, Kind: kind, DataTime: m0.Time, Readings: rs}, true
}
