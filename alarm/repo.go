package alarm

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecowatch/store"
)

// State of a stored alarm: open → acknowledged → cleared (automatically,
// when the condition ends), or dismissed with a reason by a person.
const (
	StateOpen         = "open"
	StateAcknowledged = "acknowledged"
	StateCleared      = "cleared"
	StateDismissed    = "dismissed"
)

// Alarm is a stored alarm.
type Alarm struct {
	ID            int64     `json:"id"`
	Rule          Rule      `json:"rule"`
	Point         string    `json:"point"`
	Factor        string    `json:"factor"`
	MN            string    `json:"mn"`
	Region        string    `json:"region"`
	Enterprise    string    `json:"enterprise"`
	Severity      Severity  `json:"severity"`
	State         string    `json:"state"`
	Opened        time.Time `json:"opened"`
	Updated       time.Time `json:"updated"`
	Closed        time.Time `json:"closed,omitzero"`
	Value         float64   `json:"value"`
	Threshold     float64   `json:"threshold"`
	Message       string    `json:"message"`
	Repeats       int       `json:"repeats"`
	AckedBy       string    `json:"acked_by,omitempty"`
	AckedAt       time.Time `json:"acked_at,omitzero"`
	DismissedBy   string    `json:"dismissed_by,omitempty"`
	DismissReason string    `json:"dismiss_reason,omitempty"`
	CaseID        int64     `json:"case_id,omitempty"`
}

// Event is one entry of an alarm's history.
type Event struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"` // open, repeat, acknowledge, clear, dismiss, escalate
	Actor  string    `json:"actor"`
	Detail string    `json:"detail"`
}

// Repo keeps alarms, their history, settings, links, subscriptions,
// webhooks and deliveries in the store's SQL database. Every change is
// committed with its audit entry. Safe for concurrent use.
type Repo struct {
	db  store.SQL
	now func() time.Time
}

// NewRepo returns a repository over db; now nil is time.Now.
func NewRepo(db store.SQL, now func() time.Time) *Repo {
	if now == nil {
		now = time.Now
	}
	return &Repo{db: db, now: now}
}

// EngineActor is the audit actor of the engine's own changes.
const EngineActor = "alarm-engine"

const alarmCols = `id, rule, point, factor, mn, region, enterprise, severity, state, opened, updated, closed, value, threshold,
message, repeats, acked_by, acked_at, dismissed_by, dismiss_reason, case_id`

type scanner interface{ Scan(...any) error }

func scanAlarm(s scanner) (Alarm, error) {
	var a Alarm
	var opened, updated, closed, acked int64
	err := s.Scan(&a.ID, &a.Rule, &a.Point, &a.Factor, &a.MN, &a.Region, &a.Enterprise, &a.Severity, &a.State,
		&opened, &updated, &closed, &a.Value, &a.Threshold, &a.Message, &a.Repeats, &a.AckedBy, &acked,
		&a.DismissedBy, &a.DismissReason, &a.CaseID)
	a.Opened, a.Updated = time.Unix(opened, 0).In(store.CST), time.Unix(updated, 0).In(store.CST)
	if closed != 0 {
		a.Closed = time.Unix(closed, 0).In(store.CST)
	}
	if acked != 0 {
		a.AckedAt = time.Unix(acked, 0).In(store.CST)
	}
	return a, err
}

func (r *Repo) event(ctx context.Context, tx *sql.Tx, id int64, t time.Time, action, actor, detail, remote string) error {
	if _, err := tx.ExecContext(ctx, r.db.Q(`INSERT INTO alarm_event (alarm_id, t, action, actor, detail) VALUES (?, ?, ?, ?, ?)`),
		id, t.Unix(), action, actor, detail); err != nil {
		return err
	}
	_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: t, Actor: actor, Action: "alarm." + action,
		Object: "alarm:" + strconv.FormatInt(id, 10), Detail: detail, Remote: remote})
	return err
}

