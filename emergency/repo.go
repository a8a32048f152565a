package emergency

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

// Repo keeps the emergency records in the store's SQL database (tables
// em_*, migrations 0610). Every change is committed with its audit entry.
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

func (r *Repo) audit(ctx context.Context, tx *sql.Tx, a Actor, now time.Time, action, object string, detail any) error {
	b, _ := json.Marshal(detail)
	_, err := r.DB.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: a.Name, Action: action, Object: object, Detail: string(b), Remote: a.Remote})
	return err
}

func obj(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

func cst(unix int64) time.Time {
	if unix == 0 {
		return time.Time{}
	}
	return time.Unix(unix, 0).In(store.CST)
}

func notFound(what string, id int64) error {
	return fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
}

func checkPlace(name, region string, lon, lat float64) error {
	if strings.TrimSpace(name) == "" || len(name) > 200 {
		return invalid("name: want 1 to 200 characters")
	}
	if _, err := registry.LevelOf(region); err != nil {
		return invalid("region_code %q: want a GB/T 2260 code", region)
	}
	// Hunan and its neighbours; a point outside China is a typo (often
	// longitude and latitude swapped).
	if lon < 73 || lon > 136 || lat < 3 || lat > 54 {
		return invalid("lon/lat %v, %v: outside China (longitude 73–136, latitude 3–54; swapped?)", lon, lat)
	}
	return nil
}

// ---- risk sources ----

// RiskSource is an environmental risk source.
type RiskSource struct {
	ID             int64       `json:"id"`
	Kind           Kind        `json:"kind"`
	Name           string      `json:"name"`
	RegionCode     string      `json:"region_code"`
	EnterpriseCode string      `json:"enterprise_code"`
	Address        string      `json:"address"`
	Lon            float64     `json:"lon"`
	Lat            float64     `json:"lat"`
	Substances     []Substance `json:"substances"`
	Q              *float64    `json:"q"` // HJ 941-2018 Q, when every substance has a critical quantity
	AssessedLevel  Level       `json:"assessed_level"`
	Level          Level       `json:"level"`
	LevelBasis     string      `json:"level_basis"`
	Responsible    string      `json:"responsible"`
	Phone          string      `json:"phone"`
	PlanID         int64       `json:"plan_id"`
	Simulated      bool        `json:"simulated"`
	Updated        time.Time   `json:"updated"`
}

// LevelChange is one entry of a source's level history.
type LevelChange struct {
	Time   time.Time  `json:"time"`
	From   Level      `json:"from"`
	To     Level      `json:"to"`
	Kind   ReasonKind `json:"reason_kind"`
	Reason string     `json:"reason"`
	Actor  string     `json:"actor"`
}

// AddSource registers a risk source at its assessed level.
func (r *Repo) AddSource(ctx context.Context, s RiskSource, a Actor) (RiskSource, error) {
	if _, err := ParseKind(string(s.Kind)); err != nil {
		return s, err
	}
	if err := checkPlace(s.Name, s.RegionCode, s.Lon, s.Lat); err != nil {
		return s, err
	}
	if s.AssessedLevel == "" {
		s.AssessedLevel = s.Level
	}
	if err := CheckLevel(s.AssessedLevel, s.LevelBasis, s.Substances); err != nil {
		return s, err
	}
	if s.Substances == nil {
		s.Substances = []Substance{}
	}
	s.Level = s.AssessedLevel
	sub, _ := json.Marshal(s.Substances)
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		s.Updated = now.In(store.CST)
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_risk_source (kind, name, region_code, enterprise_code, address, lon, lat, substances,
assessed_level, level, level_basis, responsible, phone, plan_id, simulated, created, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), s.Kind, s.Name, s.RegionCode, s.EnterpriseCode, s.Address, s.Lon, s.Lat, string(sub),
			s.AssessedLevel, s.Level, s.LevelBasis, s.Responsible, s.Phone, s.PlanID, s.Simulated, now.Unix(), now.Unix()).Scan(&s.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_level_change (source_id, t, from_level, to_level, reason_kind, reason, actor) VALUES (?, ?, '', ?, ?, ?, ?)`),
			s.ID, now.Unix(), s.Level, ReasonRegistered, s.LevelBasis, a.Name); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "risk-source.add", obj("risk-source", s.ID), map[string]any{"kind": s.Kind, "name": s.Name, "level": s.Level})
	})
	if q, ok := QRatio(s.Substances); ok {
		s.Q = &q
	}
	return s, err
}

const sourceCols = `id, kind, name, region_code, enterprise_code, address, lon, lat, substances, assessed_level, level, level_basis, responsible, phone, plan_id, simulated, updated`

func scanSource(sc interface{ Scan(...any) error }) (RiskSource, error) {
	var s RiskSource
	var sub string
	var upd int64
	if err := sc.Scan(&s.ID, &s.Kind, &s.Name, &s.RegionCode, &s.EnterpriseCode, &s.Address, &s.Lon, &s.Lat, &sub, &s.AssessedLevel, &s.Level, &s.LevelBasis,
		&s.Responsible, &s.Phone, &s.PlanID, &s.Simulated, &upd); err != nil {
		return s, err
	}
	s.Updated = cst(upd)
	if err := json.Unmarshal([]byte(sub), &s.Substances); err != nil {
		return s, fmt.Errorf("risk source %d substances: %w", s.ID, err)
	}
	if q, ok := QRatio(s.Substances); ok {
		s.Q = &q
	}
	return s, nil
}

// SourceFilter narrows Sources; zero fields match all.
type SourceFilter struct {
	RegionPrefix string
	Kind         Kind
	Level        Level
}

// Sources lists risk sources, highest level first.
func (r *Repo) Sources(ctx context.Context, f SourceFilter) ([]RiskSource, error) {
	q := `SELECT ` + sourceCols + ` FROM em_risk_source WHERE region_code LIKE ?`
	args := []any{f.RegionPrefix + "%"}
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Level != "" {
		q += ` AND level = ?`
		args = append(args, f.Level)
	}
	q += ` ORDER BY CASE level WHEN 'major' THEN 0 WHEN 'larger' THEN 1 ELSE 2 END, id`
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []RiskSource{}
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Source returns one risk source.
func (r *Repo) Source(ctx context.Context, id int64) (RiskSource, error) {
	s, err := scanSource(r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT `+sourceCols+` FROM em_risk_source WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("risk source", id)
	}
	return s, err
}

// LevelHistory lists a source's level changes, oldest first.
func (r *Repo) LevelHistory(ctx context.Context, id int64) ([]LevelChange, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT t, from_level, to_level, reason_kind, reason, actor FROM em_level_change WHERE source_id = ? ORDER BY t, id`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LevelChange{}
	for rows.Next() {
		var c LevelChange
		var t int64
		if err := rows.Scan(&t, &c.From, &c.To, &c.Kind, &c.Reason, &c.Actor); err != nil {
			return nil, err
		}
		c.Time = cst(t)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Reassess sets a source's assessed level (a new risk assessment) and
// tracks it again.
func (r *Repo) Reassess(ctx context.Context, id int64, level Level, basis string, a Actor) (RiskSource, error) {
	if err := CheckLevel(level, basis, nil); err != nil {
		return RiskSource{}, err
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		res, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_risk_source SET assessed_level = ?, level_basis = ?, updated = ? WHERE id = ?`), level, basis, now.Unix(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("risk source", id)
		}
		if err := r.track(ctx, tx, id, now, ReasonManual, basis, a); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "risk-source.reassess", obj("risk-source", id), map[string]any{"assessed_level": level, "basis": basis})
	})
	if err != nil {
		return RiskSource{}, err
	}
	return r.Source(ctx, id)
}

// track recomputes a source's level from its assessed level, its open
// critical hazards and its incidents of the last year, and records a
// history entry when the level changes (or when kind is manual).
func (r *Repo) track(ctx context.Context, tx *sql.Tx, id int64, now time.Time, kind ReasonKind, reason string, a Actor) error {
	var assessed, cur Level
	if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT assessed_level, level FROM em_risk_source WHERE id = ?`), id).Scan(&assessed, &cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("risk source", id)
		}
		return err
	}
	var crit, inc int
	if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_hazard WHERE source_id = ? AND critical = ? AND resolved = 0`), id, true).Scan(&crit); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT COUNT(*) FROM em_incident WHERE source_id = ? AND occurred >= ?`), id, now.AddDate(-1, 0, 0).Unix()).Scan(&inc); err != nil {
		return err
	}
	next, why := Track(assessed, crit, inc)
	if next == cur && kind != ReasonManual {
		return nil
	}
	if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_risk_source SET level = ?, updated = ? WHERE id = ?`), next, now.Unix(), id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_level_change (source_id, t, from_level, to_level, reason_kind, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		id, now.Unix(), cur, next, kind, reason+"（"+why+"）", a.Name)
	return err
}

// ---- sensitive receptors ----

// ReceptorKinds are the kinds of sensitive receptor (环境敏感目标).
var ReceptorKinds = []string{"drinking_source", "school", "hospital", "residential", "river", "nature_reserve"}

// Receptor is a sensitive receptor near which a spill matters.
type Receptor struct {
	ID         int64   `json:"id"`
	Kind       string  `json:"kind"`
	Name       string  `json:"name"`
	RegionCode string  `json:"region_code"`
	Lon        float64 `json:"lon"`
	Lat        float64 `json:"lat"`
	Note       string  `json:"note"`
	Simulated  bool    `json:"simulated"`
}

// AddReceptor registers a sensitive receptor.
func (r *Repo) AddReceptor(ctx context.Context, x Receptor, a Actor) (Receptor, error) {
	if !contains(ReceptorKinds, x.Kind) {
		return x, invalid("kind %q: want one of %s", x.Kind, strings.Join(ReceptorKinds, ", "))
	}
	if err := checkPlace(x.Name, x.RegionCode, x.Lon, x.Lat); err != nil {
		return x, err
	}
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_receptor (kind, name, region_code, lon, lat, note, simulated) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			x.Kind, x.Name, x.RegionCode, x.Lon, x.Lat, x.Note, x.Simulated).Scan(&x.ID); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "receptor.add", obj("receptor", x.ID), map[string]any{"kind": x.Kind, "name": x.Name})
	})
	return x, err
}

// Receptors lists the receptors of a region (by code prefix).
func (r *Repo) Receptors(ctx context.Context, regionPrefix string) ([]Receptor, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT id, kind, name, region_code, lon, lat, note, simulated FROM em_receptor WHERE region_code LIKE ? ORDER BY id`), regionPrefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Receptor{}
	for rows.Next() {
		var x Receptor
		if err := rows.Scan(&x.ID, &x.Kind, &x.Name, &x.RegionCode, &x.Lon, &x.Lat, &x.Note, &x.Simulated); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ---- resources: experts, material stores, response teams ----

// ResourceKinds are the kinds of emergency resource.
var ResourceKinds = []string{"expert", "store", "team"}

// StockItem is an emergency material in a store.
type StockItem struct {
	Kind     string  `json:"kind"` // e.g. 围油栏, 吸附棉, 活性炭, 石灰
	Quantity float64 `json:"quantity"`
	Unit     string  `json:"unit"`
}

// Resource is an expert of the pool (专家库), an emergency material store
// (应急物资储备库) or a response team (应急队伍).
type Resource struct {
	ID         int64       `json:"id"`
	Kind       string      `json:"kind"`
	Name       string      `json:"name"`
	RegionCode string      `json:"region_code"`
	Lon        float64     `json:"lon"`
	Lat        float64     `json:"lat"`
	Contact    string      `json:"contact"`
	Phone      string      `json:"phone"`
	Org        string      `json:"org"`
	Fields     []string    `json:"fields"` // an expert's fields, a team's specialties
	Stock      []StockItem `json:"stock"`  // a store's stock by kind
	Members    int         `json:"members"`
	Simulated  bool        `json:"simulated"`
}

// AddResource registers an expert, store or team.
func (r *Repo) AddResource(ctx context.Context, x Resource, a Actor) (Resource, error) {
	if !contains(ResourceKinds, x.Kind) {
		return x, invalid("kind %q: want expert, store or team", x.Kind)
	}
	if err := checkPlace(x.Name, x.RegionCode, x.Lon, x.Lat); err != nil {
		return x, err
	}
	if x.Members < 0 || len(x.Fields) > 50 || len(x.Stock) > 200 {
		return x, invalid("members, fields or stock out of range")
	}
	for _, s := range x.Stock {
		if strings.TrimSpace(s.Kind) == "" || s.Quantity < 0 {
			return x, invalid("stock: each item needs a kind and a non-negative quantity")
		}
	}
	if x.Fields == nil {
		x.Fields = []string{}
	}
	if x.Stock == nil {
		x.Stock = []StockItem{}
	}
	fields, _ := json.Marshal(x.Fields)
	stock, _ := json.Marshal(x.Stock)
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_resource (kind, name, region_code, lon, lat, contact, phone, org, fields, stock, members, simulated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), x.Kind, x.Name, x.RegionCode, x.Lon, x.Lat, x.Contact, x.Phone, x.Org, string(fields), string(stock), x.Members, x.Simulated).Scan(&x.ID); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, x.Kind+".add", obj(x.Kind, x.ID), map[string]any{"name": x.Name})
	})
	return x, err
}

