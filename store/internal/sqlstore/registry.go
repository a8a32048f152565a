package sqlstore

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

// reg implements store.Registry over a writer and a reader, which are the
// same transaction inside UpdateRegistry.
type reg struct {
	d    *Dialect
	w, r querier
}

func (db *DB) reg() reg { return reg{d: db.d, w: db.w, r: db.r} }

// UpdateRegistry implements store.Store.
func (db *DB) UpdateRegistry(ctx context.Context, fn func(store.Registry) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error { return fn(reg{d: db.d, w: tx, r: tx}) })
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (g reg) exists(ctx context.Context, table, col, val string) error {
	var one int
	err := g.r.QueryRowContext(ctx, g.d.Q("SELECT 1 FROM "+table+" WHERE "+col+" = ?"), val).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", table, val, store.ErrNotFound)
	}
	return err
}

func (g reg) UpsertRegion(ctx context.Context, r registry.Region) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.ParentCode != "" {
		if err := g.exists(ctx, "region", "code", r.ParentCode); err != nil {
			return fmt.Errorf("parent_code: %w", err)
		}
	}
	var outline any
	if len(r.Outline) > 0 {
		if !json.Valid(r.Outline) {
			return fmt.Errorf("%w: outline of %s is not JSON", store.ErrInvalid, r.Code)
		}
		outline = string(r.Outline)
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO region (code, name, level, parent_code, outline) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code,
outline = COALESCE(excluded.outline, region.outline)`), r.Code, r.Name, string(r.Level), nullStr(r.ParentCode), outline)
	return wrap("region", r.Code, err)
}

func wrap(what, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %q: %w", what, key, err)
}

func (g reg) UpsertDepartment(ctx context.Context, d registry.Department) error {
	if err := d.Validate(); err != nil {
		return err
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO department (code, name) VALUES (?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name`), d.Code, d.Name)
	return wrap("department", d.Code, err)
}

func joinKeyUnits(ks []registry.KeyUnit) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

func (g reg) UpsertEnterprise(ctx context.Context, e registry.Enterprise) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := g.exists(ctx, "region", "code", e.RegionCode); err != nil {
		return fmt.Errorf("region_code: %w", err)
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO enterprise (credit_code, name, region_code, industry_code, address, lon, lat,
key_units, permit_number, contact, contact_phone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, region_code = excluded.region_code,
industry_code = excluded.industry_code, address = excluded.address, lon = excluded.lon, lat = excluded.lat,
key_units = excluded.key_units, permit_number = excluded.permit_number, contact = excluded.contact,
contact_phone = excluded.contact_phone`),
		e.CreditCode, e.Name, e.RegionCode, e.IndustryCode, e.Address, e.Lon, e.Lat,
		joinKeyUnits(e.KeyUnits), e.PermitNumber, e.Contact, e.ContactPhone)
	return wrap("enterprise", e.CreditCode, err)
}

func (g reg) UpsertPoint(ctx context.Context, p registry.Point) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := g.exists(ctx, "region", "code", p.RegionCode); err != nil {
		return fmt.Errorf("region_code: %w", err)
	}
	if p.EnterpriseCode != "" {
		if err := g.exists(ctx, "enterprise", "credit_code", p.EnterpriseCode); err != nil {
			return fmt.Errorf("enterprise_code: %w", err)
		}
	}
	factors := p.Factors
	if factors == nil {
		factors = []registry.PointFactor{}
	}
	fj, err := json.Marshal(factors)
	if err != nil {
		return err
	}
	_, err = g.w.ExecContext(ctx, g.d.Q(`INSERT INTO point (code, name, kind, region_code, enterprise_code, lon, lat, level,
background, in_city_average, water_body, target_class, factors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, region_code = excluded.region_code,
enterprise_code = excluded.enterprise_code, lon = excluded.lon, lat = excluded.lat, level = excluded.level,
background = excluded.background, in_city_average = excluded.in_city_average, water_body = excluded.water_body,
target_class = excluded.target_class, factors = excluded.factors`),
		p.Code, p.Name, string(p.Kind), p.RegionCode, nullStr(p.EnterpriseCode), p.Lon, p.Lat, p.Level,
		p.Background, p.InCityAverage, p.WaterBody, p.TargetClass, string(fj))
	return wrap("point", p.Code, err)
}

func (g reg) UpsertDevice(ctx context.Context, d registry.Device) error {
	if err := d.Validate(); err != nil {
		return err
	}
	if d.PointCode != "" {
		if err := g.exists(ctx, "point", "code", d.PointCode); err != nil {
			return fmt.Errorf("point_code: %w", err)
		}
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO device (mn, password, protocol_version, quirks, point_code, state)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (mn) DO UPDATE SET password = excluded.password,
protocol_version = excluded.protocol_version, quirks = excluded.quirks, point_code = excluded.point_code, state = excluded.state`),
		d.MN, d.Password, d.ProtocolVersion, strings.Join(d.Quirks, ","), nullStr(d.PointCode), string(d.State))
	return wrap("device", d.MN, err)
}

