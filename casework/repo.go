package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/store"
)

// Repo keeps cases, their timelines, complaints and attachment metadata
// over the store's SQL handle. Every change is committed together with
// its audit entry (store.SQL.AppendAudit) in one transaction, so the
// audit log never misses a committed change. Errors wrap store.ErrNotFound,
// store.ErrInvalid (naming the field), store.ErrConflict (a transition
// not possible from the current state) or ErrForbidden.
type Repo struct {
	db  store.SQL
	now func() time.Time
	// Escalation is the overdue schedule used by Escalate.
	Escalation Escalation
}

// NewRepo returns a repository over db; now is the clock (nil: time.Now).
func NewRepo(db store.SQL, now func() time.Time) *Repo {
	if now == nil {
		now = time.Now
	}
	return &Repo{db: db, now: now, Escalation: DefaultEscalation}
}

// Actor is who makes a change, for the audit log and the timeline.
type Actor struct {
	Name   string // username; "system" for the scheduler
	Remote string // client address
}

// Event is one entry of a case's timeline.
type Event struct {
	ID          int64
	CaseID      int64
	Time        time.Time
	Actor       string
	Action      string // an Action, or register, escalate, recur
	From, To    State
	Note        string
	Detail      string // JSON of the action's data
	Attachments []Attachment
}

// Attachment is the metadata of a stored file.
type Attachment struct {
	ID          int64
	OwnerKind   string // "case" or "complaint"
	OwnerID     int64
	EventID     int64
	SHA256      string
	Size        int64
	ContentType string
	Name        string
	CreatedBy   string
	Created     time.Time
}

const caseCols = `id, title, description, source, source_ref, category, severity, region_code, enterprise_code, point_code,
lead_department, responsible_units, deadline, state, level, assignee, plan, milestones, submitted_by, verified_by,
verify_method, closed_by, recurrences, created_by, created, updated, closed_at`

type scanner interface{ Scan(dest ...any) error }

func scanCase(s scanner) (Case, error) {
	var c Case
	var units, ms string
	var deadline, created, updated, closedAt int64
	var level int
	err := s.Scan(&c.ID, &c.Title, &c.Description, &c.Source, &c.SourceRef, &c.Category, &c.Severity, &c.RegionCode,
		&c.EnterpriseCode, &c.PointCode, &c.LeadDepartment, &units, &deadline, &c.State, &level, &c.Assignee, &c.Plan, &ms,
		&c.SubmittedBy, &c.VerifiedBy, &c.VerifyMethod, &c.ClosedBy, &c.Recurrences, &c.CreatedBy, &created, &updated, &closedAt)
	if err != nil {
		return c, err
	}
	c.Level = Level(level)
	c.Deadline, c.Created, c.Updated = unix(deadline), unix(created), unix(updated)
	c.ClosedAt = unix(closedAt)
	if err := json.Unmarshal([]byte(units), &c.ResponsibleUnits); err != nil {
		return c, fmt.Errorf("case %d: responsible_units: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(ms), &c.Milestones); err != nil {
		return c, fmt.Errorf("case %d: milestones: %w", c.ID, err)
	}
	return c, nil
}

// unix turns stored seconds into a time in CST; 0 is the zero time.
func unix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).In(store.CST)
}

func secs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // slices of strings and milestones always marshal
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// Create registers a case entered by hand (or from another domain) and
// returns it with its id.
func (r *Repo) Create(ctx context.Context, c Case, by Actor) (Case, error) {
	now := r.now()
	c.State = ""
	c.CreatedBy = by.Name
	if err := c.Validate(); err != nil {
		return c, err
	}
	c.Created, c.Updated = now, now
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		return r.insertCase(ctx, tx, &c, by, "")
	})
	return c, err
}

func (r *Repo) insertCase(ctx context.Context, tx *sql.Tx, c *Case, by Actor, note string) error {
	err := tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO rect_case (title, description, source, source_ref, category, severity,
region_code, enterprise_code, point_code, lead_department, responsible_units, deadline, state, level, assignee, plan, milestones,
created_by, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		c.Title, c.Description, string(c.Source), c.SourceRef, c.Category, c.Severity, c.RegionCode, c.EnterpriseCode, c.PointCode,
		c.LeadDepartment, jsonText(c.ResponsibleUnits), secs(c.Deadline), string(c.State), int(c.Level), c.Assignee, c.Plan,
		jsonText(c.Milestones), c.CreatedBy, secs(c.Created), secs(c.Updated)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("insert case: %w", err)
	}
	detail := fmt.Sprintf("source=%s region=%s category=%s severity=%s deadline=%s", c.Source, c.RegionCode,
		c.Category, c.Severity, c.Deadline.In(store.CST).Format(time.DateOnly))
	if c.SourceRef != "" {
		detail += " ref=" + c.SourceRef
	}
	if c.EnterpriseCode != "" {
		detail += " enterprise=" + c.EnterpriseCode
	}
	if _, err := r.addEvent(ctx, tx, Event{CaseID: c.ID, Time: c.Created, Actor: by.Name, Action: "register", To: c.State, Note: note, Detail: detail}); err != nil {
		return err
	}
	return r.audit(ctx, tx, by, "case.create", c.ID, c.Title+"; "+detail)
}