// Resources lists resources of a kind ("" all) in a region prefix.
func (r *Repo) Resources(ctx context.Context, kind, regionPrefix string) ([]Resource, error) {
	q := `SELECT id, kind, name, region_code, lon, lat, contact, phone, org, fields, stock, members, simulated FROM em_resource WHERE region_code LIKE ?`
	args := []any{regionPrefix + "%"}
	if kind != "" {
		q += ` AND kind = ?`
		args = append(args, kind)
	}
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Resource{}
	for rows.Next() {
		var x Resource
		var fields, stock string
		if err := rows.Scan(&x.ID, &x.Kind, &x.Name, &x.RegionCode, &x.Lon, &x.Lat, &x.Contact, &x.Phone, &x.Org, &fields, &stock, &x.Members, &x.Simulated); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(fields), &x.Fields); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(stock), &x.Stock); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ---- hazard-check campaigns ----

// Campaign is a hazard-check campaign (隐患排查) over kinds of source in a
// region; every matching source is assigned a check when it is created.
type Campaign struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Kinds      []Kind    `json:"kinds"`
	RegionCode string    `json:"region_code"`
	Start      time.Time `json:"start"`
	Due        time.Time `json:"due"`
	CreatedBy  string    `json:"created_by"`
	Checks     int       `json:"checks"`
	Checked    int       `json:"checked"`
	Hazards    int       `json:"hazards"`
}

