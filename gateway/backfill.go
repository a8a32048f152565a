package gateway

import (
	"context"
	"sync"
	"time"

	"ecowatch/hj212"
)

// backfiller asks devices for hourly data (2061) that did not arrive while
// they were online, with the history query of HJ 212-2017 Table 9 (CN=2061
// with BeginTime and EndTime). It remembers, per device, the latest hour
// received since the gateway started.
type backfiller struct {
	s  *Server
	mu sync.Mutex
	m  map[string]*hourTrack
}

type hourTrack struct {
	last      time.Time // start of the latest hour received (DataTime of 2061)
	requested time.Time // server time of the last backfill request
	until     time.Time // end of the range last requested
}

func newBackfiller(s *Server) *backfiller { return &backfiller{s: s, m: map[string]*hourTrack{}} }

// hourly records hour t (a 2061 DataTime: the hour's start) of device mn.
// A jump of more than one hour past the latest one means hours are missing:
// they are requested at once.
func (b *backfiller) hourly(mn string, t, now time.Time) {
	if !b.s.cfg.Backfill {
		return
	}
	b.mu.Lock()
	tr := b.m[mn]
	if tr == nil {
		tr = &hourTrack{}
		b.m[mn] = tr
	}
	var begin, end time.Time
	switch {
	case tr.last.IsZero():
		tr.last = t
	case t.After(tr.last):
		if t.Sub(tr.last) > time.Hour && tr.until.Before(t.Add(-time.Hour)) {
			begin, end = tr.last.Add(time.Hour), t.Add(-time.Hour)
			tr.requested, tr.until = now, end
		}
		tr.last = t
	}
	b.mu.Unlock()
	if !begin.IsZero() {
		b.request(mn, begin, end)
	}
}

// sweep checks every connected device with hourly data: when the hour
// before the current one has not arrived BackfillGrace after it ended, it
// asks for everything since the latest hour received. One request per
// device per hour at most.
func (b *backfiller) sweep(now time.Time) {
	s := b.s
	loc := s.cfg.Location
	local := now.In(loc)
	hourStart := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), 0, 0, 0, loc)
	if now.Sub(hourStart) < s.cfg.BackfillGrace {
		return
	}
	expected := hourStart.Add(-time.Hour) // the last complete hour
	type req struct {
		mn         string
		begin, end time.Time
	}
	var reqs []req
	b.mu.Lock()
	for mn, tr := range b.m {
		if tr.last.IsZero() || !tr.last.Before(expected) {
			continue
		}
		if !tr.requested.IsZero() && now.Sub(tr.requested) < time.Hour {
			continue
		}
		if s.connFor(mn) == nil {
			continue
		}
		tr.requested, tr.until = now, expected
		reqs = append(reqs, req{mn, tr.last.Add(time.Hour), expected})
	}
	b.mu.Unlock()
	for _, r := range reqs {
		b.request(r.mn, r.begin, r.end)
	}
}

func (b *backfiller) request(mn string, begin, end time.Time) {
	s := b.s
	loc := s.cfg.Location
	params := []Param{
		{Name: "BeginTime", Value: hj212.FormatTime(begin.In(loc))},
		{Name: "EndTime", Value: hj212.FormatTime(end.In(loc))},
	}
	s.log.Info("gateway backfill", "mn", mn, "begin", params[0].Value, "end", params[1].Value)
	if _, err := s.control.send(context.Background(), mn, "2061", params, OriginBackfill); err != nil {
		s.log.Warn("gateway backfill request", "mn", mn, "err", err)
	}
}

// loop runs sweep every minute until the server shuts down.
func (b *backfiller) loop() {
	defer b.s.bgWG.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.sweep(b.s.cfg.Now())
		case <-b.s.bgCtx.Done():
			return
		}
	}
}
