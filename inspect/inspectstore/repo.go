// Package inspectstore keeps random inspections in the store's SQL
// database (tables of migrations 0500–0599): the inspector pool, draws,
// tasks with their inspection records and attachments, and notifications.
// Every change is committed with its audit entry in one transaction.
//
// A draw has two steps, so that the pool hashes are public before the
// seed is known: Freeze snapshots both pools and stores their hashes
// (state "frozen"); Run takes the seed (generated, or an external one such
// as a lottery number published after the freeze), draws, and stores the
// result with the tasks and notifications (state "drawn"), or the reason
// the plan was refused (state "refused"). A drawn or refused draw is never
// changed; a redraw is a new draw naming the one it replaces and why.
package inspectstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ecowatch/inspect"
	"ecowatch/store"
)

// Draw states.
const (
	StateFrozen  = "frozen"
	StateDrawn   = "drawn"
	StateRefused = "refused"
)

// Repo is the inspections repository.
type Repo struct {
	sql store.SQL
	now func() time.Time
}

// New returns a repository over db; now nil is time.Now.
func New(db store.SQL, now func() time.Time) *Repo {
	if now == nil {
		now = time.Now
	}
	return &Repo{sql: db, now: now}
}

// Actor is who makes a change, for the audit log.
type Actor struct {
	Name   string
	Remote string
}

func (r *Repo) audit(ctx context.Context, tx *sql.Tx, a Actor, action, object, detail string) error {
	_, err := r.sql.AppendAudit(ctx, tx, store.AuditEntry{Time: r.now(), Actor: a.Name, Action: action, Object: object, Detail: detail, Remote: a.Remote})
	return err
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", store.ErrInvalid, fmt.Sprintf(format, args...))
}

// UpsertOfficer adds or replaces an officer of the inspector pool with
// their links (conflicts of interest).
func (r *Repo) UpsertOfficer(ctx context.Context, a Actor, o inspect.Officer) error {
	pool := inspect.OfficerPool{Region: o.Region, AsOf: "2000-01-01", Officers: []inspect.Officer{o}}
	if err := pool.Validate(); err != nil {
		return fmt.Errorf("%w: officer: %v", store.ErrInvalid, err)
	}
	o = pool.Officers[0]
	return r.sql.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, r.sql.Q(`INSERT INTO inspect_officer (username, name, region_code, home_county, certificate, certificate_until, available, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (username) DO UPDATE SET name = excluded.name, region_code = excluded.region_code, home_county = excluded.home_county,
 certificate = excluded.certificate, certificate_until = excluded.certificate_until, available = excluded.available, updated = excluded.updated`),
			o.ID, o.Name, o.Region, o.HomeCounty, o.Certificate, o.CertificateValidUntil, o.Available, r.now().Unix())
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.sql.Q(`DELETE FROM inspect_link WHERE username = ?`), o.ID); err != nil {
			return err
		}
		for _, l := range o.Links {
			if _, err := tx.ExecContext(ctx, r.sql.Q(`INSERT INTO inspect_link (username, credit_code) VALUES (?, ?)`), o.ID, l); err != nil {
				return err
			}
		}
		detail, _ := json.Marshal(o)
		return r.audit(ctx, tx, a, "inspect.officer.upsert", "officer:"+o.ID, string(detail))
	})
}