// Check is one source's check in a campaign.
type Check struct {
	ID         int64     `json:"id"`
	CampaignID int64     `json:"campaign_id"`
	SourceID   int64     `json:"source_id"`
	SourceName string    `json:"source_name"`
	Kind       Kind      `json:"kind"`
	RegionCode string    `json:"region_code"`
	Inspector  string    `json:"inspector"`
	State      string    `json:"state"` // assigned, checked
	Checked    time.Time `json:"checked,omitzero"`
	Results    []Result  `json:"results"`
	Hazards    int       `json:"hazards"`
}

// HazardRow is a stored hazard.
type HazardRow struct {
	ID       int64     `json:"id"`
	CheckID  int64     `json:"check_id"`
	SourceID int64     `json:"source_id"`
	Item     string    `json:"item"`
	Critical bool      `json:"critical"`
	Note     string    `json:"note"`
	CaseID   int64     `json:"case_id"`
	Found    time.Time `json:"found"`
	Resolved time.Time `json:"resolved,omitzero"`
}

// CreateCampaign starts a campaign and assigns a check to every source of
// its kinds in its region.
func (r *Repo) CreateCampaign(ctx context.Context, c Campaign, a Actor) (Campaign, error) {
	if strings.TrimSpace(c.Name) == "" {
		return c, invalid("name: empty")
	}
	if len(c.Kinds) == 0 {
		c.Kinds = Kinds
	}
	for _, k := range c.Kinds {
		if _, err := ParseKind(string(k)); err != nil {
			return c, err
		}
	}
	if _, err := registry.LevelOf(c.RegionCode); err != nil {
		return c, invalid("region_code %q: want a GB/T 2260 code", c.RegionCode)
	}
	if c.Start.IsZero() || !c.Due.After(c.Start) {
		return c, invalid("due: must be after start")
	}
	prefix := RegionPrefix(c.RegionCode)
	kinds, _ := json.Marshal(c.Kinds)
	c.CreatedBy = a.Name
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_campaign (name, kinds, region_code, start_at, due_at, created, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.Name, string(kinds), c.RegionCode, c.Start.Unix(), c.Due.Unix(), now.Unix(), a.Name).Scan(&c.ID); err != nil {
			return err
		}
		for _, k := range c.Kinds {
			res, err := tx.ExecContext(ctx, r.DB.Q(`INSERT INTO em_check (campaign_id, source_id, state)
SELECT ?, id, 'assigned' FROM em_risk_source WHERE kind = ? AND region_code LIKE ?`), c.ID, k, prefix+"%")
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			c.Checks += int(n)
		}
		return r.audit(ctx, tx, a, now, "campaign.create", obj("campaign", c.ID), map[string]any{"name": c.Name, "region": c.RegionCode, "checks": c.Checks})
	})
	return c, err
}

