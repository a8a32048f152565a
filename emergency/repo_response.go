package emergency

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// ---- emergency plans ----

// OwnerKinds are who an emergency plan belongs to: a government, an
// enterprise or an industrial park (§24 各级政府、企事业单位、工业园区).
var OwnerKinds = []string{"government", "enterprise", "park"}

// EmPlan is an emergency plan (应急预案) with its current version.
type EmPlan struct {
	ID         int64         `json:"id"`
	OwnerKind  string        `json:"owner_kind"`
	Owner      string        `json:"owner"`
	RegionCode string        `json:"region_code"`
	SourceID   int64         `json:"source_id"`
	Title      string        `json:"title"`
	Versions   []PlanVersion `json:"versions"`
	Drills     []Drill       `json:"drills"`
	// ReviseBy is when the approved version must be revised (zero while
	// none is approved).
	ReviseBy time.Time `json:"revise_by,omitzero"`
}

// PlanVersion is one filed version of a plan and its review.
type PlanVersion struct {
	ID         int64     `json:"id"`
	Version    int       `json:"version"`
	Summary    string    `json:"summary"`
	Filed      time.Time `json:"filed"`
	FiledBy    string    `json:"filed_by"`
	State      string    `json:"state"` // filed, approved, returned
	Reviewer   string    `json:"reviewer"`
	ReviewNote string    `json:"review_note"`
	Reviewed   time.Time `json:"reviewed,omitzero"`
	ReviseBy   time.Time `json:"revise_by,omitzero"`
}

// Drill is an exercise of a plan.
type Drill struct {
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Kind         string    `json:"kind"` // tabletop, functional, full-scale
	Participants int       `json:"participants"`
	Note         string    `json:"note"`
}

// AddPlan registers a plan (without a version: FileVersion files one).
func (r *Repo) AddPlan(ctx context.Context, p EmPlan, a Actor) (EmPlan, error) {
	if !contains(OwnerKinds, p.OwnerKind) {
		return p, invalid("owner_kind %q: want government, enterprise or park", p.OwnerKind)
	}
	if strings.TrimSpace(p.Title) == "" || strings.TrimSpace(p.Owner) == "" {
		return p, invalid("title and owner: both needed")
	}
	if _, err := registry.LevelOf(p.RegionCode); err != nil {
		return p, invalid("region_code %q: want a GB/T 2260 code", p.RegionCode)
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_plan (owner_kind, owner, region_code, source_id, title, created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			p.OwnerKind, p.Owner, p.RegionCode, p.SourceID, p.Title, now.Unix()).Scan(&p.ID); err != nil {
			return err
		}
		if p.SourceID != 0 {
			if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_risk_source SET plan_id = ? WHERE id = ?`), p.ID, p.SourceID); err != nil {
				return err
			}
		}
		return r.audit(ctx, tx, a, now, "em-plan.add", obj("em-plan", p.ID), map[string]any{"title": p.Title, "owner": p.Owner})
	})
	p.Versions, p.Drills = []PlanVersion{}, []Drill{}
	return p, err
}

// FileVersion files a new version of a plan for review (备案).
func (r *Repo) FileVersion(ctx context.Context, planID int64, summary string, a Actor) (PlanVersion, error) {
	v := PlanVersion{Summary: summary, FiledBy: a.Name, State: "filed"}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		v.Filed = now.In(store.CST)
		var n int
		if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_plan WHERE id = ?`), planID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("emergency plan", planID)
		}
		if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COALESCE(MAX(version), 0) + 1 FROM em_plan_version WHERE plan_id = ?`), planID).Scan(&v.Version); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_plan_version (plan_id, version, summary, filed, filed_by, state) VALUES (?, ?, ?, ?, ?, 'filed') RETURNING id`),
			planID, v.Version, summary, now.Unix(), a.Name).Scan(&v.ID); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "em-plan.file", obj("em-plan", planID), map[string]any{"version": v.Version})
	})
	return v, err
}