func (r *Repo) openOf(ctx context.Context, tx *sql.Tx, t Transition) (Alarm, error) {
	row := tx.QueryRowContext(ctx, r.db.Q(`SELECT `+alarmCols+` FROM alarm WHERE rule = ? AND point = ? AND factor = ? AND mn = ?
AND state IN ('open', 'acknowledged')`), t.Rule, t.Point, t.Factor, t.MN)
	a, err := scanAlarm(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("open alarm %s %s %s: %w", t.Rule, t.Point, t.Factor, store.ErrNotFound)
	}
	return a, err
}

// Apply stores an engine transition: Fire opens an alarm, or counts a
// repeat when one is open for the key; Repeat counts one; Resolve clears
// the open alarm. It returns the alarm and whether anything changed (a
// repeat or resolve without an open alarm, e.g. after a dismissal,
// changes nothing).
func (r *Repo) Apply(ctx context.Context, t Transition) (a Alarm, changed bool, err error) {
	at := t.At
	if at.IsZero() {
		at = r.now()
	}
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := r.openOf(ctx, tx, t)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		switch {
		case t.Change == Fire && !exists:
			err = tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO alarm (rule, point, factor, mn, region, enterprise, severity, state,
opened, updated, value, threshold, message) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id`),
				t.Rule, t.Point, t.Factor, t.MN, t.Region, t.Enterprise, t.Severity, at.Unix(), at.Unix(), t.Value, t.Threshold,
				t.Message).Scan(&cur.ID)
			if err != nil {
				return err
			}
			if err := r.event(ctx, tx, cur.ID, at, "open", EngineActor, t.Message, ""); err != nil {
				return err
			}
		case (t.Change == Fire || t.Change == Repeat) && exists:
			if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE alarm SET repeats = repeats + 1, updated = ?, value = ?, message = ? WHERE id = ?`),
				at.Unix(), t.Value, t.Message, cur.ID); err != nil {
				return err
			}
			if err := r.event(ctx, tx, cur.ID, at, "repeat", EngineActor, t.Message, ""); err != nil {
				return err
			}
		case t.Change == Resolve && exists:
			if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE alarm SET state = 'cleared', updated = ?, closed = ? WHERE id = ?`),
				at.Unix(), at.Unix(), cur.ID); err != nil {
				return err
			}
			if err := r.event(ctx, tx, cur.ID, at, "clear", EngineActor, "the condition ended", ""); err != nil {
				return err
			}
		default:
			return nil
		}
		changed = true
		a, err = r.get(ctx, tx, cur.ID)
		return err
	})
	return a, changed, err
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (r *Repo) get(ctx context.Context, q querier, id int64) (Alarm, error) {
	a, err := scanAlarm(q.QueryRowContext(ctx, r.db.Q(`SELECT `+alarmCols+` FROM alarm WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("alarm %d: %w", id, store.ErrNotFound)
	}
	return a, err
}

// Get returns one alarm.
func (r *Repo) Get(ctx context.Context, id int64) (Alarm, error) { return r.get(ctx, r.db.R, id) }

// History returns an alarm's events in order.
func (r *Repo) History(ctx context.Context, id int64) ([]Event, error) {
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT t, action, actor, detail FROM alarm_event WHERE alarm_id = ? ORDER BY id`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&t, &e.Action, &e.Actor, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = time.Unix(t, 0).In(store.CST)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Acknowledge marks an open alarm as seen by actor. Only an open alarm
// can be acknowledged (ErrConflict otherwise).
func (r *Repo) Acknowledge(ctx context.Context, id int64, actor, remote, note string) (Alarm, error) {
	return r.change(ctx, id, func(tx *sql.Tx, a Alarm, now time.Time) error {
		if a.State != StateOpen {
			return fmt.Errorf("%w: alarm %d is %s, only an open alarm can be acknowledged", store.ErrConflict, id, a.State)
		}
		if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE alarm SET state = 'acknowledged', acked_by = ?, acked_at = ?, updated = ? WHERE id = ?`),
			actor, now.Unix(), now.Unix(), id); err != nil {
			return err
		}
		return r.event(ctx, tx, id, now, "acknowledge", actor, note, remote)
	})
}