// RegionPrefix is the code prefix of a region: "43" for a province,
// "4301" for a city, the code for a county.
func RegionPrefix(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// Campaigns lists every campaign with its progress counts. Campaigns are
// not secret: a city sees the province's campaign, and Checks scopes the
// sources.
func (r *Repo) Campaigns(ctx context.Context) ([]Campaign, error) {
	rows, err := r.DB.R.QueryContext(ctx, `SELECT c.id, c.name, c.kinds, c.region_code, c.start_at, c.due_at, c.created_by,
(SELECT COUNT(*) FROM em_check k WHERE k.campaign_id = c.id),
(SELECT COUNT(*) FROM em_check k WHERE k.campaign_id = c.id AND k.state = 'checked'),
(SELECT COUNT(*) FROM em_hazard h JOIN em_check k ON k.id = h.check_id WHERE k.campaign_id = c.id)
FROM em_campaign c ORDER BY c.id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Campaign{}
	for rows.Next() {
		var c Campaign
		var kinds string
		var start, due int64
		if err := rows.Scan(&c.ID, &c.Name, &kinds, &c.RegionCode, &start, &due, &c.CreatedBy, &c.Checks, &c.Checked, &c.Hazards); err != nil {
			return nil, err
		}
		c.Start, c.Due = cst(start), cst(due)
		if err := json.Unmarshal([]byte(kinds), &c.Kinds); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Campaign returns one campaign.
func (r *Repo) Campaign(ctx context.Context, id int64) (Campaign, error) {
	cs, err := r.Campaigns(ctx)
	if err != nil {
		return Campaign{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return Campaign{}, notFound("campaign", id)
}

// Checks lists a campaign's checks in a region prefix.
func (r *Repo) Checks(ctx context.Context, campaignID int64, regionPrefix string) ([]Check, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT k.id, k.campaign_id, k.source_id, s.name, s.kind, s.region_code, k.inspector, k.state, k.checked, k.results, k.hazards
FROM em_check k JOIN em_risk_source s ON s.id = k.source_id WHERE k.campaign_id = ? AND s.region_code LIKE ? ORDER BY k.id`), campaignID, regionPrefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Check{}
	for rows.Next() {
		var c Check
		var checked int64
		var results string
		if err := rows.Scan(&c.ID, &c.CampaignID, &c.SourceID, &c.SourceName, &c.Kind, &c.RegionCode, &c.Inspector, &c.State, &checked, &results, &c.Hazards); err != nil {
			return nil, err
		}
		c.Checked = cst(checked)
		if err := json.Unmarshal([]byte(results), &c.Results); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RecordCheck stores a source's check results in a campaign, the hazards
// they show, and tracks the source's level. It returns the new hazards;
// the caller opens a rectification case for each and records it with
// SetHazardCase.
func (r *Repo) RecordCheck(ctx context.Context, campaignID, sourceID int64, inspector string, results []Result, a Actor) ([]HazardRow, error) {
	src, err := r.Source(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	hs, err := Evaluate(src.Kind, results)
	if err != nil {
		return nil, err
	}
	res, _ := json.Marshal(results)
	var out []HazardRow
	err = r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		var checkID int64
		var state string
		err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT id, state FROM em_check WHERE campaign_id = ? AND source_id = ?`), campaignID, sourceID).Scan(&checkID, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: risk source %d is not assigned in campaign %d", store.ErrNotFound, sourceID, campaignID)
		}
		if err != nil {
			return err
		}
		if state == "checked" {
			return fmt.Errorf("%w: risk source %d was already checked in campaign %d", store.ErrConflict, sourceID, campaignID)
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_check SET inspector = ?, state = 'checked', checked = ?, results = ?, hazards = ? WHERE id = ?`),
			inspector, now.Unix(), string(res), len(hs), checkID); err != nil {
			return err
		}
		for _, h := range hs {
			row := HazardRow{CheckID: checkID, SourceID: sourceID, Item: h.Item.Text, Critical: h.Critical, Note: h.Note, Found: now.In(store.CST)}
			if err := tx.QueryRowContext(ctx, r.DB.Q(`INSERT INTO em_hazard (check_id, source_id, item, critical, note, found) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
				checkID, sourceID, row.Item, row.Critical, row.Note, now.Unix()).Scan(&row.ID); err != nil {
				return err
			}
			out = append(out, row)
		}
		if err := r.track(ctx, tx, sourceID, now, ReasonFinding, fmt.Sprintf("排查活动 %d 发现隐患 %d 项", campaignID, len(hs)), a); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "check.record", obj("check", checkID), map[string]any{"campaign": campaignID, "source": sourceID, "hazards": len(hs)})
	})
	return out, err
}

// SetHazardCase records the rectification case opened for a hazard.
func (r *Repo) SetHazardCase(ctx context.Context, hazardID, caseID int64, a Actor) error {
	return r.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_hazard SET case_id = ? WHERE id = ?`), caseID, hazardID); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, r.Now(), "hazard.case", obj("hazard", hazardID), map[string]any{"case": caseID})
	})
}

