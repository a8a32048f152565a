// Package importer loads registry records from CSV and XLSX files:
// enterprises, monitoring points, devices, emission limits and air
// stations. Every bad row is reported with its file, row, column and
// reason; records are upserted by their natural keys (credit code, point
// code, MN, and point + factor + standard + valid_from for limits), so
// importing a file twice changes nothing; and a file with errors imports
// nothing unless bad rows are to be skipped.
//
// A table's kind comes from its header (English column names as in the
// registry, or their Chinese equivalents). In an XLSX workbook every
// sheet is a table; sheets are applied in dependency order (enterprises,
// stations, points, devices, limits), so one workbook can hold a whole
// registry.
//
// Example:
//
//	tables, err := importer.ReadFile("enterprises.xlsx")
//	res, err := importer.Import(ctx, st, tables, importer.Options{DryRun: true})
//	for _, e := range res.Bad {
//		fmt.Println(e) // enterprises.xlsx:Sheet1:7: credit_code: "9135…": check character is '4', want '3' (GB 32100-2015 5.2)
//	}
package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"ecowatch/registry"
	"ecowatch/seed"
	"ecowatch/store"
)

// Kind is the kind of records a table holds.
type Kind string

// Table kinds, in the order they are applied.
const (
	Enterprises Kind = "enterprises"
	Stations    Kind = "stations"
	Points      Kind = "points"
	Devices     Kind = "devices"
	Limits      Kind = "limits"
)

var kindOrder = []Kind{Enterprises, Stations, Points, Devices, Limits}

// columns lists each kind's columns; the first ones up to required[kind]
// must be present.
var columns = map[Kind][]string{
	Enterprises: {"credit_code", "name", "region_code", "industry_code", "address", "longitude", "latitude", "key_units", "permit_number", "contact", "contact_phone"},
	Stations:    {"station_code", "station_name", "city_name", "city_adcode", "longitude", "latitude", "background"},
	Points:      {"point_code", "name", "kind", "region_code", "enterprise_code", "longitude", "latitude", "level", "background", "in_city_average", "water_body", "target_class", "factors"},
	Devices:     {"mn", "protocol_version", "state", "password", "quirks", "point_code"},
	Limits:      {"point_code", "factor", "limit", "standard", "valid_from", "valid_to", "reference_o2"},
}

var required = map[Kind]int{Enterprises: 3, Stations: 7, Points: 4, Devices: 3, Limits: 5}

// aliases maps Chinese column headings to column names.
var aliases = map[string]string{
	"统一社会信用代码": "credit_code", "单位名称": "name", "企业名称": "name", "名称": "name", "行政区划代码": "region_code",
	"行业代码": "industry_code", "地址": "address", "经度": "longitude", "纬度": "latitude", "重点排污单位类别": "key_units",
	"排污许可证编号": "permit_number", "联系人": "contact", "联系电话": "contact_phone", "点位编码": "point_code",
	"点位类型": "kind", "所属企业": "enterprise_code", "级别": "level", "对照点": "background", "参与城市均值": "in_city_average",
	"水体类型": "water_body", "目标水质类别": "target_class", "监测因子": "factors", "MN": "mn", "设备编号": "mn",
	"访问密码": "password", "协议版本": "protocol_version", "容错": "quirks", "状态": "state", "因子": "factor",
	"限值": "limit", "基准氧含量": "reference_o2", "标准": "standard", "生效日期": "valid_from", "失效日期": "valid_to",
}

// RowError is one bad row (or header, row 1).
type RowError struct {
	File   string
	Sheet  string // XLSX only
	Row    int    // 1-based, as a spreadsheet numbers it; the header is row 1
	Column string // empty when the row as a whole is wrong
	Reason string
}

func (e RowError) Error() string {
	loc := e.File
	if e.Sheet != "" {
		loc += ":" + e.Sheet
	}
	loc += ":" + strconv.Itoa(e.Row)
	if e.Column != "" {
		return loc + ": " + e.Column + ": " + e.Reason
	}
	return loc + ": " + e.Reason
}

// Table is one CSV file or XLSX sheet.
type Table struct {
	File, Sheet string
	Kind        Kind
	Header      []string // column names after aliasing
	Rows        [][]string
	headerErr   []RowError
}

// ReadFile reads a .csv or .xlsx file.
func ReadFile(path string) ([]Table, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Read(filepath.Base(path), b)
}

