package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	r, err := ParseRetention("realtime=90d, frames=forever,minute=720h,hour=2y")
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	if r.RealTime != 90*day || r.Frames != 0 || r.Minute != 30*day || r.Hour != 730*day || r.Day != DefaultRetention.Day {
		t.Fatalf("%+v", r)
	}
	for _, bad := range []string{"realtime", "seconds=1d", "hour=-1d", "day=1w", "day=xy"} {
		if _, err := ParseRetention(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	if r, err := ParseRetention(""); err != nil || r != DefaultRetention {
		t.Fatalf("empty: %+v %v", r, err)
	}
}

// fakePurger is a test double: a struct of function fields.
type fakePurger struct {
	purge func(ctx context.Context, r Retention, now time.Time) (Purged, error)
}

func (f fakePurger) Purge(ctx context.Context, r Retention, now time.Time) (Purged, error) {
	return f.purge(ctx, r, now)
}

func TestRunRetentionRetriesAfterFailure(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	fixed := time.Date(2021, 1, 1, 0, 0, 0, 0, CST)
	var reports []string
	p := fakePurger{purge: func(_ context.Context, r Retention, now time.Time) (Purged, error) {
		calls++
		if !now.Equal(fixed) || r != DefaultRetention {
			t.Errorf("purge called with %v %+v", now, r)
		}
		if calls == 1 {
			return Purged{}, errors.New("disk busy")
		}
		if calls == 3 {
			cancel()
		}
		return Purged{Frames: int64(calls)}, nil
	}}
	RunRetention(ctx, p, DefaultRetention, time.Millisecond, func() time.Time { return fixed }, func(pg Purged, err error) {
		if err != nil {
			reports = append(reports, err.Error())
		} else {
			reports = append(reports, "ok")
		}
	})
	// The first pass fails and is reported; the job goes on; the third
	// pass cancels, and a pass after cancellation is not reported.
	if calls != 3 || strings.Join(reports, ",") != "disk busy,ok" {
		t.Fatalf("calls %d reports %v", calls, reports)
	}
}
