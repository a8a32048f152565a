package plan

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// Repo keeps plans, tasks, assignments, progress reports and links in the
// store's SQL database (tables plan_*, migrations 0600). Every change is
// committed with its audit entry.
type Repo struct {
	DB  store.SQL
	Now func() time.Time
}

// NewRepo returns a repository over db with the clock now (nil: time.Now).
func NewRepo(db store.SQL, now func() time.Time) *Repo {
	if now == nil {
		now = time.Now
	}
	return &Repo{DB: db, Now: now}
}

// Actor is who makes a change, for the audit log.
type Actor struct {
	Name   string
	Remote string
}

// PlanRow is a stored plan of one year.
type PlanRow struct {
	ID        int64     `json:"id"`
	Year      int       `json:"year"`
	Title     string    `json:"title"`
	GraceDays int       `json:"grace_days"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Tasks     int       `json:"tasks"`
}

// TaskRow is a stored task with who carries it out.
type TaskRow struct {
	ID          int64   `json:"id"`
	PlanID      int64   `json:"plan_id"`
	Year        int     `json:"year"`
	Key         string  `json:"key"`
	Number      int     `json:"number"`
	Group       string  `json:"group"`
	GroupNumber int     `json:"group_number"`
	Title       string  `json:"title"`
	Text        string  `json:"text"`
	ByDuty      bool    `json:"by_duty"`
	Leads       []Party `json:"leads"`
	Cities      int     `json:"cities"`
}

// ReportRow is a stored progress report.
type ReportRow struct {
	ID          int64        `json:"id"`
	TaskID      int64        `json:"task_id"`
	TaskKey     string       `json:"task_key"`
	PartyKind   PartyKind    `json:"party_kind"`
	PartyCode   string       `json:"party_code"`
	Period      string       `json:"period"`
	Status      Status       `json:"status"`
	Percent     int          `json:"percent"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
	Filed       time.Time    `json:"filed"`
	FiledBy     string       `json:"filed_by"`
	Review      string       `json:"review"` // "", "accepted" or "returned"
	ReviewNote  string       `json:"review_note"`
	ReviewedBy  string       `json:"reviewed_by"`
}

// Attachment names a supporting document of a report: a file already kept
// elsewhere (a case attachment, a document system) by name and address.
type Attachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Link points a task at what measures it.
type Link struct {
	ID     int64  `json:"id"`
	TaskID int64  `json:"task_id"`
	Kind   string `json:"kind"` // target, case, case_source, campaign, emergency
	Ref    string `json:"ref"`
	Note   string `json:"note"`
}

// LinkKinds are the kinds of Link.
var LinkKinds = []string{"target", "case", "case_source", "campaign", "emergency"}

// DefaultLinks are the links a seeded 2020 plan gets: the targets of
// 二、工作目标 that measure the three battles, §15's rectifications as the
// cases whose source is the central inspection, §20's hazard-check
// campaigns, §21's risk-source database and §24's emergency plans.
var DefaultLinks = map[string][]Link{
	"8":  {{Kind: "target", Ref: "pm25_annual_mean"}, {Kind: "target", Ref: "good_day_ratio"}, {Kind: "target", Ref: "heavy_pollution_days_total"}},
	"9":  {{Kind: "target", Ref: "surface_water_good_ratio"}, {Kind: "target", Ref: "drinking_water_class3_ratio"}, {Kind: "target", Ref: "black_odorous_water_elimination"}},
	"10": {{Kind: "target", Ref: "farmland_safe_use_and_control"}, {Kind: "target", Ref: "contaminated_land_safe_use_ratio"}},
	"15": {{Kind: "case_source", Ref: "central-inspection", Note: "中央环保督察及“回头看”问题整改"}},
	"16": {{Kind: "case_source", Ref: "yangtze-warning-film", Note: "长江经济带生态环境警示片披露问题"}},
	"18": {{Kind: "case_source", Ref: "provincial-inspection", Note: "省级环保督察"}},
	"20": {{Kind: "campaign", Ref: "hazard-check", Note: "风险隐患大排查"}},
	"21": {{Kind: "emergency", Ref: "risk-sources", Note: "重大生态环境风险源数据库"}},
	"24": {{Kind: "emergency", Ref: "plans", Note: "应急预案备案与修订"}},
}

