package repo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// Repo keeps the targets feature's tables.
type Repo struct {
	SQL store.SQL
	Now func() time.Time
}

// New returns a repository over the store's SQL handle.
func New(s store.SQL) *Repo { return &Repo{SQL: s, Now: time.Now} }

// Edit is one change of a target, kept as its history.
type Edit struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	RegionCode string    `json:"region_code"`
	Year       int       `json:"year"`
	Indicator  string    `json:"indicator"`
	OldValue   *float64  `json:"old_value"`
	NewValue   float64   `json:"new_value"`
	Comparison string    `json:"comparison"`
	Name       string    `json:"name"`
	Unit       string    `json:"unit"`
	Source     string    `json:"source"`
	Note       string    `json:"note"`
}

// SetTarget writes a target (new or changed) into the registry's target
// table, with its history row and audit entry, in one transaction.
func (r *Repo) SetTarget(ctx context.Context, t registry.Target, actor, remote, note string) (Edit, error) {
	if err := t.Validate(); err != nil {
		return Edit{}, err
	}
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) {
		return Edit{}, fmt.Errorf("%w: value: not a number", store.ErrInvalid)
	}
	now := r.Now()
	e := Edit{Time: time.Unix(now.Unix(), 0).In(store.CST), Actor: actor, RegionCode: t.RegionCode, Year: t.Year, Indicator: t.Indicator,
		NewValue: t.Value, Comparison: string(t.Comparison), Name: t.Name, Unit: t.Unit, Source: t.Source, Note: note}
	err := r.SQL.Tx(ctx, func(tx *sql.Tx) error {
		var old float64
		err := tx.QueryRowContext(ctx, r.SQL.Q(`SELECT value FROM target WHERE region_code = ? AND year = ? AND indicator = ?`), t.RegionCode, t.Year, t.Indicator).Scan(&old)
		switch {
		case err == nil:
			e.OldValue = &old
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, r.SQL.Q(`SELECT count(*) FROM region WHERE code = ?`), t.RegionCode).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%w: region_code: %s is not in the registry", store.ErrInvalid, t.RegionCode)
		}
		if _, err := tx.ExecContext(ctx, r.SQL.Q(`INSERT INTO target (region_code, year, indicator, name, value, unit, comparison, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (region_code, year, indicator) DO UPDATE SET name = excluded.name, value = excluded.value, unit = excluded.unit,
comparison = excluded.comparison, source = excluded.source`), t.RegionCode, t.Year, t.Indicator, t.Name, t.Value, t.Unit, string(t.Comparison), t.Source); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, r.SQL.Q(`INSERT INTO targets_edit (t, actor, region_code, year, indicator, old_value, new_value, comparison, name, unit, source, note)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.Time.Unix(), actor, t.RegionCode, t.Year, t.Indicator, e.OldValue, t.Value,
			string(t.Comparison), t.Name, t.Unit, t.Source, note).Scan(&e.ID); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s %d %s = %v (%s)", t.RegionCode, t.Year, t.Indicator, t.Value, t.Comparison)
		if e.OldValue != nil {
			detail += fmt.Sprintf(", was %v", *e.OldValue)
		}
		_, err = r.SQL.AppendAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: "target.set",
			Object: fmt.Sprintf("target:%s/%d/%s", t.RegionCode, t.Year, t.Indicator), Detail: detail, Remote: remote, Time: now})
		return err
	})
	return e, err
}

// Edits lists a target's history, newest first; an empty indicator lists
// every edit of the year and region ("" for all regions).
func (r *Repo) Edits(ctx context.Context, region string, year int, indicator string) ([]Edit, error) {
	q := `SELECT id, t, actor, region_code, year, indicator, old_value, new_value, comparison, name, unit, source, note FROM targets_edit WHERE year = ?`
	args := []any{year}
	if region != "" {
		q += ` AND region_code = ?`
		args = append(args, region)
	}
	if indicator != "" {
		q += ` AND indicator = ?`
		args = append(args, indicator)
	}
	rows, err := r.SQL.R.QueryContext(ctx, r.SQL.Q(q+` ORDER BY id DESC`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Edit{}
	for rows.Next() {
		var e Edit
		var t int64
		var old sql.NullFloat64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.RegionCode, &e.Year, &e.Indicator, &old, &e.NewValue, &e.Comparison, &e.Name, &e.Unit, &e.Source, &e.Note); err != nil {
			return nil, err
		}
		e.Time = time.Unix(t, 0).In(store.CST)
		if old.Valid {
			v := old.Float64
			e.OldValue = &v
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Item kinds of the indicator registries.
const (
	Farmland         = "farmland"          // 受污染耕地: safe-use and strict-control areas (10k mu) per county
	ContaminatedSite = "contaminated_site" // 污染地块: done = safely used
	BlackOdorous     = "black_odorous"     // 城市黑臭水体: done = eliminated
	DrinkingSource   = "drinking_source"   // 集中式饮用水水源地: water_class; done = Class III or better
	// EmissionQuota is one reduction quota (主要污染物总量减排) of a region
	// and pollutant, entered by the department: done = completed.
	EmissionQuota = "emission_quota"
)

// ItemKinds lists the kinds.
var ItemKinds = []string{Farmland, ContaminatedSite, BlackOdorous, DrinkingSource, EmissionQuota}

// Item is one row of an indicator registry.
type Item struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Code       string    `json:"code"`
	Year       int       `json:"year"`
	Name       string    `json:"name"`
	RegionCode string    `json:"region_code"`
	Done       bool      `json:"done"`
	SafeArea   float64   `json:"safe_area"`
	StrictArea float64   `json:"strict_area"`
	WaterClass int       `json:"water_class"`
	Source     string    `json:"source"`
	Note       string    `json:"note"`
	Updated    time.Time `json:"updated"`
}

// Validate checks an item.
func (it *Item) Validate() error {
	known := false
	for _, k := range ItemKinds {
		known = known || k == it.Kind
	}
	bad := func(f, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", store.ErrInvalid, f, fmt.Sprintf(format, a...))
	}
	switch {
	case !known:
		return bad("kind", "%q is not one of %s", it.Kind, strings.Join(ItemKinds, ", "))
	case strings.TrimSpace(it.Code) == "":
		return bad("code", "empty")
	case strings.TrimSpace(it.Name) == "":
		return bad("name", "empty")
	case it.Year < 1990 || it.Year > 2100:
		return bad("year", "%d is out of range", it.Year)
	case it.SafeArea < 0 || it.StrictArea < 0 || math.IsNaN(it.SafeArea) || math.IsNaN(it.StrictArea):
		return bad("area", "negative or not a number")
	case it.WaterClass < 0 || it.WaterClass > 6:
		return bad("water_class", "%d is not 1..6 (6: worse than V)", it.WaterClass)
	case it.Kind == DrinkingSource && it.WaterClass == 0:
		return bad("water_class", "a drinking-water source needs its class")
	}
	if _, err := registry.LevelOf(it.RegionCode); err != nil {
		return err
	}
	if it.Kind == DrinkingSource {
		it.Done = it.WaterClass <= 3
	}
	return nil
}

// PutItems upserts items by (kind, code, year) in one transaction with
// one audit entry; a bad item stores nothing.
func (r *Repo) PutItems(ctx context.Context, items []Item, actor, remote, source string) error {
	for i := range items {
		if err := items[i].Validate(); err != nil {
			return fmt.Errorf("item %d (%s): %w", i+1, items[i].Code, err)
		}
	}
	now := r.Now()
	return r.SQL.Tx(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			if _, err := tx.ExecContext(ctx, r.SQL.Q(`INSERT INTO targets_item (kind, code, year, name, region_code, done, safe_area, strict_area, water_class, source, note, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, code, year) DO UPDATE SET name = excluded.name, region_code = excluded.region_code, done = excluded.done,
safe_area = excluded.safe_area, strict_area = excluded.strict_area, water_class = excluded.water_class, source = excluded.source,
note = excluded.note, updated = excluded.updated`), it.Kind, it.Code, it.Year, it.Name, it.RegionCode, it.Done, it.SafeArea, it.StrictArea,
				it.WaterClass, it.Source, it.Note, now.Unix()); err != nil {
				return err
			}
		}
		_, err := r.SQL.AppendAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: "targets.items_import", Object: "targets_item",
			Detail: fmt.Sprintf("%d items from %s", len(items), source), Remote: remote, Time: now})
		return err
	})
}

// Items lists a kind's items of a year, optionally of one city (its
// counties included), in code order.
func (r *Repo) Items(ctx context.Context, kind string, year int, city string) ([]Item, error) {
	q := `SELECT id, kind, code, year, name, region_code, done, safe_area, strict_area, water_class, source, note, updated FROM targets_item WHERE kind = ? AND year = ?`
	args := []any{kind, year}
	if city != "" && !strings.HasSuffix(city, "0000") {
		q += ` AND region_code LIKE ?`
		args = append(args, city[:4]+"%")
	}
	rows, err := r.SQL.R.QueryContext(ctx, r.SQL.Q(q+` ORDER BY code`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		var t int64
		if err := rows.Scan(&it.ID, &it.Kind, &it.Code, &it.Year, &it.Name, &it.RegionCode, &it.Done, &it.SafeArea, &it.StrictArea, &it.WaterClass, &it.Source, &it.Note, &t); err != nil {
			return nil, err
		}
		it.Updated = time.Unix(t, 0).In(store.CST)
		out = append(out, it)
	}
	return out, rows.Err()
}

// Report is a generated report.
type Report struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Period  string          `json:"period"`
	Created time.Time       `json:"created"`
	Actor   string          `json:"actor"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// SaveReport stores (or replaces) the report of a kind and period, with
// its audit entry.
func (r *Repo) SaveReport(ctx context.Context, kind, period string, body any, actor string) (Report, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Report{}, err
	}
	now := r.Now()
	rep := Report{Kind: kind, Period: period, Created: time.Unix(now.Unix(), 0).In(store.CST), Actor: actor, Body: b}
	err = r.SQL.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, r.SQL.Q(`INSERT INTO targets_report (kind, period, created, actor, body) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, period) DO UPDATE SET created = excluded.created, actor = excluded.actor, body = excluded.body RETURNING id`),
			kind, period, now.Unix(), actor, string(b)).Scan(&rep.ID); err != nil {
			return err
		}
		_, err := r.SQL.AppendAudit(ctx, tx, store.AuditEntry{Actor: actor, Action: "report.generate", Object: fmt.Sprintf("report:%s/%s", kind, period), Time: now})
		return err
	})
	return rep, err
}

