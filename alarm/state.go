package alarm

import "time"

// Phase is where one (rule, point, factor) stands in the alarm state
// machine:
//
//	inactive ──condition──▶ pending ──held For──▶ firing ──condition gone, held ClearFor──▶ resolved
//	    ▲                      │                    ▲  │
//	    └──condition gone──────┘                    └──┘ condition back within ClearFor: still firing, a repeat
//
// resolved behaves like inactive for the next evaluation; it is kept apart
// so a caller can tell "never fired" from "fired and ended".
type Phase uint8

// The phases.
const (
	Inactive Phase = iota
	Pending
	Firing
	Resolved
)

func (p Phase) String() string {
	switch p {
	case Pending:
		return "pending"
	case Firing:
		return "firing"
	case Resolved:
		return "resolved"
	}
	return "inactive"
}

// State is the memory of one (rule, point, factor) between evaluations.
type State struct {
	Phase Phase
	// Since is when the current phase began.
	Since time.Time
	// ClearSince is when the condition last went away while firing; zero
	// while it holds (hysteresis in time: the alarm resolves only after
	// the condition stayed away ClearFor).
	ClearSince time.Time
	// Repeats counts the times the condition came back while firing.
	Repeats int
	// Value is the latest observed value that the rule judged.
	Value float64
}

// Observation is what a rule found in one evaluation.
type Observation struct {
	// Active: the condition holds now.
	Active bool
	// Value and Threshold are the judged value and what it was compared
	// with (for the alarm's record and message).
	Value, Threshold float64
	// Message explains the finding in a sentence (English; the UI
	// translates the rule name).
	Message string
	// Event marks an instantaneous condition (a wrong password, a failed
	// check): each event while firing counts as a repeat.
	Event bool
}

// Change is a transition the caller stores and notifies: Fire opens (or
// repeats) an alarm, Repeat counts one more occurrence, Resolve clears it.
type Change uint8

// The changes.
const (
	None Change = iota
	Fire
	Repeat
	Resolve
)

func (c Change) String() string {
	switch c {
	case Fire:
		return "fire"
	case Repeat:
		return "repeat"
	case Resolve:
		return "resolve"
	}
	return "none"
}

// Step is the state machine: given the previous state, the rule's
// parameters (For, ClearFor) and the observation at now, it returns the
// next state and the change to act on. It is pure: no clock but now.
func Step(now time.Time, p Params, prev State, o Observation) (State, Change) {
	s := prev
	if o.Active {
		s.Value = o.Value
	}
	switch prev.Phase {
	case Inactive, Resolved:
		if !o.Active {
			if prev.Phase == Resolved {
				return s, None
			}
			return s, None
		}
		s.Phase, s.Since, s.ClearSince, s.Repeats = Pending, now, time.Time{}, 0
		if p.For <= 0 {
			s.Phase = Firing
			return s, Fire
		}
		return s, None
	case Pending:
		if !o.Active {
			s.Phase, s.Since = Inactive, now
			return s, None
		}
		if now.Sub(prev.Since) >= p.For {
			s.Phase, s.Since = Firing, now
			return s, Fire
		}
		return s, None
	case Firing:
		if o.Active {
			if !prev.ClearSince.IsZero() || o.Event {
				// The condition came back before the alarm resolved, or
				// an instantaneous event happened again: one more
				// occurrence of the same open alarm.
				s.ClearSince = time.Time{}
				s.Repeats++
				return s, Repeat
			}
			return s, None
		}
		if prev.ClearSince.IsZero() {
			s.ClearSince = now
		}
		if now.Sub(s.ClearSince) >= p.ClearFor {
			s.Phase, s.Since, s.ClearSince = Resolved, now, time.Time{}
			return s, Resolve
		}
		return s, None
	}
	return s, None
}