func audit(ctx context.Context, db store.SQL, tx *sql.Tx, a Actor, now time.Time, action, object string, detail any) error {
	b, _ := json.Marshal(detail)
	_, err := db.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: a.Name, Action: action, Object: object, Detail: string(b), Remote: a.Remote})
	return err
}

// CreatePlan stores a year's plan parsed from text, with its tasks
// assigned to their lead departments (resolved by name among deps) and,
// when the plan says so, to every city of cities. A lead that is not among
// deps is an error naming it, so that a typo never drops a department. A
// year that already has a plan is ErrConflict.
func (r *Repo) CreatePlan(ctx context.Context, year int, text string, deps []registry.Department, cities []registry.Region, links map[string][]Link, a Actor) (PlanRow, error) {
	if year < 2000 || year > 2100 {
		return PlanRow{}, fmt.Errorf("%w: year %d is out of range", ErrInvalid, year)
	}
	p, err := Parse(text)
	if err != nil {
		return PlanRow{}, err
	}
	byName := map[string]registry.Department{}
	for _, d := range deps {
		byName[d.Name] = d
	}
	for _, t := range p.Tasks {
		for _, l := range t.Leads {
			if _, ok := byName[l]; !ok {
				return PlanRow{}, fmt.Errorf("%w: task %s: lead department %q is not in the registry (seed or import the departments first)", ErrInvalid, t.Key, l)
			}
		}
	}
	var cityList []registry.Region
	for _, c := range cities {
		if lv, _ := registry.LevelOf(c.Code); lv == registry.LevelCity {
			cityList = append(cityList, c)
		}
	}
	now := r.Now()
	title := p.Title
	if title == "" {
		title = fmt.Sprintf("%d年工作要点", year)
	}
	row := PlanRow{Year: year, Title: title, GraceDays: 10, Created: now.In(store.CST), CreatedBy: a.Name, Tasks: len(p.Tasks)}
	db := r.DB
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM plan_plan WHERE year = ?`), year).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: a plan for %d exists already", store.ErrConflict, year)
		}
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_plan (year, title, source_text, grace_days, created, created_by)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), year, title, text, row.GraceDays, now.Unix(), a.Name).Scan(&row.ID); err != nil {
			return err
		}
		for _, t := range p.Tasks {
			var id int64
			if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_task (plan_id, task_key, number, group_name, group_number, title, body, by_duty)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), row.ID, t.Key, t.Number, t.Group, t.GroupNumber, t.Title, t.Text, t.ByDuty).Scan(&id); err != nil {
				return err
			}
			ins := db.Q(`INSERT INTO plan_assignment (task_id, party_kind, party_code, party_name, seq) VALUES (?, ?, ?, ?, ?)`)
			for i, l := range t.Leads {
				d := byName[l]
				if _, err := tx.ExecContext(ctx, ins, id, PartyDepartment, d.Code, d.Name, i); err != nil {
					return err
				}
			}
			if p.AllCities {
				for i, c := range cityList {
					if _, err := tx.ExecContext(ctx, ins, id, PartyCity, c.Code, c.Name, len(t.Leads)+i); err != nil {
						return err
					}
				}
			}
			for _, l := range links[t.Key] {
				if _, err := tx.ExecContext(ctx, db.Q(`INSERT INTO plan_link (task_id, kind, ref, note) VALUES (?, ?, ?, ?)`), id, l.Kind, l.Ref, l.Note); err != nil {
					return err
				}
			}
		}
		return audit(ctx, db, tx, a, now, "plan.create", fmt.Sprintf("plan:%d", year), map[string]any{"tasks": len(p.Tasks), "cities": len(cityList)})
	})
	return row, err
}

// Plans lists the stored plans, newest year first.
func (r *Repo) Plans(ctx context.Context) ([]PlanRow, error) {
	rows, err := r.DB.R.QueryContext(ctx, `SELECT p.id, p.year, p.title, p.grace_days, p.created, p.created_by,
(SELECT COUNT(*) FROM plan_task t WHERE t.plan_id = p.id) FROM plan_plan p ORDER BY p.year DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PlanRow
	for rows.Next() {
		var p PlanRow
		var created int64
		if err := rows.Scan(&p.ID, &p.Year, &p.Title, &p.GraceDays, &created, &p.CreatedBy, &p.Tasks); err != nil {
			return nil, err
		}
		p.Created = time.Unix(created, 0).In(store.CST)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PlanSource returns the document text a year's plan was made from.
func (r *Repo) PlanSource(ctx context.Context, year int) (string, error) {
	var s string
	err := r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT source_text FROM plan_plan WHERE year = ?`), year).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("plan for %d: %w", year, store.ErrNotFound)
	}
	return s, err
}

// Schedule returns the reporting schedule of a year's plan.
func (r *Repo) Schedule(ctx context.Context, year int) (Schedule, error) {
	var g int
	err := r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT grace_days FROM plan_plan WHERE year = ?`), year).Scan(&g)
	if errors.Is(err, sql.ErrNoRows) {
		return Schedule{}, fmt.Errorf("plan for %d: %w", year, store.ErrNotFound)
	}
	return Schedule{Year: year, GraceDays: g}, err
}