// Reports lists the generated reports, newest period first, without
// bodies; kind "" lists all. limit ≤ 0 means 100.
func (r *Repo) Reports(ctx context.Context, kind string, limit, offset int) ([]Report, int, error) {
	if limit <= 0 {
		limit = 100
	}
	where, args := "", []any{}
	if kind != "" {
		where, args = " WHERE kind = ?", append(args, kind)
	}
	var total int
	if err := r.SQL.R.QueryRowContext(ctx, r.SQL.Q(`SELECT count(*) FROM targets_report`+where), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := r.SQL.R.QueryContext(ctx, r.SQL.Q(`SELECT id, kind, period, created, actor FROM targets_report`+where+` ORDER BY period DESC, kind LIMIT ? OFFSET ?`), append(args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		var rep Report
		var t int64
		if err := rows.Scan(&rep.ID, &rep.Kind, &rep.Period, &t, &rep.Actor); err != nil {
			return nil, 0, err
		}
		rep.Created = time.Unix(t, 0).In(store.CST)
		out = append(out, rep)
	}
	return out, total, rows.Err()
}

// Report returns one report with its body.
func (r *Repo) Report(ctx context.Context, id int64) (Report, error) {
	var rep Report
	var t int64
	var body string
	err := r.SQL.R.QueryRowContext(ctx, r.SQL.Q(`SELECT id, kind, period, created, actor, body FROM targets_report WHERE id = ?`), id).Scan(&rep.ID, &rep.Kind, &rep.Period, &t, &rep.Actor, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return rep, fmt.Errorf("report %d: %w", id, store.ErrNotFound)
	}
	rep.Created, rep.Body = time.Unix(t, 0).In(store.CST), json.RawMessage(body)
	return rep, err
}