// Dismiss closes an open or acknowledged alarm by a person's decision;
// the reason is required.
func (r *Repo) Dismiss(ctx context.Context, id int64, actor, remote, reason string) (Alarm, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Alarm{}, invalidf("reason: required to dismiss an alarm")
	}
	if len(reason) > 2000 {
		return Alarm{}, invalidf("reason: longer than 2000 bytes")
	}
	return r.change(ctx, id, func(tx *sql.Tx, a Alarm, now time.Time) error {
		if a.State != StateOpen && a.State != StateAcknowledged {
			return fmt.Errorf("%w: alarm %d is already %s", store.ErrConflict, id, a.State)
		}
		if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE alarm SET state = 'dismissed', dismissed_by = ?, dismiss_reason = ?, updated = ?, closed = ? WHERE id = ?`),
			actor, reason, now.Unix(), now.Unix(), id); err != nil {
			return err
		}
		return r.event(ctx, tx, id, now, "dismiss", actor, reason, remote)
	})
}

// SetCase records the case an alarm was escalated to.
func (r *Repo) SetCase(ctx context.Context, id, caseID int64, actor, remote string) (Alarm, error) {
	return r.change(ctx, id, func(tx *sql.Tx, a Alarm, now time.Time) error {
		if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE alarm SET case_id = ?, updated = ? WHERE id = ?`), caseID, now.Unix(), id); err != nil {
			return err
		}
		return r.event(ctx, tx, id, now, "escalate", actor, "case:"+strconv.FormatInt(caseID, 10), remote)
	})
}

func (r *Repo) change(ctx context.Context, id int64, fn func(tx *sql.Tx, a Alarm, now time.Time) error) (Alarm, error) {
	var out Alarm
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		a, err := r.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, a, r.now()); err != nil {
			return err
		}
		out, err = r.get(ctx, tx, id)
		return err
	})
	return out, err
}

// Query selects alarms. Zero fields do not restrict.
type Query struct {
	States     []string
	Rule       Rule
	Severity   Severity
	Point      string
	Factor     string
	Enterprise string
	// RegionPrefix keeps alarms whose region starts with it (a city's
	// "4301"); ScopeEnterprise, when set, keeps only that enterprise's
	// (an enterprise user). Both are the caller's scope.
	RegionPrefix    string
	ScopeEnterprise string
	From, To        time.Time // opened in [From, To)
	Limit, Offset   int
}

func (q Query) where() (string, []any) {
	var w []string
	var args []any
	add := func(cond string, a ...any) { w = append(w, cond); args = append(args, a...) }
	if len(q.States) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(q.States)), ", ")
		w = append(w, "state IN ("+ph+")")
		for _, s := range q.States {
			args = append(args, s)
		}
	}
	if q.Rule != "" {
		add("rule = ?", q.Rule)
	}
	if q.Severity != "" {
		add("severity = ?", q.Severity)
	}
	if q.Point != "" {
		add("point = ?", q.Point)
	}
	if q.Factor != "" {
		add("factor = ?", q.Factor)
	}
	if q.Enterprise != "" {
		add("enterprise = ?", q.Enterprise)
	}
	if q.ScopeEnterprise != "" {
		add("enterprise = ?", q.ScopeEnterprise)
	}
	if q.RegionPrefix != "" {
		// The prefix is digits (GB/T 2260): no LIKE wildcards to escape,
		// and substr keeps it a plain comparison on both dialects.
		add("substr(region, 1, ?) = ?", len(q.RegionPrefix), q.RegionPrefix)
	}
	if !q.From.IsZero() {
		add("opened >= ?", q.From.Unix())
	}
	if !q.To.IsZero() {
		add("opened < ?", q.To.Unix())
	}
	if len(w) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(w, " AND "), args
}