func (r *Repo) audit(ctx context.Context, tx *sql.Tx, by Actor, action string, caseID int64, detail string) error {
	_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: r.now(), Actor: by.Name, Action: action,
		Object: "case:" + strconv.FormatInt(caseID, 10), Detail: detail, Remote: by.Remote})
	return err
}

func (r *Repo) addEvent(ctx context.Context, tx *sql.Tx, e Event) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO case_event (case_id, t, actor, action, from_state, to_state, note, detail)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.CaseID, secs(e.Time), e.Actor, e.Action, string(e.From), string(e.To), e.Note, e.Detail).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert case event: %w", err)
	}
	return id, nil
}

// OpenRequest is what another domain opens a case with (see
// httpapi.CaseRequest, which the API converts to this).
type OpenRequest struct {
	Source         Source
	SourceRef      string
	Title          string
	Description    string
	Category       string
	Severity       string
	RegionCode     string
	EnterpriseCode string
	PointCode      string
	Deadline       time.Time // zero: DefaultDeadline of the severity
}

// Open registers a case for req.SourceRef, idempotently: the open case
// already registered for it is returned as it is; a closed one is
// reopened (a recurrence, 防止反弹) with the new description on its
// timeline. SourceRef is required.
func (r *Repo) Open(ctx context.Context, req OpenRequest, by Actor) (id int64, reopened bool, err error) {
	if strings.TrimSpace(req.SourceRef) == "" {
		return 0, false, invalid("source_ref", "empty: a case opened from another object names it, e.g. alarm:42")
	}
	now := r.now()
	c := Case{Title: req.Title, Description: req.Description, Source: req.Source, SourceRef: req.SourceRef, Category: req.Category,
		Severity: req.Severity, RegionCode: req.RegionCode, EnterpriseCode: req.EnterpriseCode, PointCode: req.PointCode,
		Deadline: req.Deadline, CreatedBy: by.Name, Created: now, Updated: now}
	if c.Deadline.IsZero() {
		sev := c.Severity
		if sev == "" {
			sev = "medium"
		}
		c.Deadline = DefaultDeadline(sev, now)
	}
	if err := c.Validate(); err != nil {
		return 0, false, err
	}
	err = r.db.Tx(ctx, func(tx *sql.Tx) error {
		// Inside the write transaction: two clicks never both insert.
		row := tx.QueryRowContext(ctx, r.db.Q(`SELECT `+caseCols+` FROM rect_case WHERE source_ref = ? ORDER BY id DESC LIMIT 1`+r.forUpdate()), req.SourceRef)
		old, err := scanCase(row)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := r.insertCase(ctx, tx, &c, by, ""); err != nil {
				return err
			}
			id = c.ID
			return nil
		case err != nil:
			return err
		case old.State.Open():
			id = old.ID
			return nil
		}
		id, reopened = old.ID, true
		return r.recur(ctx, tx, old, by, req.Description, now)
	})
	return id, reopened, err
}

// recur reopens a closed case whose problem came back.
func (r *Repo) recur(ctx context.Context, tx *sql.Tx, c Case, by Actor, note string, now time.Time) error {
	_, err := tx.ExecContext(ctx, r.db.Q(`UPDATE rect_case SET state = ?, recurrences = recurrences + 1, submitted_by = '', verified_by = '',
verify_method = '', closed_by = '', closed_at = 0, level = 0, deadline = ?, updated = ? WHERE id = ?`),
		string(Reopened), secs(DefaultDeadline(c.Severity, now)), secs(now), c.ID)
	if err != nil {
		return fmt.Errorf("reopen case %d: %w", c.ID, err)
	}
	if _, err := r.addEvent(ctx, tx, Event{CaseID: c.ID, Time: now, Actor: by.Name, Action: "recur", From: c.State, To: Reopened, Note: note,
		Detail: fmt.Sprintf("recurrence %d", c.Recurrences+1)}); err != nil {
		return err
	}
	return r.audit(ctx, tx, by, "case.recur", c.ID, fmt.Sprintf("closed case reopened: recurrence %d of %s", c.Recurrences+1, c.SourceRef))
}