const taskCols = `t.id, t.plan_id, p.year, t.task_key, t.number, t.group_name, t.group_number, t.title, t.body, t.by_duty`

func scanTask(sc interface{ Scan(...any) error }) (TaskRow, error) {
	var t TaskRow
	err := sc.Scan(&t.ID, &t.PlanID, &t.Year, &t.Key, &t.Number, &t.Group, &t.GroupNumber, &t.Title, &t.Text, &t.ByDuty)
	return t, err
}

// Tasks lists a year's tasks in the plan's order (1 … 29, then the
// safeguards), with their lead departments and the number of cities.
func (r *Repo) Tasks(ctx context.Context, year int) ([]TaskRow, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT `+taskCols+` FROM plan_task t JOIN plan_plan p ON p.id = t.plan_id
WHERE p.year = ? ORDER BY t.id`), year)
	if err != nil {
		return nil, err
	}
	var out []TaskRow
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	as, err := r.Assignments(ctx, year)
	if err != nil {
		return nil, err
	}
	pos := map[int64]int{}
	for i, t := range out {
		pos[t.ID] = i
	}
	for _, a := range as {
		i := pos[a.TaskID]
		if a.Party.Kind == PartyCity {
			out[i].Cities++
		} else {
			out[i].Leads = append(out[i].Leads, a.Party)
		}
	}
	return out, nil
}

// Task returns one task.
func (r *Repo) Task(ctx context.Context, id int64) (TaskRow, error) {
	t, err := scanTask(r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT `+taskCols+` FROM plan_task t JOIN plan_plan p ON p.id = t.plan_id WHERE t.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("task %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, err
	}
	as, err := r.assignments(ctx, `WHERE a.task_id = ?`, id)
	for _, a := range as {
		if a.Party.Kind == PartyCity {
			t.Cities++
		} else {
			t.Leads = append(t.Leads, a.Party)
		}
	}
	return t, err
}

// Assignments lists who carries out each task of a year.
func (r *Repo) Assignments(ctx context.Context, year int) ([]Assignment, error) {
	return r.assignments(ctx, `JOIN plan_task t ON t.id = a.task_id JOIN plan_plan p ON p.id = t.plan_id WHERE p.year = ?`, year)
}

func (r *Repo) assignments(ctx context.Context, where string, arg any) ([]Assignment, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT a.task_id, a.party_kind, a.party_code, a.party_name FROM plan_assignment a `+where+`
ORDER BY a.task_id, a.seq`), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.TaskID, &a.Party.Kind, &a.Party.Code, &a.Party.Name); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FileReport stores a progress report of a party on a task. The party must
// be assigned the task and the period must belong to the plan's year.
func (r *Repo) FileReport(ctx context.Context, rep ReportRow, a Actor) (ReportRow, error) {
	if _, err := ParseStatus(string(rep.Status)); err != nil {
		return rep, err
	}
	if rep.Percent < 0 || rep.Percent > 100 {
		return rep, fmt.Errorf("%w: percent %d: want 0 to 100", ErrInvalid, rep.Percent)
	}
	if len(rep.Text) > 20000 {
		return rep, fmt.Errorf("%w: text: longer than 20000 bytes", ErrInvalid)
	}
	if len(rep.Attachments) > 20 {
		return rep, fmt.Errorf("%w: attachments: at most 20", ErrInvalid)
	}
	for _, at := range rep.Attachments {
		if strings.TrimSpace(at.Name) == "" || !(strings.HasPrefix(at.URL, "https://") || strings.HasPrefix(at.URL, "/")) {
			return rep, fmt.Errorf("%w: attachments: each needs a name and an https:// or /path address", ErrInvalid)
		}
	}
	t, err := r.Task(ctx, rep.TaskID)
	if err != nil {
		return rep, err
	}
	y, err := ParsePeriodYear(rep.Period)
	if err != nil {
		return rep, err
	}
	if y != t.Year {
		return rep, fmt.Errorf("%w: period %s is not in the plan's year %d", ErrInvalid, rep.Period, t.Year)
	}
	now := r.Now()
	rep.Filed, rep.FiledBy, rep.TaskKey = now.In(store.CST), a.Name, t.Key
	if rep.Attachments == nil {
		rep.Attachments = []Attachment{}
	}
	att, _ := json.Marshal(rep.Attachments)
	db := r.DB
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM plan_assignment WHERE task_id = ? AND party_kind = ? AND party_code = ?`),
			rep.TaskID, rep.PartyKind, rep.PartyCode).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: %s %s is not assigned task %s", ErrInvalid, rep.PartyKind, rep.PartyCode, t.Key)
		}
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_report (task_id, party_kind, party_code, period, status, percent, body, attachments, filed, filed_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), rep.TaskID, rep.PartyKind, rep.PartyCode, rep.Period, rep.Status, rep.Percent, rep.Text, string(att), now.Unix(), a.Name).Scan(&rep.ID); err != nil {
			return err
		}
		return audit(ctx, db, tx, a, now, "plan.report", "plan-report:"+strconv.FormatInt(rep.ID, 10),
			map[string]any{"task": t.Key, "year": t.Year, "party": string(rep.PartyKind) + ":" + rep.PartyCode, "period": rep.Period, "status": rep.Status})
	})
	return rep, err
}

// ReviewReport records a supervisor's review: accepted, or returned (the
// report then no longer counts as filed, and the party reports again).
func (r *Repo) ReviewReport(ctx context.Context, id int64, accept bool, note string, a Actor) (ReportRow, error) {
	review := "returned"
	if accept {
		review = "accepted"
	}
	if !accept && strings.TrimSpace(note) == "" {
		return ReportRow{}, fmt.Errorf("%w: note: say why the report is returned", ErrInvalid)
	}
	now := r.Now()
	db := r.DB
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.Q(`UPDATE plan_report SET review = ?, review_note = ?, reviewed_by = ?, reviewed = ? WHERE id = ?`),
			review, note, a.Name, now.Unix(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("report %d: %w", id, store.ErrNotFound)
		}
		return audit(ctx, db, tx, a, now, "plan.review", "plan-report:"+strconv.FormatInt(id, 10), map[string]any{"review": review, "note": note})
	})
	if err != nil {
		return ReportRow{}, err
	}
	return r.Report(ctx, id)
}

const reportCols = `r.id, r.task_id, t.task_key, r.party_kind, r.party_code, r.period, r.status, r.percent, r.body, r.attachments, r.filed, r.filed_by, r.review, r.review_note, r.reviewed_by`

func scanReport(sc interface{ Scan(...any) error }) (ReportRow, error) {
	var x ReportRow
	var att string
	var filed int64
	err := sc.Scan(&x.ID, &x.TaskID, &x.TaskKey, &x.PartyKind, &x.PartyCode, &x.Period, &x.Status, &x.Percent, &x.Text, &att, &filed, &x.FiledBy, &x.Review, &x.ReviewNote, &x.ReviewedBy)
	if err != nil {
		return x, err
	}
	x.Filed = time.Unix(filed, 0).In(store.CST)
	if err := json.Unmarshal([]byte(att), &x.Attachments); err != nil {
		return x, fmt.Errorf("report %d attachments: %w", x.ID, err)
	}
	return x, nil
}

// Report returns one report.
func (r *Repo) Report(ctx context.Context, id int64) (ReportRow, error) {
	x, err := scanReport(r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT `+reportCols+` FROM plan_report r JOIN plan_task t ON t.id = r.task_id WHERE r.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return x, fmt.Errorf("report %d: %w", id, store.ErrNotFound)
	}
	return x, err
}

// ReportFilter narrows Reports; zero fields match everything.
type ReportFilter struct {
	Year      int
	TaskID    int64
	PartyKind PartyKind
	PartyCode string
}

// Reports lists the reports of a year, oldest first.
func (r *Repo) Reports(ctx context.Context, f ReportFilter) ([]ReportRow, error) {
	q := `SELECT ` + reportCols + ` FROM plan_report r JOIN plan_task t ON t.id = r.task_id JOIN plan_plan p ON p.id = t.plan_id WHERE p.year = ?`
	args := []any{f.Year}
	if f.TaskID != 0 {
		q += ` AND r.task_id = ?`
		args = append(args, f.TaskID)
	}
	if f.PartyKind != "" {
		q += ` AND r.party_kind = ?`
		args = append(args, f.PartyKind)
	}
	if f.PartyCode != "" {
		q += ` AND r.party_code = ?`
		args = append(args, f.PartyCode)
	}
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(q+` ORDER BY r.filed, r.id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		x, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// AsReports converts stored reports for the calculations.
func AsReports(rows []ReportRow) []Report {
	out := make([]Report, len(rows))
	for i, x := range rows {
		out[i] = Report{TaskID: x.TaskID, Party: Party{Kind: x.PartyKind, Code: x.PartyCode}, Period: x.Period,
			Status: x.Status, Percent: x.Percent, Filed: x.Filed, Returned: x.Review == "returned"}
	}
	return out
}

// AddLink points a task at a target, case, case source, campaign or
// emergency register.
func (r *Repo) AddLink(ctx context.Context, l Link, a Actor) (Link, error) {
	if !contains(LinkKinds, l.Kind) {
		return l, fmt.Errorf("%w: kind %q: want one of %s", ErrInvalid, l.Kind, strings.Join(LinkKinds, ", "))
	}
	if strings.TrimSpace(l.Ref) == "" || len(l.Ref) > 200 {
		return l, fmt.Errorf("%w: ref: want 1 to 200 characters", ErrInvalid)
	}
	if _, err := r.Task(ctx, l.TaskID); err != nil {
		return l, err
	}
	now := r.Now()
	db := r.DB
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, db.Q(`SELECT COUNT(*) FROM plan_link WHERE task_id = ? AND kind = ? AND ref = ?`), l.TaskID, l.Kind, l.Ref).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: task %d already links %s %s", store.ErrConflict, l.TaskID, l.Kind, l.Ref)
		}
		if err := tx.QueryRowContext(ctx, db.Q(`INSERT INTO plan_link (task_id, kind, ref, note) VALUES (?, ?, ?, ?) RETURNING id`), l.TaskID, l.Kind, l.Ref, l.Note).Scan(&l.ID); err != nil {
			return err
		}
		return audit(ctx, db, tx, a, now, "plan.link", fmt.Sprintf("plan-task:%d", l.TaskID), map[string]any{"kind": l.Kind, "ref": l.Ref})
	})
	return l, err
}

// Links lists a task's links.
func (r *Repo) Links(ctx context.Context, taskID int64) ([]Link, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT id, task_id, kind, ref, note FROM plan_link WHERE task_id = ? ORDER BY id`), taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Link{}
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.TaskID, &l.Kind, &l.Ref, &l.Note); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