// ReviewVersion approves or returns a filed version. An approved version
// must be revised ReviseEvery years after its approval.
func (r *Repo) ReviewVersion(ctx context.Context, planID int64, version int, approve bool, note string, a Actor) (PlanVersion, error) {
	state := "returned"
	if approve {
		state = "approved"
	} else if strings.TrimSpace(note) == "" {
		return PlanVersion{}, invalid("note: say why the version is returned")
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		var cur string
		err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT state FROM em_plan_version WHERE plan_id = ? AND version = ?`), planID, version).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("emergency plan %d version %d: %w", planID, version, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if cur != "filed" {
			return fmt.Errorf("%w: version %d is %s already", store.ErrConflict, version, cur)
		}
		var reviseBy int64
		if approve {
			reviseBy = now.AddDate(ReviseEvery, 0, 0).Unix()
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_plan_version SET state = ?, reviewer = ?, review_note = ?, reviewed = ?, revise_by = ? WHERE plan_id = ? AND version = ?`),
			state, a.Name, note, now.Unix(), reviseBy, planID, version); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "em-plan.review", obj("em-plan", planID), map[string]any{"version": version, "state": state, "note": note})
	})
	if err != nil {
		return PlanVersion{}, err
	}
	p, err := r.Plan(ctx, planID)
	if err != nil {
		return PlanVersion{}, err
	}
	for _, v := range p.Versions {
		if v.Version == version {
			return v, nil
		}
	}
	return PlanVersion{}, notFound("version", int64(version))
}