func (r *Repo) forUpdate() string {
	if r.db.Postgres {
		return " FOR UPDATE"
	}
	return "" // SQLite's writer holds the database lock from BEGIN
}

// Case returns one case.
func (r *Repo) Case(ctx context.Context, id int64) (Case, error) {
	c, err := scanCase(r.db.R.QueryRowContext(ctx, r.db.Q(`SELECT `+caseCols+` FROM rect_case WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("case %d: %w", id, store.ErrNotFound)
	}
	return c, err
}

// Filter selects cases. The scope fields come from the principal and are
// always applied; the others are the list's filters.
type Filter struct {
	// RegionPrefix limits to regions whose code starts with it ("" all);
	// Enterprise limits to one enterprise (an enterprise user's).
	RegionPrefix string
	Enterprise   string

	State      State
	Open       bool   // only open cases
	Region     string // region code prefix filter (a city: 4301)
	Source     Source
	Department string // lead department or one of the responsible units
	Overdue    bool   // open and past the deadline at Now
	Level      Level  // at least this escalation level
	Query      string // substring of the title
	Now        time.Time
	Limit      int // 0: 50
	Offset     int
}

func (r *Repo) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.RegionPrefix != "" {
		add("region_code LIKE ?", likePrefix(f.RegionPrefix))
	}
	if f.Enterprise != "" {
		add("enterprise_code = ?", f.Enterprise)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Open || f.Overdue {
		add("state <> ?", string(Closed))
	}
	if f.Region != "" {
		add("region_code LIKE ?", likePrefix(f.Region))
	}
	if f.Source != "" {
		add("source = ?", string(f.Source))
	}
	if f.Department != "" {
		// responsible_units is a JSON array of codes: match the quoted code.
		add("(lead_department = ? OR responsible_units LIKE ?)", f.Department, `%"`+escapeLike(f.Department)+`"%`)
	}
	if f.Overdue {
		add("deadline < ?", f.Now.Unix())
	}
	if f.Level > 0 {
		add("level >= ?", int(f.Level))
	}
	if f.Query != "" {
		add("title LIKE ?", "%"+escapeLike(f.Query)+"%")
	}
	if len(conds) == 0 {
		return "", nil
	}
	// LIKE's escape character is given explicitly: PostgreSQL defaults to
	// backslash, SQLite to none.
	w := " WHERE " + strings.Join(conds, " AND ")
	return strings.ReplaceAll(w, "LIKE ?", `LIKE ? ESCAPE '\'`), args
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func likePrefix(s string) string { return escapeLike(s) + "%" }

// Cases returns one page of the cases f selects, most urgent first
// (earliest deadline among the open ones, then the closed ones, newest
// first), and how many match.
func (r *Repo) Cases(ctx context.Context, f Filter) ([]Case, int, error) {
	w, args := r.where(f)
	var total int
	if err := r.db.R.QueryRowContext(ctx, r.db.Q("SELECT count(*) FROM rect_case"+w), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := `SELECT ` + caseCols + ` FROM rect_case` + w + ` ORDER BY CASE WHEN state = 'closed' THEN 1 ELSE 0 END, ` +
		`CASE WHEN state = 'closed' THEN -closed_at ELSE deadline END, id LIMIT ? OFFSET ?`
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(q), append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Events returns a case's timeline, oldest first, with each event's
// attachments.
func (r *Repo) Events(ctx context.Context, caseID int64) ([]Event, error) {
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT id, case_id, t, actor, action, from_state, to_state, note, detail
FROM case_event WHERE case_id = ? ORDER BY id`), caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	byID := map[int64]int{}
	for rows.Next() {
		var e Event
		var t int64
		if err := rows.Scan(&e.ID, &e.CaseID, &t, &e.Actor, &e.Action, &e.From, &e.To, &e.Note, &e.Detail); err != nil {
			return nil, err
		}
		e.Time = unix(t)
		byID[e.ID] = len(out)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	atts, err := r.Attachments(ctx, "case", caseID)
	if err != nil {
		return nil, err
	}
	for _, a := range atts {
		if i, ok := byID[a.EventID]; ok {
			out[i].Attachments = append(out[i].Attachments, a)
		}
	}
	return out, nil
}

// Attachments lists the attachments of an owner ("case" or "complaint").
func (r *Repo) Attachments(ctx context.Context, kind string, ownerID int64) ([]Attachment, error) {
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT id, owner_kind, owner_id, event_id, sha256, size, content_type, name, created_by, created
FROM attachment WHERE owner_kind = ? AND owner_id = ? ORDER BY id`), kind, ownerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		var t int64
		if err := rows.Scan(&a.ID, &a.OwnerKind, &a.OwnerID, &a.EventID, &a.SHA256, &a.Size, &a.ContentType, &a.Name, &a.CreatedBy, &t); err != nil {
			return nil, err
		}
		a.Created = unix(t)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Attachment returns one attachment of an owner.
func (r *Repo) Attachment(ctx context.Context, kind string, ownerID, id int64) (Attachment, error) {
	as, err := r.Attachments(ctx, kind, ownerID)
	if err != nil {
		return Attachment{}, err
	}
	for _, a := range as {
		if a.ID == id {
			return a, nil
		}
	}
	return Attachment{}, fmt.Errorf("attachment %d of %s %d: %w", id, kind, ownerID, store.ErrNotFound)
}

func (r *Repo) insertAttachments(ctx context.Context, tx *sql.Tx, kind string, ownerID, eventID int64, by string, files []File) ([]string, error) {
	var names []string
	for _, f := range files {
		_, err := tx.ExecContext(ctx, r.db.Q(`INSERT INTO attachment (owner_kind, owner_id, event_id, sha256, size, content_type, name, created_by, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), kind, ownerID, eventID, f.SHA256, f.Size, f.ContentType, f.Name, by, secs(r.now()))
		if err != nil {
			return nil, fmt.Errorf("insert attachment: %w", err)
		}
		names = append(names, f.Name+" sha256:"+f.SHA256)
	}
	return names, nil
}

// Input is the data of a workflow action.
type Input struct {
	Note       string      // the report's text, the reason for a return, …
	Assignee   string      // assign: who rectifies
	Deadline   time.Time   // assign: a new deadline (zero: keep)
	Plan       string      // start: the rectification plan
	Milestones []Milestone // start: its dated steps
	Method     string      // verify: on-site or remote
	Files      []File      // report, submit, verify: stored files
}

// Check validates the input of action a (Act checks it again).
func (in Input) Check(a Action) error {
	switch {
	case len(in.Note) > 20000:
		return invalid("note", "longer than 20,000 bytes")
	case a == ActAssign && strings.TrimSpace(in.Assignee) == "":
		return invalid("assignee", "empty: say who rectifies")
	case a == ActStart && strings.TrimSpace(in.Plan) == "":
		return invalid("plan", "empty: a rectification starts with its plan")
	case a == ActReport && strings.TrimSpace(in.Note) == "" && len(in.Files) == 0:
		return invalid("note", "empty: a progress report says what was done")
	case a == ActReturn && strings.TrimSpace(in.Note) == "":
		return invalid("note", "empty: say why the case is returned")
	case a == ActVerify && in.Method != "on-site" && in.Method != "remote":
		return invalid("method", "%q: want on-site or remote", in.Method)
	case len(in.Milestones) > 50:
		return invalid("milestones", "more than 50")
	case len(in.Files) > 10:
		return invalid("files", "more than 10")
	}
	for i, m := range in.Milestones {
		if strings.TrimSpace(m.Title) == "" || m.Due.IsZero() {
			return invalid("milestones", "milestone %d: want a title and a due date", i+1)
		}
	}
	return nil
}

// Act takes action a on case id as p, checking the workflow rules, and
// returns the case as it is after.
func (r *Repo) Act(ctx context.Context, id int64, a Action, p auth.Principal, in Input, by Actor) (Case, error) {
	if err := in.Check(a); err != nil {
		return Case{}, err
	}
	var out Case
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCase(tx.QueryRowContext(ctx, r.db.Q(`SELECT `+caseCols+` FROM rect_case WHERE id = ?`+r.forUpdate()), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("case %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		next, err := Next(c, a, p)
		if err != nil {
			return err
		}
		now := r.now()
		from := c.State
		var detail []string
		switch a {
		case ActAssign:
			c.Assignee = strings.TrimSpace(in.Assignee)
			detail = append(detail, "assignee="+c.Assignee)
			if !in.Deadline.IsZero() {
				c.Deadline = in.Deadline
				detail = append(detail, "deadline="+in.Deadline.In(store.CST).Format(time.DateOnly))
			}
		case ActStart:
			c.Plan = strings.TrimSpace(in.Plan)
			c.Milestones = in.Milestones
			detail = append(detail, fmt.Sprintf("plan with %d milestones", len(in.Milestones)))
		case ActSubmit:
			c.SubmittedBy = p.Username
		case ActVerify:
			c.VerifiedBy, c.VerifyMethod = p.Username, in.Method
			detail = append(detail, "method="+in.Method)
		case ActReturn:
			c.VerifiedBy, c.VerifyMethod = "", ""
		case ActClose:
			c.ClosedBy, c.ClosedAt = p.Username, now
		case ActReopen:
			c.Recurrences++
			c.SubmittedBy, c.VerifiedBy, c.VerifyMethod, c.ClosedBy, c.ClosedAt = "", "", "", "", time.Time{}
		}
		c.State, c.Updated = next, now
		_, err = tx.ExecContext(ctx, r.db.Q(`UPDATE rect_case SET state = ?, assignee = ?, deadline = ?, plan = ?, milestones = ?,
submitted_by = ?, verified_by = ?, verify_method = ?, closed_by = ?, closed_at = ?, recurrences = ?, updated = ? WHERE id = ?`),
			string(c.State), c.Assignee, secs(c.Deadline), c.Plan, jsonText(c.Milestones), c.SubmittedBy, c.VerifiedBy, c.VerifyMethod,
			c.ClosedBy, secs(c.ClosedAt), c.Recurrences, secs(now), c.ID)
		if err != nil {
			return fmt.Errorf("update case %d: %w", c.ID, err)
		}
		eid, err := r.addEvent(ctx, tx, Event{CaseID: c.ID, Time: now, Actor: by.Name, Action: string(a), From: from, To: next,
			Note: in.Note, Detail: strings.Join(detail, "; ")})
		if err != nil {
			return err
		}
		names, err := r.insertAttachments(ctx, tx, "case", c.ID, eid, by.Name, in.Files)
		if err != nil {
			return err
		}
		detail = append(detail, fmt.Sprintf("%s → %s", from, next))
		if len(names) > 0 {
			detail = append(detail, "files: "+strings.Join(names, ", "))
		}
		if in.Note != "" {
			detail = append(detail, "note: "+truncate(in.Note, 500))
		}
		out = c
		return r.audit(ctx, tx, by, "case."+string(a), c.ID, strings.Join(detail, "; "))
	})
	return out, err
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Escalate raises the escalation level of every open case whose deadline
// schedule (r.Escalation) says so at now, each with a timeline event and
// an audit entry; it returns the cases raised.
func (r *Repo) Escalate(ctx context.Context, now time.Time) ([]Case, error) {
	if err := r.Escalation.Validate(); err != nil {
		return nil, err
	}
	// Only cases whose reminder instant has passed can need raising.
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT `+caseCols+` FROM rect_case WHERE state <> ? AND level < ? AND deadline <= ? ORDER BY id`),
		string(Closed), int(LevelListed), now.Add(r.Escalation.RemindBefore).Unix())
	if err != nil {
		return nil, err
	}
	var due []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if r.Escalation.Raise(c, now) > c.Level {
			due = append(due, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var raised []Case
	by := Actor{Name: "system"}
	for _, c := range due {
		err := r.db.Tx(ctx, func(tx *sql.Tx) error {
			// Re-read under the write lock: a person may have closed it.
			cur, err := scanCase(tx.QueryRowContext(ctx, r.db.Q(`SELECT `+caseCols+` FROM rect_case WHERE id = ?`+r.forUpdate()), c.ID))
			if err != nil {
				return err
			}
			lv := r.Escalation.Raise(cur, now)
			if lv <= cur.Level {
				return nil
			}
			if _, err := tx.ExecContext(ctx, r.db.Q(`UPDATE rect_case SET level = ?, updated = ? WHERE id = ?`), int(lv), now.Unix(), cur.ID); err != nil {
				return err
			}
			detail := fmt.Sprintf("level %s → %s; deadline %s", cur.Level, lv, cur.Deadline.In(store.CST).Format(time.DateOnly))
			if _, err := r.addEvent(ctx, tx, Event{CaseID: cur.ID, Time: now, Actor: by.Name, Action: "escalate", From: cur.State, To: cur.State,
				Detail: detail}); err != nil {
				return err
			}
			cur.Level = lv
			raised = append(raised, cur)
			return r.audit(ctx, tx, by, "case.escalate", cur.ID, detail)
		})
		if err != nil {
			return raised, fmt.Errorf("escalate case %d: %w", c.ID, err)
		}
	}
	return raised, nil
}