// Read reads a file's content; name's extension says its format.
func Read(name string, b []byte) ([]Table, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		if !utf8.Valid(b) {
			// Spreadsheets in China often save CSV as GBK; refuse rather
			// than store mojibake (PostgreSQL would refuse it anyway).
			line := 1 + bytes.Count(b[:invalidAt(b)], []byte("\n"))
			return nil, fmt.Errorf("%s:%d: not UTF-8 (saved as GBK?); save the file as CSV UTF-8", name, line)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
		r.FieldsPerRecord = -1 // ragged rows are reported per row, not as a failed file
		recs, err := r.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return []Table{newTable(name, "", recs)}, nil
	case ".xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer f.Close()
		var out []Table
		for _, sh := range f.GetSheetList() {
			rows, err := f.GetRows(sh)
			if err != nil {
				return nil, fmt.Errorf("%s:%s: %w", name, sh, err)
			}
			if len(rows) == 0 {
				continue
			}
			out = append(out, newTable(name, sh, rows))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unknown format (want .csv or .xlsx)", name)
}

// invalidAt returns the offset of the first byte that is not valid UTF-8.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func newTable(file, sheet string, recs [][]string) Table {
	t := Table{File: file, Sheet: sheet}
	if len(recs) == 0 {
		t.headerErr = append(t.headerErr, RowError{File: file, Sheet: sheet, Row: 1, Reason: "empty table, want a header row"})
		return t
	}
	for _, h := range recs[0] {
		h = strings.TrimSpace(h)
		if a, ok := aliases[h]; ok {
			h = a
		}
		t.Header = append(t.Header, strings.ToLower(h))
	}
	t.Rows = recs[1:]
	t.Kind = detect(t.Header)
	return t
}

func detect(h []string) Kind {
	has := map[string]bool{}
	for _, c := range h {
		has[c] = true
	}
	switch {
	case has["station_code"]:
		return Stations
	case has["mn"]:
		return Devices
	case has["factor"] && has["limit"]:
		return Limits
	case has["point_code"] && has["kind"]:
		return Points
	case has["credit_code"]:
		return Enterprises
	}
	return ""
}

// Options tune an import.
type Options struct {
	DryRun      bool // validate and apply in a transaction that is rolled back
	SkipBadRows bool // import the good rows of a file that has bad ones
	Kind        Kind // force the kind of every table instead of detecting it
}

// Result says what an import did (or, in a dry run, would do).
type Result struct {
	Applied map[Kind]int
	Bad     []RowError
	DryRun  bool
	// Committed is true when the good rows were stored.
	Committed bool
}

// ErrBadRows is returned when a file has bad rows and they were not to be
// skipped: nothing was imported.
var ErrBadRows = errors.New("nothing imported")

var errDryRun = errors.New("dry run")

// record is one parsed row ready to upsert.
type record struct {
	row   int
	table *Table
	apply func(ctx context.Context, r store.Registry) error
}

// Import validates and upserts the tables' rows in one transaction.
func Import(ctx context.Context, st store.Store, tables []Table, opt Options) (Result, error) {
	res := Result{Applied: map[Kind]int{}, DryRun: opt.DryRun}
	byKind := map[Kind][]record{}
	for i := range tables {
		t := &tables[i]
		if opt.Kind != "" {
			t.Kind = opt.Kind
		}
		res.Bad = append(res.Bad, t.headerErr...)
		if len(t.headerErr) > 0 {
			continue
		}
		recs, bad := parseTable(t)
		res.Bad = append(res.Bad, bad...)
		byKind[t.Kind] = append(byKind[t.Kind], recs...)
	}
	headerBad := false
	for _, b := range res.Bad {
		headerBad = headerBad || b.Row == 1
	}
	if headerBad && !opt.SkipBadRows {
		return res, fmt.Errorf("%d bad rows: %w", len(res.Bad), ErrBadRows)
	}
	err := st.UpdateRegistry(ctx, func(r store.Registry) error {
		for _, k := range kindOrder {
			for _, rec := range byKind[k] {
				if err := rec.apply(ctx, r); err != nil {
					res.Bad = append(res.Bad, rowError(rec, err))
					continue
				}
				res.Applied[k]++
			}
		}
		if len(res.Bad) > 0 && !opt.SkipBadRows {
			return ErrBadRows
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	sort.SliceStable(res.Bad, func(i, j int) bool {
		a, b := res.Bad[i], res.Bad[j]
		if a.File != b.File || a.Sheet != b.Sheet {
			return a.File+"\x00"+a.Sheet < b.File+"\x00"+b.Sheet
		}
		return a.Row < b.Row
	})
	switch {
	case err == nil:
		res.Committed = true
		return res, nil
	case errors.Is(err, errDryRun):
		if len(res.Bad) > 0 && !opt.SkipBadRows {
			return res, fmt.Errorf("%d bad rows: %w", len(res.Bad), ErrBadRows)
		}
		return res, nil
	case errors.Is(err, ErrBadRows):
		return res, fmt.Errorf("%d bad rows: %w", len(res.Bad), ErrBadRows)
	}
	return res, err
}

// rowError turns an upsert's error into a RowError, taking the column
// from a registry.FieldError or from a "column: …" prefix.
func rowError(rec record, err error) RowError {
	e := RowError{File: rec.table.File, Sheet: rec.table.Sheet, Row: rec.row, Reason: err.Error()}
	var fe *registry.FieldError
	if errors.As(err, &fe) {
		e.Column, e.Reason = fe.Field, fe.Reason
		return e
	}
	if col, rest, ok := strings.Cut(err.Error(), ": "); ok && !strings.ContainsAny(col, " \"") {
		e.Column, e.Reason = col, rest
	}
	return e
}

// cells gives a row's values by column name.
type cells struct {
	t   *Table
	rec []string
	row int
	bad []RowError
}

func (c *cells) str(col string) string {
	for i, h := range c.t.Header {
		if h == col && i < len(c.rec) {
			return strings.TrimSpace(c.rec[i])
		}
	}
	return ""
}

func (c *cells) fail(col, format string, args ...any) {
	c.bad = append(c.bad, RowError{File: c.t.File, Sheet: c.t.Sheet, Row: c.row, Column: col, Reason: fmt.Sprintf(format, args...)})
}

func (c *cells) float(col string) float64 {
	s := c.str(col)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		c.fail(col, "%q is not a number", s)
	}
	return v
}

func (c *cells) optFloat(col string) *float64 {
	if c.str(col) == "" {
		return nil
	}
	v := c.float(col)
	return &v
}

func (c *cells) integer(col string) int {
	s := c.str(col)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		c.fail(col, "%q is not a whole number", s)
	}
	return v
}

func (c *cells) boolean(col string) bool {
	switch strings.ToLower(c.str(col)) {
	case "", "n", "no", "false", "0", "否":
		return false
	case "y", "yes", "true", "1", "是":
		return true
	}
	c.fail(col, "%q is not Y or N", c.str(col))
	return false
}

func (c *cells) date(col string) time.Time {
	s := c.str(col)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.DateOnly, "2006/1/2", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, s, store.CST); err == nil {
			return t
		}
	}
	c.fail(col, "%q is not a date (want YYYY-MM-DD)", s)
	return time.Time{}
}