// AddDrill records a drill of a plan.
func (r *Repo) AddDrill(ctx context.Context, planID int64, d Drill, a Actor) (Drill, error) {
	switch d.Kind {
	case "tabletop", "functional", "full_scale":
	default:
		return d, invalid("kind %q: want tabletop, functional or full_scale", d.Kind)
	}
	if d.Time.IsZero() || d.Participants < 0 {
		return d, invalid("time and participants: a time and a non-negative count")
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		if d.Time.After(now.Add(time.Hour)) {
			return invalid("time %s is in the future: record a drill once held", d.Time.Format(time.DateOnly))
		}
		var n int
		if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_plan WHERE id = ?`), planID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("emergency plan", planID)
		}
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_drill (plan_id, t, kind, participants, note) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			planID, d.Time.Unix(), d.Kind, d.Participants, d.Note).Scan(&d.ID); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "em-plan.drill", obj("em-plan", planID), map[string]any{"kind": d.Kind, "time": d.Time.Unix()})
	})
	return d, err
}

// Plans lists the plans of a region prefix with versions and drills.
func (r *Repo) Plans(ctx context.Context, regionPrefix string) ([]EmPlan, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT id, owner_kind, owner, region_code, source_id, title FROM em_plan WHERE region_code LIKE ? ORDER BY id`), regionPrefix+"%")
	if err != nil {
		return nil, err
	}
	var out []EmPlan
	pos := map[int64]int{}
	for rows.Next() {
		var p EmPlan
		if err := rows.Scan(&p.ID, &p.OwnerKind, &p.Owner, &p.RegionCode, &p.SourceID, &p.Title); err != nil {
			rows.Close()
			return nil, err
		}
		p.Versions, p.Drills = []PlanVersion{}, []Drill{}
		pos[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vrows, err := r.DB.R.QueryContext(ctx, `SELECT plan_id, id, version, summary, filed, filed_by, state, reviewer, review_note, reviewed, revise_by FROM em_plan_version ORDER BY plan_id, version`)
	if err != nil {
		return nil, err
	}
	for vrows.Next() {
		var pid, filed, reviewed, revise int64
		var v PlanVersion
		if err := vrows.Scan(&pid, &v.ID, &v.Version, &v.Summary, &filed, &v.FiledBy, &v.State, &v.Reviewer, &v.ReviewNote, &reviewed, &revise); err != nil {
			vrows.Close()
			return nil, err
		}
		i, ok := pos[pid]
		if !ok {
			continue
		}
		v.Filed, v.Reviewed, v.ReviseBy = cst(filed), cst(reviewed), cst(revise)
		out[i].Versions = append(out[i].Versions, v)
		if v.State == "approved" {
			out[i].ReviseBy = v.ReviseBy
		}
	}
	vrows.Close()
	if err := vrows.Err(); err != nil {
		return nil, err
	}
	drows, err := r.DB.R.QueryContext(ctx, `SELECT plan_id, id, t, kind, participants, note FROM em_drill ORDER BY plan_id, t`)
	if err != nil {
		return nil, err
	}
	defer drows.Close()
	for drows.Next() {
		var pid, t int64
		var d Drill
		if err := drows.Scan(&pid, &d.ID, &t, &d.Kind, &d.Participants, &d.Note); err != nil {
			return nil, err
		}
		if i, ok := pos[pid]; ok {
			d.Time = cst(t)
			out[i].Drills = append(out[i].Drills, d)
		}
	}
	if out == nil {
		out = []EmPlan{}
	}
	return out, drows.Err()
}

// Plan returns one plan.
func (r *Repo) Plan(ctx context.Context, id int64) (EmPlan, error) {
	ps, err := r.Plans(ctx, "")
	if err != nil {
		return EmPlan{}, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return EmPlan{}, notFound("emergency plan", id)
}

// States turns plans into what Reminders needs.
func States(ps []EmPlan) []PlanState {
	out := make([]PlanState, len(ps))
	for i, p := range ps {
		s := PlanState{ID: p.ID, Title: p.Title, Region: p.RegionCode, ReviseBy: p.ReviseBy}
		for _, v := range p.Versions {
			if v.State == "approved" {
				s.Approved = v.Reviewed
			}
		}
		for _, d := range p.Drills {
			if d.Time.After(s.LastDrill) {
				s.LastDrill = d.Time
			}
		}
		out[i] = s
	}
	return out
}

// ---- incidents ----

// Incident is an environmental emergency (突发环境事件).
type Incident struct {
	ID            int64     `json:"id"`
	Title         string    `json:"title"`
	Description   string    `json:"description"`
	RegionCode    string    `json:"region_code"`
	Lon           float64   `json:"lon"`
	Lat           float64   `json:"lat"`
	Occurred      time.Time `json:"occurred"`
	Reported      time.Time `json:"reported"`
	ReportedBy    string    `json:"reported_by"`
	SourceID      int64     `json:"source_id"`
	Facts         Facts     `json:"facts"`
	Grade         Grade     `json:"grade"`
	GradeBasis    []string  `json:"grade_basis"`
	State         string    `json:"state"` // open, closed
	ClosingReport string    `json:"closing_report"`
	Closed        time.Time `json:"closed,omitzero"`
	Actions       []Action  `json:"actions"`
}

// Action is an entry of an incident's timeline.
type Action struct {
	Time  time.Time `json:"time"`
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// ReportIncident stores a new incident, graded from its facts, with the
// first timeline entry; an incident at a risk source tracks its level.
func (r *Repo) ReportIncident(ctx context.Context, in Incident, a Actor) (Incident, error) {
	if err := checkPlace(in.Title, in.RegionCode, in.Lon, in.Lat); err != nil {
		return in, err
	}
	if err := CheckFacts(in.Facts); err != nil {
		return in, err
	}
	if len(in.Description) > 20000 {
		return in, invalid("description: longer than 20000 bytes")
	}
	now := r.Now()
	if in.Occurred.IsZero() {
		in.Occurred = now
	}
	if in.Occurred.After(now.Add(time.Hour)) {
		return in, invalid("occurred: in the future")
	}
	g := GradeOf(in.Facts)
	in.Grade, in.GradeBasis, in.State, in.ReportedBy = g.Grade, g.Basis, "open", a.Name
	in.Reported, in.Occurred = now.In(store.CST), in.Occurred.In(store.CST)
	facts, _ := json.Marshal(in.Facts)
	basis, _ := json.Marshal(in.GradeBasis)
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if in.SourceID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_risk_source WHERE id = ?`), in.SourceID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return invalid("source_id %d: no such risk source", in.SourceID)
			}
		}
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_incident (title, description, region_code, lon, lat, occurred, reported, reported_by, source_id, facts, grade, grade_basis, state)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') RETURNING id`), in.Title, in.Description, in.RegionCode, in.Lon, in.Lat, in.Occurred.Unix(), now.Unix(), a.Name,
			in.SourceID, string(facts), in.Grade, string(basis)).Scan(&in.ID); err != nil {
			return err
		}
		first := Action{Time: in.Reported, Actor: a.Name, Text: fmt.Sprintf("接报：%s（初判%s）", in.Title, GradeNames[in.Grade])}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_action (incident_id, t, actor, body) VALUES (?, ?, ?, ?)`), in.ID, now.Unix(), a.Name, first.Text); err != nil {
			return err
		}
		in.Actions = []Action{first}
		if in.SourceID != 0 {
			if err := r.track(ctx, tx, in.SourceID, now, ReasonIncident, fmt.Sprintf("突发环境事件 %d", in.ID), a); err != nil {
				return err
			}
		}
		return r.audit(ctx, tx, a, now, "incident.report", obj("incident", in.ID), map[string]any{"title": in.Title, "grade": in.Grade, "region": in.RegionCode})
	})
	return in, err
}

// AddAction appends a timeline entry; with facts it also re-grades the
// incident (figures grow as a response goes on).
func (r *Repo) AddAction(ctx context.Context, id int64, text string, facts *Facts, a Actor) (Incident, error) {
	if strings.TrimSpace(text) == "" || len(text) > 5000 {
		return Incident{}, invalid("text: want 1 to 5000 bytes")
	}
	if facts != nil {
		if err := CheckFacts(*facts); err != nil {
			return Incident{}, err
		}
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		var state string
		var old Grade
		err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT state, grade FROM em_incident WHERE id = ?`), id).Scan(&state, &old)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("incident", id)
		}
		if err != nil {
			return err
		}
		if state != "open" {
			return fmt.Errorf("%w: incident %d is closed", store.ErrConflict, id)
		}
		if facts != nil {
			g := GradeOf(*facts)
			fb, _ := json.Marshal(facts)
			bb, _ := json.Marshal(g.Basis)
			if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_incident SET facts = ?, grade = ?, grade_basis = ? WHERE id = ?`), string(fb), g.Grade, string(bb), id); err != nil {
				return err
			}
			if g.Grade != old {
				text += fmt.Sprintf("（级别由%s调整为%s）", GradeNames[old], GradeNames[g.Grade])
			}
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_action (incident_id, t, actor, body) VALUES (?, ?, ?, ?)`), id, now.Unix(), a.Name, text); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "incident.action", obj("incident", id), map[string]any{"text": text})
	})
	if err != nil {
		return Incident{}, err
	}
	return r.Incident(ctx, id)
}