// List returns a page of alarms, newest first, and the total.
func (r *Repo) List(ctx context.Context, q Query) ([]Alarm, int, error) {
	w, args := q.where()
	var total int
	if err := r.db.R.QueryRowContext(ctx, r.db.Q(`SELECT count(*) FROM alarm`+w), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT `+alarmCols+` FROM alarm`+w+` ORDER BY id DESC LIMIT ? OFFSET ?`),
		append(args, limit, q.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Alarm{}
	for rows.Next() {
		a, err := scanAlarm(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// OpenCounts counts open and acknowledged alarms by severity within the
// query's scope.
func (r *Repo) OpenCounts(ctx context.Context, q Query) (map[Severity]int, error) {
	q.States = []string{StateOpen, StateAcknowledged}
	w, args := q.where()
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT severity, count(*) FROM alarm`+w+` GROUP BY severity`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Severity]int{}
	for rows.Next() {
		var s Severity
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Settings returns the stored overrides.
func (r *Repo) Settings(ctx context.Context) ([]Setting, error) {
	rows, err := r.db.R.QueryContext(ctx, `SELECT rule, scope, override FROM alarm_setting ORDER BY rule, scope`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Setting
	for rows.Next() {
		var s Setting
		var o string
		if err := rows.Scan(&s.Rule, &s.Scope, &o); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(o), &s.Override); err != nil {
			return nil, fmt.Errorf("alarm setting %s %s: %w", s.Rule, s.Scope, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PutSetting stores (replaces) an override after validating it.
func (r *Repo) PutSetting(ctx context.Context, s Setting, actor, remote string) error {
	if !s.Rule.Valid() {
		return invalidf("rule %q: unknown", s.Rule)
	}
	if _, err := ParseScope(string(s.Scope)); err != nil {
		return err
	}
	if err := s.Override.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(s.Override)
	now := r.now()
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.db.Q(`DELETE FROM alarm_setting WHERE rule = ? AND scope = ?`), s.Rule, s.Scope); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.db.Q(`INSERT INTO alarm_setting (rule, scope, override, updated, updated_by) VALUES (?, ?, ?, ?, ?)`),
			s.Rule, s.Scope, string(b), now.Unix(), actor); err != nil {
			return err
		}
		_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: actor, Action: "alarm.setting",
			Object: "alarm-setting:" + string(s.Rule) + "@" + string(s.Scope), Detail: string(b), Remote: remote})
		return err
	})
}

// DeleteSetting removes an override (the wider scope applies again).
func (r *Repo) DeleteSetting(ctx context.Context, rule Rule, scope Scope, actor, remote string) error {
	now := r.now()
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.db.Q(`DELETE FROM alarm_setting WHERE rule = ? AND scope = ?`), rule, scope)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("alarm setting %s %q: %w", rule, scope, store.ErrNotFound)
		}
		_, err = r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: actor, Action: "alarm.setting.delete",
			Object: "alarm-setting:" + string(rule) + "@" + string(scope), Remote: remote})
		return err
	})
}

// Links returns the production → treatment facility links.
func (r *Repo) Links(ctx context.Context) ([]Link, error) {
	rows, err := r.db.R.QueryContext(ctx, `SELECT production, facility FROM alarm_link ORDER BY production, facility`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.Production, &l.Facility); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// PutLink links a production line's power-use point to its treatment
// facility's.
func (r *Repo) PutLink(ctx context.Context, l Link, actor, remote string) error {
	if !token(l.Production) || !token(l.Facility) || l.Production == l.Facility {
		return invalidf("link: production and facility must be two point codes")
	}
	now := r.now()
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.db.Q(`DELETE FROM alarm_link WHERE production = ? AND facility = ?`), l.Production, l.Facility); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.db.Q(`INSERT INTO alarm_link (production, facility) VALUES (?, ?)`), l.Production, l.Facility); err != nil {
			return err
		}
		_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: actor, Action: "alarm.link",
			Object: "point:" + l.Production, Detail: "treatment facility " + l.Facility, Remote: remote})
		return err
	})
}