func (c *cells) list(col string) []string {
	s := c.str(col)
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' || r == '、' || r == ',' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseTable checks the header and parses every row; rows that do not
// parse are reported and left out.
func parseTable(t *Table) ([]record, []RowError) {
	var bad []RowError
	if t.Kind == "" {
		return nil, []RowError{{File: t.File, Sheet: t.Sheet, Row: 1, Reason: "cannot tell what the table holds from its header; want the columns of enterprises, stations, points, devices or limits"}}
	}
	cols, ok := columns[t.Kind]
	if !ok {
		return nil, []RowError{{File: t.File, Sheet: t.Sheet, Row: 1, Reason: fmt.Sprintf("unknown kind %q", t.Kind)}}
	}
	known := map[string]bool{}
	for _, c := range cols {
		known[c] = true
	}
	seen := map[string]bool{}
	for _, h := range t.Header {
		if !known[h] {
			bad = append(bad, RowError{File: t.File, Sheet: t.Sheet, Row: 1, Column: h, Reason: fmt.Sprintf("unknown column for %s (known: %s)", t.Kind, strings.Join(cols, ", "))})
		}
		if seen[h] {
			bad = append(bad, RowError{File: t.File, Sheet: t.Sheet, Row: 1, Column: h, Reason: "column given twice"})
		}
		seen[h] = true
	}
	for _, c := range cols[:required[t.Kind]] {
		if !seen[c] {
			bad = append(bad, RowError{File: t.File, Sheet: t.Sheet, Row: 1, Column: c, Reason: "required column missing"})
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	var out []record
	keys := map[string]int{}
	for i, rec := range t.Rows {
		row := i + 2
		blank := true
		for _, v := range rec {
			blank = blank && strings.TrimSpace(v) == ""
		}
		if blank {
			continue
		}
		c := &cells{t: t, rec: rec, row: row}
		if len(rec) > len(t.Header) {
			c.fail("", "%d cells, the header has %d columns", len(rec), len(t.Header))
		}
		key, apply := parseRow(t.Kind, c)
		if prev, dup := keys[key]; dup && len(c.bad) == 0 {
			c.fail(cols[0], "%q is also on row %d", key, prev)
		}
		keys[key] = row
		if len(c.bad) > 0 {
			bad = append(bad, c.bad...)
			continue
		}
		out = append(out, record{row: row, table: t, apply: apply})
	}
	return out, bad
}

// checkReplaced refuses a county-level code that has been withdrawn and
// names the one in force: registries kept for years still carry old
// codes, and "not found" alone would leave the user to find the new one.
func checkReplaced(c *cells, code string) {
	if r, ok := seed.ReplacedCode(code); ok {
		c.fail("region_code", "%q (%s) was withdrawn in %d: the area is now %s %s", code, r.Name, r.Year, r.By, r.ByName)
	}
}

// explainRegion adds to an upsert's "region not found" where the valid
// codes are: the divisions of the missing region's parent, when that
// exists (a county code that is one digit off names its city).
func explainRegion(ctx context.Context, r store.Registry, code string, err error) error {
	if err == nil || !errors.Is(err, store.ErrNotFound) || !strings.HasPrefix(err.Error(), "region_code: ") {
		return err
	}
	parent := registry.ParentOf(code)
	if parent == "" {
		return err
	}
	p, perr := r.Region(ctx, parent)
	if perr != nil {
		return err
	}
	return fmt.Errorf("%w (the divisions of %s %s: ecowatch registry list --parent %s)", err, p.Code, p.Name, p.Code)
}

// parseRow builds a row's record and its natural key.
func parseRow(k Kind, c *cells) (string, func(context.Context, store.Registry) error) {
	switch k {
	case Enterprises:
		e := registry.Enterprise{CreditCode: c.str("credit_code"), Name: c.str("name"), RegionCode: c.str("region_code"),
			IndustryCode: c.str("industry_code"), Address: c.str("address"), Lon: c.float("longitude"), Lat: c.float("latitude"),
			PermitNumber: c.str("permit_number"), Contact: c.str("contact"), ContactPhone: c.str("contact_phone")}
		checkReplaced(c, e.RegionCode)
		for _, s := range c.list("key_units") {
			ku, err := registry.ParseKeyUnit(s)
			if err != nil {
				c.fail("key_units", "%q is not water, air, soil, noise or other (水, 大气, 土壤, 声, 其他)", s)
			}
			e.KeyUnits = append(e.KeyUnits, ku)
		}
		return e.CreditCode, func(ctx context.Context, r store.Registry) error {
			return explainRegion(ctx, r, e.RegionCode, r.UpsertEnterprise(ctx, e))
		}
	case Stations:
		bg := c.boolean("background")
		p := registry.Point{Code: c.str("station_code"), Name: c.str("station_name"), Kind: registry.KindAirStation,
			RegionCode: c.str("city_adcode"), Lon: c.float("longitude"), Lat: c.float("latitude"), Level: registry.National,
			Background: bg, InCityAverage: !bg, Factors: seed.AirFactors}
		return p.Code, func(ctx context.Context, r store.Registry) error { return r.UpsertPoint(ctx, p) }
	case Points:
		p := registry.Point{Code: c.str("point_code"), Name: c.str("name"), Kind: registry.PointKind(c.str("kind")),
			RegionCode: c.str("region_code"), EnterpriseCode: c.str("enterprise_code"), Lon: c.float("longitude"), Lat: c.float("latitude"),
			Level: c.str("level"), Background: c.boolean("background"), InCityAverage: c.boolean("in_city_average"),
			WaterBody: c.str("water_body"), TargetClass: c.integer("target_class")}
		checkReplaced(c, p.RegionCode)
		for _, f := range c.list("factors") {
			code, unit, _ := strings.Cut(f, ":")
			p.Factors = append(p.Factors, registry.PointFactor{Code: strings.TrimSpace(code), Unit: strings.TrimSpace(unit)})
		}
		return p.Code, func(ctx context.Context, r store.Registry) error {
			return explainRegion(ctx, r, p.RegionCode, r.UpsertPoint(ctx, p))
		}
	case Devices:
		d := registry.Device{MN: c.str("mn"), Password: c.str("password"), ProtocolVersion: c.str("protocol_version"),
			Quirks: c.list("quirks"), PointCode: c.str("point_code"), State: registry.DeviceState(c.str("state"))}
		return d.MN, func(ctx context.Context, r store.Registry) error { return r.UpsertDevice(ctx, d) }
	case Limits:
		l := registry.Limit{PointCode: c.str("point_code"), Factor: c.str("factor"), Value: c.float("limit"),
			ReferenceO2: c.optFloat("reference_o2"), Standard: c.str("standard"), ValidFrom: c.date("valid_from"), ValidTo: c.date("valid_to")}
		key := l.PointCode + "/" + l.Factor + "/" + l.Standard + "/" + c.str("valid_from")
		return key, func(ctx context.Context, r store.Registry) error { return r.UpsertLimit(ctx, l) }
	}
	return "", nil
}