func dateStr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(store.CST).Format(time.DateOnly)
}

func (g reg) UpsertLimit(ctx context.Context, l registry.Limit) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if err := g.exists(ctx, "point", "code", l.PointCode); err != nil {
		return fmt.Errorf("point_code: %w", err)
	}
	var o2 any
	if l.ReferenceO2 != nil {
		o2 = *l.ReferenceO2
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO emission_limit (point_code, factor, standard, valid_from, valid_to, value, reference_o2)
VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (point_code, factor, standard, valid_from) DO UPDATE SET
valid_to = excluded.valid_to, value = excluded.value, reference_o2 = excluded.reference_o2`),
		l.PointCode, l.Factor, l.Standard, dateStr(l.ValidFrom), dateStr(l.ValidTo), l.Value, o2)
	return wrap("limit", l.PointCode+"/"+l.Factor, err)
}

func (g reg) UpsertTarget(ctx context.Context, t registry.Target) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := g.exists(ctx, "region", "code", t.RegionCode); err != nil {
		return fmt.Errorf("region_code: %w", err)
	}
	_, err := g.w.ExecContext(ctx, g.d.Q(`INSERT INTO target (region_code, year, indicator, name, value, unit, comparison, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region_code, year, indicator) DO UPDATE SET name = excluded.name,
value = excluded.value, unit = excluded.unit, comparison = excluded.comparison, source = excluded.source`),
		t.RegionCode, t.Year, t.Indicator, t.Name, t.Value, t.Unit, string(t.Comparison), t.Source)
	return wrap("target", t.RegionCode+"/"+t.Indicator, err)
}

func notFound(what, key string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, key, store.ErrNotFound)
	}
	return wrap(what, key, err)
}

func (g reg) Region(ctx context.Context, code string) (registry.Region, error) {
	var r registry.Region
	var lv string
	var parent, outline sql.NullString
	err := g.r.QueryRowContext(ctx, g.d.Q("SELECT code, name, level, parent_code, outline FROM region WHERE code = ?"), code).
		Scan(&r.Code, &r.Name, &lv, &parent, &outline)
	r.Level, r.ParentCode = registry.RegionLevel(lv), parent.String
	if outline.Valid {
		r.Outline = []byte(outline.String)
	}
	return r, notFound("region", code, err)
}

func (g reg) Regions(ctx context.Context) ([]registry.Region, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT code, name, level, parent_code FROM region ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Region
	for rows.Next() {
		var r registry.Region
		var lv string
		var parent sql.NullString
		if err := rows.Scan(&r.Code, &r.Name, &lv, &parent); err != nil {
			return nil, err
		}
		r.Level, r.ParentCode = registry.RegionLevel(lv), parent.String
		out = append(out, r)
	}
	return out, rows.Err()
}

func (g reg) Departments(ctx context.Context) ([]registry.Department, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT code, name FROM department ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Department
	for rows.Next() {
		var d registry.Department
		if err := rows.Scan(&d.Code, &d.Name); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const enterpriseCols = "credit_code, name, region_code, industry_code, address, lon, lat, key_units, permit_number, contact, contact_phone"

func scanEnterprise(sc interface{ Scan(...any) error }) (registry.Enterprise, error) {
	var e registry.Enterprise
	var ku string
	err := sc.Scan(&e.CreditCode, &e.Name, &e.RegionCode, &e.IndustryCode, &e.Address, &e.Lon, &e.Lat, &ku, &e.PermitNumber, &e.Contact, &e.ContactPhone)
	if ku != "" {
		for _, k := range strings.Split(ku, ",") {
			e.KeyUnits = append(e.KeyUnits, registry.KeyUnit(k))
		}
	}
	return e, err
}

func (g reg) Enterprise(ctx context.Context, code string) (registry.Enterprise, error) {
	e, err := scanEnterprise(g.r.QueryRowContext(ctx, g.d.Q("SELECT "+enterpriseCols+" FROM enterprise WHERE credit_code = ?"), code))
	return e, notFound("enterprise", code, err)
}

func (g reg) Enterprises(ctx context.Context) ([]registry.Enterprise, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT "+enterpriseCols+" FROM enterprise ORDER BY credit_code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Enterprise
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const pointCols = "code, name, kind, region_code, enterprise_code, lon, lat, level, background, in_city_average, water_body, target_class, factors"

func scanPoint(sc interface{ Scan(...any) error }) (registry.Point, error) {
	var p registry.Point
	var kind, factors string
	var ent sql.NullString
	if err := sc.Scan(&p.Code, &p.Name, &kind, &p.RegionCode, &ent, &p.Lon, &p.Lat, &p.Level, &p.Background,
		&p.InCityAverage, &p.WaterBody, &p.TargetClass, &factors); err != nil {
		return p, err
	}
	p.Kind, p.EnterpriseCode = registry.PointKind(kind), ent.String
	if err := json.Unmarshal([]byte(factors), &p.Factors); err != nil {
		return p, fmt.Errorf("factors of point %s: %w", p.Code, err)
	}
	if len(p.Factors) == 0 {
		p.Factors = nil
	}
	return p, nil
}

func (g reg) Point(ctx context.Context, code string) (registry.Point, error) {
	p, err := scanPoint(g.r.QueryRowContext(ctx, g.d.Q("SELECT "+pointCols+" FROM point WHERE code = ?"), code))
	return p, notFound("point", code, err)
}

func (g reg) Points(ctx context.Context) ([]registry.Point, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT "+pointCols+" FROM point ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Point
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const deviceCols = "mn, password, protocol_version, quirks, point_code, state"

func scanDevice(sc interface{ Scan(...any) error }) (registry.Device, error) {
	var d registry.Device
	var quirks, state string
	var point sql.NullString
	err := sc.Scan(&d.MN, &d.Password, &d.ProtocolVersion, &quirks, &point, &state)
	d.PointCode, d.State = point.String, registry.DeviceState(state)
	if quirks != "" {
		d.Quirks = strings.Split(quirks, ",")
	}
	return d, err
}

func (g reg) DeviceByMN(ctx context.Context, mn string) (registry.Device, error) {
	d, err := scanDevice(g.r.QueryRowContext(ctx, g.d.Q("SELECT "+deviceCols+" FROM device WHERE mn = ?"), mn))
	return d, notFound("device", mn, err)
}

func (g reg) Devices(ctx context.Context, state registry.DeviceState) ([]registry.Device, error) {
	q, args := "SELECT "+deviceCols+" FROM device ORDER BY mn", []any(nil)
	if state != "" {
		q, args = g.d.Q("SELECT "+deviceCols+" FROM device WHERE state = ? ORDER BY mn"), []any{string(state)}
	}
	rows, err := g.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (g reg) Limits(ctx context.Context, point string) ([]registry.Limit, error) {
	q, args := "SELECT point_code, factor, standard, valid_from, valid_to, value, reference_o2 FROM emission_limit", []any(nil)
	if point != "" {
		q, args = q+g.d.Q(" WHERE point_code = ?"), []any{point}
	}
	rows, err := g.r.QueryContext(ctx, q+" ORDER BY point_code, factor, valid_from", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Limit
	for rows.Next() {
		var l registry.Limit
		var from, to string
		var o2 sql.NullFloat64
		if err := rows.Scan(&l.PointCode, &l.Factor, &l.Standard, &from, &to, &l.Value, &o2); err != nil {
			return nil, err
		}
		if l.ValidFrom, err = time.ParseInLocation(time.DateOnly, from, store.CST); err != nil {
			return nil, err
		}
		if to != "" {
			if l.ValidTo, err = time.ParseInLocation(time.DateOnly, to, store.CST); err != nil {
				return nil, err
			}
		}
		if o2.Valid {
			l.ReferenceO2 = &o2.Float64
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func (g reg) Targets(ctx context.Context) ([]registry.Target, error) {
	rows, err := g.r.QueryContext(ctx, "SELECT region_code, year, indicator, name, value, unit, comparison, source FROM target ORDER BY region_code, year, indicator")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.Target
	for rows.Next() {
		var t registry.Target
		var c string
		if err := rows.Scan(&t.RegionCode, &t.Year, &t.Indicator, &t.Name, &t.Value, &t.Unit, &c, &t.Source); err != nil {
			return nil, err
		}
		t.Comparison = registry.Comparison(c)
		out = append(out, t)
	}
	return out, rows.Err()
}

// The registry methods of DB go to the writer for writes and the reader
// pool for reads.

// UpsertRegion implements store.Registry.
func (db *DB) UpsertRegion(ctx context.Context, r registry.Region) error {
	return db.reg().UpsertRegion(ctx, r)
}

// UpsertDepartment implements store.Registry.
func (db *DB) UpsertDepartment(ctx context.Context, d registry.Department) error {
	return db.reg().UpsertDepartment(ctx, d)
}

// UpsertEnterprise implements store.Registry.
func (db *DB) UpsertEnterprise(ctx context.Context, e registry.Enterprise) error {
	return db.reg().UpsertEnterprise(ctx, e)
}

// UpsertPoint implements store.Registry.
func (db *DB) UpsertPoint(ctx context.Context, p registry.Point) error {
	return db.reg().UpsertPoint(ctx, p)
}

// UpsertDevice implements store.Registry.
func (db *DB) UpsertDevice(ctx context.Context, d registry.Device) error {
	return db.reg().UpsertDevice(ctx, d)
}

// UpsertLimit implements store.Registry.
func (db *DB) UpsertLimit(ctx context.Context, l registry.Limit) error {
	return db.reg().UpsertLimit(ctx, l)
}

// UpsertTarget implements store.Registry.
func (db *DB) UpsertTarget(ctx context.Context, t registry.Target) error {
	return db.reg().UpsertTarget(ctx, t)
}

// Region implements store.Registry.
func (db *DB) Region(ctx context.Context, code string) (registry.Region, error) {
	return db.reg().Region(ctx, code)
}

// Enterprise implements store.Registry.
func (db *DB) Enterprise(ctx context.Context, code string) (registry.Enterprise, error) {
	return db.reg().Enterprise(ctx, code)
}

// Point implements store.Registry.
func (db *DB) Point(ctx context.Context, code string) (registry.Point, error) {
	return db.reg().Point(ctx, code)
}

// DeviceByMN implements store.Registry.
func (db *DB) DeviceByMN(ctx context.Context, mn string) (registry.Device, error) {
	return db.reg().DeviceByMN(ctx, mn)
}

// Regions implements store.Registry.
func (db *DB) Regions(ctx context.Context) ([]registry.Region, error) { return db.reg().Regions(ctx) }

// Departments implements store.Registry.
func (db *DB) Departments(ctx context.Context) ([]registry.Department, error) {
	return db.reg().Departments(ctx)
}

// Enterprises implements store.Registry.
func (db *DB) Enterprises(ctx context.Context) ([]registry.Enterprise, error) {
	return db.reg().Enterprises(ctx)
}

// Points implements store.Registry.
func (db *DB) Points(ctx context.Context) ([]registry.Point, error) { return db.reg().Points(ctx) }

// Devices implements store.Registry.
func (db *DB) Devices(ctx context.Context, state registry.DeviceState) ([]registry.Device, error) {
	return db.reg().Devices(ctx, state)
}

// Limits implements store.Registry.
func (db *DB) Limits(ctx context.Context, point string) ([]registry.Limit, error) {
	return db.reg().Limits(ctx, point)
}

// Targets implements store.Registry.
func (db *DB) Targets(ctx context.Context) ([]registry.Target, error) { return db.reg().Targets(ctx) }
