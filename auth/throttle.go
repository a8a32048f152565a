package auth

import (
	"sync"
	"time"
)

// Throttle limits failed sign-ins per username and per address. After
// MaxPerUser failures for a username (or MaxPerAddr from an address)
// within Window, further attempts are refused until the oldest failure
// leaves the window; a success clears the username's count. Per-address
// limits stop guessing across many usernames; per-user limits stop a
// botnet guessing one password. GB/T 22239-2019 §8.1.4.1 b) asks for
// handling of failed logins (limit attempts, lock out).
type Throttle struct {
	MaxPerUser int
	MaxPerAddr int
	Window     time.Duration

	mu    sync.Mutex
	fails map[string][]time.Time
}

// maxKeys is the size of the failure map beyond which stale keys are swept.
const maxKeys = 100000

// NewThrottle returns a throttle of 5 failures per username and 20 per
// address in 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{MaxPerUser: 5, MaxPerAddr: 20, Window: 15 * time.Minute}
}

func (t *Throttle) recent(key string, now time.Time) []time.Time {
	fs := t.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
	} else {
		t.fails[key] = fs
	}
	return fs
}

// Allow reports whether a sign-in for username from addr may be tried now,
// and if not, how long until it may.
func (t *Throttle) Allow(username, addr string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fails == nil {
		t.fails = map[string][]time.Time{}
	}
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{"u:" + username, t.MaxPerUser}, {"a:" + addr, t.MaxPerAddr}} {
		fs := t.recent(k.key, now)
		if len(fs) >= k.max {
			if w := fs[len(fs)-k.max].Add(t.Window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait == 0, wait
}

// Record notes the outcome of a sign-in attempt.
func (t *Throttle) Record(username, addr string, ok bool, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fails == nil {
		t.fails = map[string][]time.Time{}
	}
	if ok {
		delete(t.fails, "u:"+username)
		return
	}
	// Many distinct usernames or addresses (a spray) would grow the map
	// forever: past maxKeys, forget every key with no failure in the window.
	if len(t.fails) >= maxKeys {
		for k := range t.fails {
			t.recent(k, now)
		}
	}
	// Keep at most the entries that can matter, so a flood of failures
	// costs bounded memory per key.
	for _, k := range []struct {
		key string
		max int
	}{{"u:" + username, t.MaxPerUser}, {"a:" + addr, t.MaxPerAddr}} {
		fs := append(t.recent(k.key, now), now)
		if len(fs) > k.max {
			fs = fs[len(fs)-k.max:]
		}
		t.fails[k.key] = fs
	}
}
