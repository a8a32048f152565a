package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseRetention reads a retention setting such as
// "realtime=1y,minute=3y,hour=10y,day=10y,frames=10y": names are the
// interval kinds and "frames"; durations are whole numbers of days (d),
// months of 30 days (m) or years of 365 days (y), or Go durations ("720h");
// 0 or "forever" keeps forever. Names not given keep DefaultRetention's
// value.
func ParseRetention(s string) (Retention, error) {
	r := DefaultRetention
	if strings.TrimSpace(s) == "" {
		return r, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return r, fmt.Errorf("%w: retention %q: want name=duration", ErrInvalid, part)
		}
		d, err := parseKeep(strings.TrimSpace(val))
		if err != nil {
			return r, fmt.Errorf("%w: retention %s: %v", ErrInvalid, name, err)
		}
		switch strings.TrimSpace(name) {
		case "realtime":
			r.RealTime = d
		case "minute":
			r.Minute = d
		case "hour":
			r.Hour = d
		case "day":
			r.Day = d
		case "frames":
			r.Frames = d
		default:
			return r, fmt.Errorf("%w: retention: unknown name %q (want realtime, minute, hour, day or frames)", ErrInvalid, name)
		}
	}
	return r, nil
}

func parseKeep(v string) (time.Duration, error) {
	if v == "0" || v == "forever" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'm': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if len(v) > 1 {
		if u, ok := unit[v[len(v)-1]]; ok {
			n, err := strconv.Atoi(v[:len(v)-1])
			if err != nil || n < 0 {
				return 0, fmt.Errorf("%q is not a whole number of days, months or years", v)
			}
			return time.Duration(n) * u, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (e.g. 90d, 3y, 720h)", v)
	}
	return d, nil
}

// Purger is what RunRetention needs of a store.
type Purger interface {
	Purge(ctx context.Context, r Retention, now time.Time) (Purged, error)
}

// RunRetention enforces r every interval until ctx ends, starting at
// once; report (which may be nil) receives each pass's result. A failed
// pass is reported and retried at the next tick: deleting old data late
// is harmless, stopping the job is not.
func RunRetention(ctx context.Context, s Purger, r Retention, every time.Duration, now func() time.Time, report func(Purged, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p, err := s.Purge(ctx, r, now())
		if report != nil && ctx.Err() == nil {
			report(p, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// select picks at random when both are ready: a tick that
			// raced the cancellation must not start another pass.
			if ctx.Err() != nil {
				return
			}
		}
	}
}
