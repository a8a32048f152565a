package sim

import (
	"context"
	"sync"
	"time"
)

var chinaTime = time.FixedZone("UTC+8", 8*3600)

// Clock is a virtual clock that runs Speed times faster than real time from
// a start instant, so that a day of schedules can pass in seconds.
type Clock struct {
	mu     sync.Mutex
	start  time.Time // virtual instant at origin
	origin time.Time // real instant when the clock started
	speed  float64
}

// NewClock returns a clock that reads start now and advances speed virtual
// seconds per real second (speed <= 0 means 1).
func NewClock(start time.Time, speed float64) *Clock {
	if speed <= 0 {
		speed = 1
	}
	return &Clock{start: start, origin: time.Now(), speed: speed}
}

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(time.Duration(float64(time.Since(c.origin)) * c.speed))
}

// Speed returns the speed factor.
func (c *Clock) Speed() float64 { return c.speed }

// Real converts a virtual duration to the real duration it takes.
func (c *Clock) Real(d time.Duration) time.Duration { return time.Duration(float64(d) / c.speed) }

// SleepUntil waits until the virtual clock reads t or ctx ends.
func (c *Clock) SleepUntil(ctx context.Context, t time.Time) error {
	d := c.Real(t.Sub(c.Now()))
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