// Officers lists the officers serving a region inside regionPrefix (""
// for all), by username.
func (r *Repo) Officers(ctx context.Context, regionPrefix string) ([]inspect.Officer, error) {
	rows, err := r.sql.R.QueryContext(ctx, r.sql.Q(`SELECT username, name, region_code, home_county, certificate, certificate_until, available
FROM inspect_officer WHERE region_code LIKE ? ORDER BY username`), regionPrefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inspect.Officer
	idx := map[string]int{}
	for rows.Next() {
		var o inspect.Officer
		if err := rows.Scan(&o.ID, &o.Name, &o.Region, &o.HomeCounty, &o.Certificate, &o.CertificateValidUntil, &o.Available); err != nil {
			return nil, err
		}
		o.Links = []string{}
		idx[o.ID] = len(out)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	lrows, err := r.sql.R.QueryContext(ctx, `SELECT username, credit_code FROM inspect_link ORDER BY username, credit_code`)
	if err != nil {
		return nil, err
	}
	defer lrows.Close()
	for lrows.Next() {
		var u, c string
		if err := lrows.Scan(&u, &c); err != nil {
			return nil, err
		}
		if i, ok := idx[u]; ok {
			out[i].Links = append(out[i].Links, c)
		}
	}
	return out, lrows.Err()
}

// LastInspected returns the latest inspection date (YYYY-MM-DD) of every
// enterprise with a completed on-site inspection.
func (r *Repo) LastInspected(ctx context.Context) (map[string]string, error) {
	rows, err := r.sql.R.QueryContext(ctx, r.sql.Q(`SELECT credit_code, MAX(inspected_on) FROM inspect_task WHERE state = ? AND inspected_on <> '' GROUP BY credit_code`), inspect.TaskDone)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, d string
		if err := rows.Scan(&c, &d); err != nil {
			return nil, err
		}
		out[c] = d
	}
	return out, rows.Err()
}

// DrawRow is a stored draw.
type DrawRow struct {
	ID             int64          `json:"id"`
	Region         string         `json:"region"`
	Period         string         `json:"period"`
	Plan           inspect.Plan   `json:"plan"`
	PlanHash       string         `json:"plan_hash"`
	EnterpriseHash string         `json:"enterprise_pool_hash"`
	OfficerHash    string         `json:"officer_pool_hash"`
	State          string         `json:"state"`
	Seed           string         `json:"seed"`
	SeedSource     string         `json:"seed_source"` // generated or external
	Result         inspect.Result `json:"result"`
	Refusal        string         `json:"refusal"`
	RedrawOf       int64          `json:"redraw_of"`
	Reason         string         `json:"reason"`
	CreatedBy      string         `json:"created_by"`
	FrozenAt       time.Time      `json:"frozen_at"`
	DrawnAt        time.Time      `json:"drawn_at"`
	Enterprises    int            `json:"enterprises"` // pool sizes
	Officers       int            `json:"officers"`
}

// Record is the published record of a drawn draw.
func (d DrawRow) Record() inspect.Record {
	return inspect.Record{Format: inspect.RecordFormat, ID: d.ID, Plan: d.Plan, PlanHash: d.PlanHash, EnterprisePoolHash: d.EnterpriseHash,
		OfficerPoolHash: d.OfficerHash, Seed: d.Seed, RedrawOf: d.RedrawOf, Reason: d.Reason, Result: d.Result}
}

// Freeze stores the plan and the canonical snapshots of both pools with
// their hashes; the draw is then "frozen" and its hashes can be published
// before any seed is chosen. redrawOf names a drawn or refused draw this
// one replaces, with the reason (required then).
func (r *Repo) Freeze(ctx context.Context, a Actor, plan inspect.Plan, ep inspect.EnterprisePool, op inspect.OfficerPool, redrawOf int64, reason string) (DrawRow, error) {
	if err := plan.Validate(); err != nil {
		return DrawRow{}, fmt.Errorf("%w: plan: %v", store.ErrInvalid, err)
	}
	if err := ep.Validate(); err != nil {
		return DrawRow{}, fmt.Errorf("%w: enterprise pool: %v", store.ErrInvalid, err)
	}
	if err := op.Validate(); err != nil {
		return DrawRow{}, fmt.Errorf("%w: officer pool: %v", store.ErrInvalid, err)
	}
	reason = strings.TrimSpace(reason)
	if redrawOf != 0 && reason == "" {
		return DrawRow{}, invalid("a redraw needs a reason")
	}
	if len(reason) > 2000 {
		return DrawRow{}, invalid("reason: at most 2000 bytes")
	}
	pb, eb, ob := plan.Canonical(), ep.Canonical(), op.Canonical()
	d := DrawRow{Region: plan.Region, Period: plan.Period, Plan: plan, PlanHash: inspect.Hash(pb), EnterpriseHash: inspect.Hash(eb),
		OfficerHash: inspect.Hash(ob), State: StateFrozen, RedrawOf: redrawOf, Reason: reason, CreatedBy: a.Name,
		FrozenAt: time.Unix(r.now().Unix(), 0), Enterprises: len(ep.Enterprises), Officers: len(op.Officers)}
	err := r.sql.Tx(ctx, func(tx *sql.Tx) error {
		if redrawOf != 0 {
			var state string
			err := tx.QueryRowContext(ctx, r.sql.Q(`SELECT state FROM inspect_draw WHERE id = ?`), redrawOf).Scan(&state)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: draw %d to redraw", store.ErrNotFound, redrawOf)
			}
			if err != nil {
				return err
			}
			if state == StateFrozen {
				return fmt.Errorf("%w: draw %d is not drawn yet; run it rather than redraw it", store.ErrConflict, redrawOf)
			}
		}
		err := tx.QueryRowContext(ctx, r.sql.Q(`INSERT INTO inspect_draw (region_code, period, plan, plan_hash, enterprise_pool, enterprise_hash,
officer_pool, officer_hash, enterprise_count, officer_count, state, redraw_of, reason, created_by, frozen_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			d.Region, d.Period, string(pb), d.PlanHash, string(eb), d.EnterpriseHash, string(ob), d.OfficerHash, d.Enterprises, d.Officers,
			d.State, redrawOf, reason, a.Name, d.FrozenAt.Unix()).Scan(&d.ID)
		if err != nil {
			return err
		}
		return r.audit(ctx, tx, a, "inspect.draw.freeze", fmt.Sprintf("draw:%d", d.ID),
			fmt.Sprintf("region=%s period=%s plan=%s enterprises=%s officers=%s redraw_of=%d reason=%s", d.Region, d.Period, d.PlanHash, d.EnterpriseHash, d.OfficerHash, redrawOf, reason))
	})
	return d, err
}

// NewSeed returns a generated seed: 128 bits from crypto/rand, hex.
func NewSeed() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Run draws a frozen draw with seed (source "generated" or "external"),
// stores the result, one task per drawn enterprise with its team's
// officers, and a notification to each of them, all with the audit entry
// in one transaction. A plan the pools cannot satisfy is stored as
// "refused" with the reason, and the *inspect.Refusal is returned. A draw
// already drawn or refused is a conflict: it is never drawn again.
func (r *Repo) Run(ctx context.Context, a Actor, id int64, seed, source string) (DrawRow, error) {
	if source != "generated" && source != "external" {
		return DrawRow{}, invalid("seed source %q: want generated or external", source)
	}
	if err := inspect.CheckSeed(seed); err != nil {
		return DrawRow{}, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	var d DrawRow
	var drawErr error
	err := r.sql.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if d, err = r.loadDraw(ctx, tx, id); err != nil {
			return err
		}
		eb, ob, err := r.loadSnapshots(ctx, tx, id)
		if err != nil {
			return err
		}
		if d.State != StateFrozen {
			return fmt.Errorf("%w: draw %d is %s; a draw is made once (redraw with a reason instead)", store.ErrConflict, id, d.State)
		}
		ep, err := inspect.ParseEnterprisePool([]byte(eb))
		if err != nil {
			return err
		}
		op, err := inspect.ParseOfficerPool([]byte(ob))
		if err != nil {
			return err
		}
		res, derr := inspect.Draw(ep, op, d.Plan, seed)
		d.Seed, d.SeedSource, d.DrawnAt = seed, source, time.Unix(r.now().Unix(), 0)
		var resJSON []byte
		if derr != nil {
			if !errors.Is(derr, inspect.ErrRefused) {
				return derr
			}
			drawErr = derr
			d.State, d.Refusal = StateRefused, derr.Error()
		} else {
			d.State, d.Result = StateDrawn, res
			resJSON, _ = json.Marshal(res)
		}
		up, err := tx.ExecContext(ctx, r.sql.Q(`UPDATE inspect_draw SET state = ?, seed = ?, seed_source = ?, result = ?, refusal = ?, drawn_at = ?
WHERE id = ? AND state = ?`), d.State, seed, source, string(resJSON), d.Refusal, d.DrawnAt.Unix(), id, StateFrozen)
		if err != nil {
			return err
		}
		if n, _ := up.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: draw %d was drawn meanwhile", store.ErrConflict, id)
		}
		if d.State == StateDrawn {
			byCode := map[string]inspect.Enterprise{}
			for _, e := range ep.Enterprises {
				byCode[e.CreditCode] = e
			}
			for _, as := range res.Assignments {
				t := inspect.Task{Source: inspect.SourceRandom, SourceRef: fmt.Sprintf("draw:%d", id), DrawID: id, Team: as.Team, Group: as.Group,
					CreditCode: as.CreditCode, EnterpriseName: as.Name, Region: as.Region, Industry: byCode[as.CreditCode].Industry,
					Period: d.Period, Officers: res.Teams[as.Team-1].Officers}
				if _, err := r.insertTask(ctx, tx, &t); err != nil {
					return err
				}
			}
		}
		return r.audit(ctx, tx, a, "inspect.draw.run", fmt.Sprintf("draw:%d", id),
			fmt.Sprintf("seed=%q source=%s state=%s tasks=%d refusal=%s", seed, source, d.State, len(res.Assignments), d.Refusal))
	})
	if err != nil {
		return DrawRow{}, err
	}
	return d, drawErr
}

// insertTask stores t with its officers and notifies each officer (the
// enterprise is not told).
func (r *Repo) insertTask(ctx context.Context, tx *sql.Tx, t *inspect.Task) (int64, error) {
	t.State = inspect.TaskOpen
	t.Created = time.Unix(r.now().Unix(), 0)
	err := tx.QueryRowContext(ctx, r.sql.Q(`INSERT INTO inspect_task (source, source_ref, draw_id, team, grp, credit_code, enterprise_name, region_code,
industry, period, state, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		t.Source, t.SourceRef, t.DrawID, t.Team, string(t.Group), t.CreditCode, t.EnterpriseName, t.Region, t.Industry, t.Period, t.State,
		t.Created.Unix()).Scan(&t.ID)
	if err != nil {
		return 0, err
	}
	for _, o := range t.Officers {
		if _, err := tx.ExecContext(ctx, r.sql.Q(`INSERT INTO inspect_task_officer (task_id, username) VALUES (?, ?)`), t.ID, o); err != nil {
			return 0, err
		}
		msg := fmt.Sprintf("新的检查任务 #%d：%s（%s）/ New inspection task #%d: %s", t.ID, t.EnterpriseName, sourceZh[t.Source], t.ID, t.EnterpriseName)
		if _, err := tx.ExecContext(ctx, r.sql.Q(`INSERT INTO inspect_notification (username, task_id, message, created) VALUES (?, ?, ?, ?)`),
			o, t.ID, msg, t.Created.Unix()); err != nil {
			return 0, err
		}
	}
	return t.ID, nil
}

var sourceZh = map[string]string{inspect.SourceRandom: "双随机抽查", inspect.SourceTargeted: "专项检查", inspect.SourceRemote: "非现场执法线索"}

// drawCols are the columns of a draw without its snapshots.
const drawCols = `id, region_code, period, plan, plan_hash, enterprise_hash, officer_hash, enterprise_count, officer_count,
state, seed, seed_source, result, refusal, redraw_of, reason, created_by, frozen_at, drawn_at`

func scanDraw(s interface{ Scan(...any) error }) (DrawRow, error) {
	var d DrawRow
	var plan, result string
	var frozen, drawn int64
	err := s.Scan(&d.ID, &d.Region, &d.Period, &plan, &d.PlanHash, &d.EnterpriseHash, &d.OfficerHash, &d.Enterprises, &d.Officers,
		&d.State, &d.Seed, &d.SeedSource, &result, &d.Refusal, &d.RedrawOf, &d.Reason, &d.CreatedBy, &frozen, &drawn)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(plan), &d.Plan); err != nil {
		return d, fmt.Errorf("draw %d: plan: %w", d.ID, err)
	}
	if result != "" {
		if err := json.Unmarshal([]byte(result), &d.Result); err != nil {
			return d, fmt.Errorf("draw %d: result: %w", d.ID, err)
		}
	}
	d.FrozenAt = time.Unix(frozen, 0)
	if drawn != 0 {
		d.DrawnAt = time.Unix(drawn, 0)
	}
	return d, nil
}

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

func (r *Repo) loadDraw(ctx context.Context, q queryRower, id int64) (DrawRow, error) {
	d, err := scanDraw(q.QueryRowContext(ctx, r.sql.Q(`SELECT `+drawCols+` FROM inspect_draw WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: draw %d", store.ErrNotFound, id)
	}
	return d, err
}

func (r *Repo) loadSnapshots(ctx context.Context, q queryRower, id int64) (eb, ob string, err error) {
	err = q.QueryRowContext(ctx, r.sql.Q(`SELECT enterprise_pool, officer_pool FROM inspect_draw WHERE id = ?`), id).Scan(&eb, &ob)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("%w: draw %d", store.ErrNotFound, id)
	}
	return eb, ob, err
}

// Draw returns a draw.
func (r *Repo) Draw(ctx context.Context, id int64) (DrawRow, error) {
	return r.loadDraw(ctx, r.sql.R, id)
}

// Snapshots returns a draw's canonical pool snapshots, the bytes whose
// SHA-256 are the published hashes.
func (r *Repo) Snapshots(ctx context.Context, id int64) (enterprises, officers []byte, err error) {
	eb, ob, err := r.loadSnapshots(ctx, r.sql.R, id)
	return []byte(eb), []byte(ob), err
}

// Draws lists the draws whose region lies inside regionPrefix, newest
// first (without their snapshots).
func (r *Repo) Draws(ctx context.Context, regionPrefix string) ([]DrawRow, error) {
	rows, err := r.sql.R.QueryContext(ctx, r.sql.Q(`SELECT `+drawCols+` FROM inspect_draw WHERE region_code LIKE ? ORDER BY id DESC`), regionPrefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []DrawRow{}
	for rows.Next() {
		d, err := scanDraw(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CreateTask registers a targeted (from an alarm or complaint) or remote
// (from a lead) inspection task for the named officers (at least two).
func (r *Repo) CreateTask(ctx context.Context, a Actor, t inspect.Task) (inspect.Task, error) {
	if t.Source != inspect.SourceTargeted && t.Source != inspect.SourceRemote {
		return t, invalid("source %q: want targeted or remote (random tasks come from draws)", t.Source)
	}
	if t.CreditCode == "" || t.EnterpriseName == "" || len(t.Region) != 6 {
		return t, invalid("enterprise: credit code, name and region are required")
	}
	slices.Sort(t.Officers)
	t.Officers = slices.Compact(t.Officers)
	if len(t.Officers) < 2 || len(t.Officers) > 10 {
		return t, invalid("officers: %d, want 2 to 10 (two-person rule)", len(t.Officers))
	}
	if len(t.SourceRef) > 100 {
		return t, invalid("source_ref: at most 100 bytes")
	}
	t.DrawID, t.Team, t.Group = 0, 0, ""
	err := r.sql.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := r.insertTask(ctx, tx, &t); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, "inspect.task.create", fmt.Sprintf("task:%d", t.ID),
			fmt.Sprintf("source=%s ref=%s enterprise=%s officers=%s", t.Source, t.SourceRef, t.CreditCode, strings.Join(t.Officers, ",")))
	})
	return t, err
}

// TaskFilter selects tasks; zero fields do not restrict.
type TaskFilter struct {
	Officer      string
	RegionPrefix string
	DrawID       int64
	Source       string
	State        string
	CreditCode   string
	// InspectedFrom, InspectedTo select done tasks by inspection date
	// (YYYY-MM-DD, To exclusive).
	InspectedFrom, InspectedTo string
}

const taskCols = `t.id, t.source, t.source_ref, t.draw_id, t.team, t.grp, t.credit_code, t.enterprise_name, t.region_code, t.industry, t.period,
t.state, t.created, t.result, t.checklist, t.findings, t.summary, t.case_id, t.minutes, t.inspected_on, t.completed_by, t.completed`

// Tasks lists tasks, newest first, with their officers.
func (r *Repo) Tasks(ctx context.Context, f TaskFilter) ([]inspect.Task, error) {
	q := `SELECT ` + taskCols + ` FROM inspect_task t WHERE t.region_code LIKE ?`
	args := []any{f.RegionPrefix + "%"}
	if f.Officer != "" {
		q += ` AND EXISTS (SELECT 1 FROM inspect_task_officer o WHERE o.task_id = t.id AND o.username = ?)`
		args = append(args, f.Officer)
	}
	if f.DrawID != 0 {
		q += ` AND t.draw_id = ?`
		args = append(args, f.DrawID)
	}
	for _, c := range []struct{ col, v string }{{"t.source", f.Source}, {"t.state", f.State}, {"t.credit_code", f.CreditCode}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.InspectedFrom != "" {
		q += ` AND t.inspected_on >= ?`
		args = append(args, f.InspectedFrom)
	}
	if f.InspectedTo != "" {
		q += ` AND t.inspected_on < ?`
		args = append(args, f.InspectedTo)
	}
	q += ` ORDER BY t.id DESC`
	rows, err := r.sql.R.QueryContext(ctx, r.sql.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inspect.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, r.fillOfficers(ctx, out)
}

func (r *Repo) fillOfficers(ctx context.Context, ts []inspect.Task) error {
	if len(ts) == 0 {
		return nil
	}
	idx := map[int64]int{}
	for i := range ts {
		idx[ts[i].ID] = i
		ts[i].Officers = []string{}
	}
	rows, err := r.sql.R.QueryContext(ctx, `SELECT task_id, username FROM inspect_task_officer ORDER BY task_id, username`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var u string
		if err := rows.Scan(&id, &u); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			ts[i].Officers = append(ts[i].Officers, u)
		}
	}
	return rows.Err()
}

func scanTask(s interface{ Scan(...any) error }) (inspect.Task, error) {
	var t inspect.Task
	var grp, checklist, findings string
	var created, completed int64
	err := s.Scan(&t.ID, &t.Source, &t.SourceRef, &t.DrawID, &t.Team, &grp, &t.CreditCode, &t.EnterpriseName, &t.Region, &t.Industry, &t.Period,
		&t.State, &created, &t.Outcome, &checklist, &findings, &t.Summary, &t.CaseID, &t.Minutes, &t.InspectedOn, &t.CompletedBy, &completed)
	if err != nil {
		return t, err
	}
	t.Group = inspect.Group(grp)
	t.Created = time.Unix(created, 0)
	if completed != 0 {
		t.Completed = time.Unix(completed, 0)
	}
	t.Checklist, t.Findings = []inspect.CheckAnswer{}, []inspect.Finding{}
	if checklist != "" {
		if err := json.Unmarshal([]byte(checklist), &t.Checklist); err != nil {
			return t, fmt.Errorf("task %d: checklist: %w", t.ID, err)
		}
	}
	if findings != "" {
		if err := json.Unmarshal([]byte(findings), &t.Findings); err != nil {
			return t, fmt.Errorf("task %d: findings: %w", t.ID, err)
		}
	}
	return t, nil
}

// Task returns one task with its officers.
func (r *Repo) Task(ctx context.Context, id int64) (inspect.Task, error) {
	row := r.sql.R.QueryRowContext(ctx, r.sql.Q(`SELECT `+taskCols+` FROM inspect_task t WHERE t.id = ?`), id)
	t, err := scanTask(row)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: task %d", store.ErrNotFound, id)
	}
	if err != nil {
		return t, err
	}
	ts := []inspect.Task{t}
	err = r.fillOfficers(ctx, ts)
	return ts[0], err
}

// Complete stores the inspection record of an open task: the report
// (validated against the industry's checklist; attachments named in the
// findings must belong to the task) and, for problems found, the id of
// the rectification case the caller opened (0 when none could be).
// Only an officer of the task may complete it; a done task is a conflict.
func (r *Repo) Complete(ctx context.Context, a Actor, id int64, rep inspect.Report, caseID int64) (inspect.Task, error) {
	t, err := r.Task(ctx, id)
	if err != nil {
		return t, err
	}
	if !slices.Contains(t.Officers, a.Name) {
		return t, fmt.Errorf("%w: %s is not an officer of task %d", ErrNotOfficer, a.Name, id)
	}
	if err := rep.Validate(t.Industry); err != nil {
		return t, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	cl, _ := json.Marshal(rep.Checklist)
	for i := range rep.Findings {
		if rep.Findings[i].Attachments == nil {
			rep.Findings[i].Attachments = []int64{}
		}
	}
	fd, _ := json.Marshal(rep.Findings)
	completed := time.Unix(r.now().Unix(), 0)
	err = r.sql.Tx(ctx, func(tx *sql.Tx) error {
		for _, f := range rep.Findings {
			for _, att := range f.Attachments {
				var tid int64
				err := tx.QueryRowContext(ctx, r.sql.Q(`SELECT task_id FROM inspect_attachment WHERE id = ?`), att).Scan(&tid)
				if errors.Is(err, sql.ErrNoRows) || (err == nil && tid != id) {
					return invalid("attachment %d is not an attachment of task %d", att, id)
				}
				if err != nil {
					return err
				}
			}
		}
		up, err := tx.ExecContext(ctx, r.sql.Q(`UPDATE inspect_task SET state = ?, result = ?, checklist = ?, findings = ?, summary = ?, case_id = ?,
minutes = ?, inspected_on = ?, completed_by = ?, completed = ? WHERE id = ? AND state = ?`), inspect.TaskDone, rep.Outcome, string(cl), string(fd),
			rep.Summary, caseID, rep.Minutes, rep.InspectedOn, a.Name, completed.Unix(), id, inspect.TaskOpen)
		if err != nil {
			return err
		}
		if n, _ := up.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: task %d is already done", store.ErrConflict, id)
		}
		return r.audit(ctx, tx, a, "inspect.task.complete", fmt.Sprintf("task:%d", id),
			fmt.Sprintf("outcome=%s findings=%d case=%d minutes=%d inspected_on=%s", rep.Outcome, len(rep.Findings), caseID, rep.Minutes, rep.InspectedOn))
	})
	if err != nil {
		return t, err
	}
	return r.Task(ctx, id)
}

// SetCase records the rectification case opened for a done task's
// findings.
func (r *Repo) SetCase(ctx context.Context, a Actor, id, caseID int64) error {
	return r.sql.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.sql.Q(`UPDATE inspect_task SET case_id = ? WHERE id = ? AND state = ?`), caseID, id, inspect.TaskDone)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: task %d is not done", store.ErrConflict, id)
		}
		return r.audit(ctx, tx, a, "inspect.task.case", fmt.Sprintf("task:%d", id), fmt.Sprintf("case=%d", caseID))
	})
}

// ErrNotOfficer is returned when someone not on a task's team acts on it.
var ErrNotOfficer = errors.New("not an officer of the task")

// Attachment limits: a photo or document of a finding.
const MaxAttachment = 10 << 20

// AttachmentTypes are the content types accepted, detected from the bytes
// (never the client's claim).
var AttachmentTypes = []string{"image/jpeg", "image/png", "application/pdf"}

// Attachment is a stored file of a task.
type Attachment struct {
	ID          int64     `json:"id"`
	TaskID      int64     `json:"task_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedBy   string    `json:"created_by"`
	Created     time.Time `json:"created"`
	Data        []byte    `json:"-"`
}

// AddAttachment stores a file for an open task of the actor's; the
// content type must be one of AttachmentTypes.
func (r *Repo) AddAttachment(ctx context.Context, a Actor, taskID int64, name, contentType string, data []byte) (Attachment, error) {
	t, err := r.Task(ctx, taskID)
	if err != nil {
		return Attachment{}, err
	}
	if !slices.Contains(t.Officers, a.Name) {
		return Attachment{}, fmt.Errorf("%w: %s is not an officer of task %d", ErrNotOfficer, a.Name, taskID)
	}
	if t.State != inspect.TaskOpen {
		return Attachment{}, fmt.Errorf("%w: task %d is done", store.ErrConflict, taskID)
	}
	if !slices.Contains(AttachmentTypes, contentType) {
		return Attachment{}, invalid("content type %q: want a JPEG or PNG photo or a PDF", contentType)
	}
	if len(data) == 0 || len(data) > MaxAttachment {
		return Attachment{}, invalid("size %d bytes: want 1 to %d", len(data), MaxAttachment)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || strings.ContainsAny(name, "/\\\x00\r\n\"") {
		return Attachment{}, invalid("file name %q: want 1 to 200 bytes without path separators, quotes or line breaks", name)
	}
	at := Attachment{TaskID: taskID, Name: name, ContentType: contentType, Size: len(data), SHA256: inspect.Hash(data), CreatedBy: a.Name,
		Created: time.Unix(r.now().Unix(), 0)}
	err = r.sql.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, r.sql.Q(`INSERT INTO inspect_attachment (task_id, name, content_type, size, sha256, data, created_by, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), taskID, name, contentType, len(data), at.SHA256, data, a.Name, at.Created.Unix()).Scan(&at.ID)
		if err != nil {
			return err
		}
		return r.audit(ctx, tx, a, "inspect.attachment.add", fmt.Sprintf("task:%d", taskID),
			fmt.Sprintf("attachment=%d name=%q type=%s size=%d sha256=%s", at.ID, name, contentType, len(data), at.SHA256))
	})
	return at, err
}

// Attachment returns a stored file.
func (r *Repo) Attachment(ctx context.Context, id int64) (Attachment, error) {
	var at Attachment
	var created int64
	err := r.sql.R.QueryRowContext(ctx, r.sql.Q(`SELECT id, task_id, name, content_type, size, sha256, data, created_by, created FROM inspect_attachment WHERE id = ?`), id).Scan(
		&at.ID, &at.TaskID, &at.Name, &at.ContentType, &at.Size, &at.SHA256, &at.Data, &at.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return at, fmt.Errorf("%w: attachment %d", store.ErrNotFound, id)
	}
	at.Created = time.Unix(created, 0)
	return at, err
}

// Notification is an in-app message to an officer.
type Notification struct {
	ID      int64     `json:"id"`
	TaskID  int64     `json:"task_id"`
	Message string    `json:"message"`
	Created time.Time `json:"created"`
	Read    bool      `json:"read"`
}

// Notifications lists an officer's notifications, newest first.
func (r *Repo) Notifications(ctx context.Context, username string) ([]Notification, error) {
	rows, err := r.sql.R.QueryContext(ctx, r.sql.Q(`SELECT id, task_id, message, created, read_at FROM inspect_notification WHERE username = ? ORDER BY id DESC LIMIT 200`), username)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var created, read int64
		if err := rows.Scan(&n.ID, &n.TaskID, &n.Message, &created, &read); err != nil {
			return nil, err
		}
		n.Created, n.Read = time.Unix(created, 0), read != 0
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkRead marks an officer's notifications read.
func (r *Repo) MarkRead(ctx context.Context, a Actor) error {
	return r.sql.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.sql.Q(`UPDATE inspect_notification SET read_at = ? WHERE username = ? AND read_at = 0`), r.now().Unix(), a.Name)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		return r.audit(ctx, tx, a, "inspect.notification.read", "officer:"+a.Name, fmt.Sprintf("marked=%d", n))
	})
}

// Summaries returns what inspect.Statistics needs of the drawn draws in
// regionPrefix.
func (r *Repo) Summaries(ctx context.Context, regionPrefix string) ([]inspect.DrawSummary, error) {
	ds, err := r.Draws(ctx, regionPrefix)
	if err != nil {
		return nil, err
	}
	var out []inspect.DrawSummary
	for _, d := range ds {
		if d.State == StateDrawn {
			out = append(out, inspect.DrawSummary{ID: d.ID, Period: d.Period, Region: d.Region, Groups: d.Result.Groups})
		}
	}
	return out, nil
}
