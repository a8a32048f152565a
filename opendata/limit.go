package opendata

import (
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket per caller (an address, a key, an account):
// a bucket holds up to Rate.N tokens and refills at N per Rate.Per, and
// every request takes one. Buckets that have refilled completely are
// forgotten, so memory is bounded by the callers active within one
// period, and at most maxBuckets of those (beyond it the fullest are
// dropped first, i.e. the least active callers get a fresh bucket).
type Limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	rate   Rate
}

const maxBuckets = 100000

// NewLimiter returns an empty limiter.
func NewLimiter() *Limiter { return &Limiter{buckets: map[string]*bucket{}} }

// Allow takes a token from the caller's bucket at rate r. When none is
// left it returns false and how long until one is; remaining is the
// whole tokens left after this request. A zero rate never limits.
func (l *Limiter) Allow(caller string, r Rate, now time.Time) (ok bool, retry time.Duration, remaining int) {
	if r.N <= 0 || r.Per <= 0 {
		return true, 0, math.MaxInt32
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > r.Per || len(l.buckets) >= maxBuckets {
		l.forget(now)
	}
	per := float64(r.N) / r.Per.Seconds() // tokens per second
	b := l.buckets[caller]
	if b == nil || b.rate != r {
		b = &bucket{tokens: float64(r.N), at: now, rate: r}
		l.buckets[caller] = b
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = math.Min(float64(r.N), b.tokens+dt*per)
		b.at = now
	}
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / per * float64(time.Second))
		return false, wait, 0
	}
	b.tokens--
	return true, 0, int(b.tokens)
}

// forget drops the buckets that are full again (their caller has been
// quiet for a whole period); if that is not enough, it empties the map,
// which only ever favours callers.
func (l *Limiter) forget(now time.Time) {
	l.sweep = now
	for k, b := range l.buckets {
		per := float64(b.rate.N) / b.rate.Per.Seconds()
		if b.tokens+now.Sub(b.at).Seconds()*per >= float64(b.rate.N) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// Len is the number of buckets kept (for tests and metrics).
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