// CloseIncident closes an incident with its closing report (总结报告).
func (r *Repo) CloseIncident(ctx context.Context, id int64, report string, a Actor) (Incident, error) {
	if strings.TrimSpace(report) == "" || len(report) > 50000 {
		return Incident{}, invalid("closing_report: want 1 to 50000 bytes")
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		res, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_incident SET state = 'closed', closing_report = ?, closed = ? WHERE id = ? AND state = 'open'`), report, now.Unix(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_incident WHERE id = ?`), id).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return notFound("incident", id)
			}
			return fmt.Errorf("%w: incident %d is closed already", store.ErrConflict, id)
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_action (incident_id, t, actor, body) VALUES (?, ?, ?, ?)`), id, now.Unix(), a.Name, "应急响应终止，提交总结报告"); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "incident.close", obj("incident", id), nil)
	})
	if err != nil {
		return Incident{}, err
	}
	return r.Incident(ctx, id)
}

const incidentCols = `id, title, description, region_code, lon, lat, occurred, reported, reported_by, source_id, facts, grade, grade_basis, state, closing_report, closed`

func scanIncident(sc interface{ Scan(...any) error }) (Incident, error) {
	var in Incident
	var occ, rep, closed int64
	var facts, basis string
	if err := sc.Scan(&in.ID, &in.Title, &in.Description, &in.RegionCode, &in.Lon, &in.Lat, &occ, &rep, &in.ReportedBy, &in.SourceID, &facts, &in.Grade, &basis, &in.State, &in.ClosingReport, &closed); err != nil {
		return in, err
	}
	in.Occurred, in.Reported, in.Closed = cst(occ), cst(rep), cst(closed)
	if err := json.Unmarshal([]byte(facts), &in.Facts); err != nil {
		return in, err
	}
	if err := json.Unmarshal([]byte(basis), &in.GradeBasis); err != nil {
		return in, err
	}
	in.Actions = []Action{}
	return in, nil
}

// Incident returns an incident with its timeline.
func (r *Repo) Incident(ctx context.Context, id int64) (Incident, error) {
	in, err := scanIncident(r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT `+incidentCols+` FROM em_incident WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, notFound("incident", id)
	}
	if err != nil {
		return in, err
	}
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT t, actor, body FROM em_action WHERE incident_id = ? ORDER BY t, id`), id)
	if err != nil {
		return in, err
	}
	defer rows.Close()
	for rows.Next() {
		var x Action
		var t int64
		if err := rows.Scan(&t, &x.Actor, &x.Text); err != nil {
			return in, err
		}
		x.Time = cst(t)
		in.Actions = append(in.Actions, x)
	}
	return in, rows.Err()
}

// Incidents lists incidents of a region prefix, state "" for all, newest
// first, without their timelines.
func (r *Repo) Incidents(ctx context.Context, regionPrefix, state string) ([]Incident, error) {
	q := `SELECT ` + incidentCols + ` FROM em_incident WHERE region_code LIKE ?`
	args := []any{regionPrefix + "%"}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(q+` ORDER BY reported DESC, id DESC`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}
