package casework

import (
	"fmt"
	"time"
)

// Level is how far an overdue case has been escalated.
type Level int

// The escalation levels: a reminder to the responsible units as the
// deadline nears or passes, then supervision by the department (督办),
// then listed supervision (挂牌督办: named publicly, with a deadline set
// by the province).
const (
	LevelNone     Level = 0
	LevelReminder Level = 1 // 提醒
	LevelEscalate Level = 2 // 督办
	LevelListed   Level = 3 // 挂牌督办
)

func (l Level) String() string {
	switch l {
	case LevelNone:
		return "none"
	case LevelReminder:
		return "reminder"
	case LevelEscalate:
		return "escalation"
	case LevelListed:
		return "listed"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// Escalation says when the levels are reached, relative to a case's
// deadline.
type Escalation struct {
	// RemindBefore: the reminder goes out this long before the deadline
	// (0: at the deadline).
	RemindBefore time.Duration
	// EscalateAfter: 督办 this long after the deadline passed.
	EscalateAfter time.Duration
	// ListAfter: 挂牌督办 this long after the deadline passed.
	ListAfter time.Duration
}

// DefaultEscalation: a reminder three days before the deadline, 督办 a
// week after it, 挂牌督办 a month after it.
var DefaultEscalation = Escalation{RemindBefore: 72 * time.Hour, EscalateAfter: 7 * 24 * time.Hour, ListAfter: 30 * 24 * time.Hour}

// Validate checks that the levels come in order.
func (e Escalation) Validate() error {
	if e.RemindBefore < 0 || e.EscalateAfter <= 0 || e.ListAfter <= e.EscalateAfter {
		return fmt.Errorf("escalation: want remind-before ≥ 0 and 0 < escalate-after < list-after, got %s, %s, %s",
			e.RemindBefore, e.EscalateAfter, e.ListAfter)
	}
	return nil
}

// Level is the escalation level of an open case with this deadline at
// now; a case without a deadline is never escalated. Each level starts
// at its instant inclusive. e must be valid (Validate).
func (e Escalation) Level(deadline, now time.Time) Level {
	if deadline.IsZero() {
		return LevelNone
	}
	switch {
	case !now.Before(deadline.Add(e.ListAfter)):
		return LevelListed
	case !now.Before(deadline.Add(e.EscalateAfter)):
		return LevelEscalate
	case !now.Before(deadline.Add(-e.RemindBefore)):
		return LevelReminder
	}
	return LevelNone
}

// Raise is the level an open case should have at now: the schedule's
// level, never lower than the one already reached (a deadline moved
// later does not undo a 督办 already issued). A closed case keeps its
// level.
func (e Escalation) Raise(c Case, now time.Time) Level {
	if !c.State.Open() {
		return c.Level
	}
	return max(c.Level, e.Level(c.Deadline, now))
}

// Overdue reports whether an open case is past its deadline at now.
func Overdue(c Case, now time.Time) bool {
	return c.State.Open() && !c.Deadline.IsZero() && now.After(c.Deadline)
}