// ResolveHazard marks a hazard rectified and tracks its source's level.
func (r *Repo) ResolveHazard(ctx context.Context, hazardID int64, a Actor) (HazardRow, error) {
	var h HazardRow
	err := r.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := r.Now()
		var resolved int64
		err := tx.QueryRowContext(ctx, r.DB.Q(`SELECT source_id, resolved FROM em_hazard WHERE id = ?`), hazardID).Scan(&h.SourceID, &resolved)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("hazard", hazardID)
		}
		if err != nil {
			return err
		}
		if resolved != 0 {
			return fmt.Errorf("%w: hazard %d is already resolved", store.ErrConflict, hazardID)
		}
		if _, err := tx.ExecContext(ctx, r.DB.Q(`UPDATE em_hazard SET resolved = ? WHERE id = ?`), now.Unix(), hazardID); err != nil {
			return err
		}
		if err := r.track(ctx, tx, h.SourceID, now, ReasonFinding, fmt.Sprintf("隐患 %d 已整改", hazardID), a); err != nil {
			return err
		}
		return r.audit(ctx, tx, a, now, "hazard.resolve", obj("hazard", hazardID), nil)
	})
	if err != nil {
		return h, err
	}
	return r.Hazard(ctx, hazardID)
}

// Hazards lists a source's hazards, newest first.
func (r *Repo) Hazards(ctx context.Context, sourceID int64) ([]HazardRow, error) {
	rows, err := r.DB.R.QueryContext(ctx, r.DB.Q(`SELECT id, check_id, source_id, item, critical, note, case_id, found, resolved FROM em_hazard WHERE source_id = ? ORDER BY id DESC`), sourceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HazardRow{}
	for rows.Next() {
		var h HazardRow
		var found, resolved int64
		if err := rows.Scan(&h.ID, &h.CheckID, &h.SourceID, &h.Item, &h.Critical, &h.Note, &h.CaseID, &found, &resolved); err != nil {
			return nil, err
		}
		h.Found, h.Resolved = cst(found), cst(resolved)
		out = append(out, h)
	}
	return out, rows.Err()
}

// Hazard returns one hazard.
func (r *Repo) Hazard(ctx context.Context, id int64) (HazardRow, error) {
	var h HazardRow
	var found, resolved int64
	err := r.DB.R.QueryRowContext(ctx, r.DB.Q(`SELECT id, check_id, source_id, item, critical, note, case_id, found, resolved FROM em_hazard WHERE id = ?`), id).
		Scan(&h.ID, &h.CheckID, &h.SourceID, &h.Item, &h.Critical, &h.Note, &h.CaseID, &found, &resolved)
	if errors.Is(err, sql.ErrNoRows) {
		return h, notFound("hazard", id)
	}
	h.Found, h.Resolved = cst(found), cst(resolved)
	return h, err
}
