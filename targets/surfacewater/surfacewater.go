// Package surfacewater imports the national surface-water automatic
// stations' published table (国家地表水水质自动监测实时数据发布系统: 省份,
// 流域, 断面名称, 监测时间, 水质类别, 水温, pH, 溶解氧, 电导率, 浊度,
// 高锰酸盐指数, 氨氮, 总磷, 总氮, 叶绿素α, 藻密度, 站点情况), classifies each
// row with GB 3838-2002 through assess/water and reports where the
// published 水质类别 disagrees with ours.
//
// Values of the province's sections are stored as hourly measurements of
// a water_station point per section (created on first use: code "ws-"
// and a hash of province, basin and section name, the release having no
// section codes). Items without an HJ 212 code in the reference (浊度,
// 叶绿素α, 藻密度) are classified where GB 3838 has them but not stored.
package surfacewater

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/assess/water"
	"ecowatch/registry"
	"ecowatch/store"
)

// factorCodes are the HJ 212-2017 codes of the stored items.
var factorCodes = map[water.Item]string{
	water.Temperature: "w01010", water.PH: "w01001", water.DO: "w01009", water.CODMn: "w01019",
	water.NH3N: "w21003", water.TP: "w21011", water.TN: "w21001", water.Conductivity: "w01014",
}

// ParseClass reads a published class: Ⅰ…Ⅴ, 劣Ⅴ (Roman numerals, either
// the Unicode numerals or ASCII letters, with or without 类).
func ParseClass(s string) (water.Class, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(t, "类")
	t = strings.NewReplacer("Ⅰ", "I", "Ⅱ", "II", "Ⅲ", "III", "Ⅳ", "IV", "Ⅴ", "V").Replace(t)
	t = strings.ToUpper(t)
	switch t {
	case "I":
		return water.ClassI, nil
	case "II":
		return water.ClassII, nil
	case "III":
		return water.ClassIII, nil
	case "IV":
		return water.ClassIV, nil
	case "V":
		return water.ClassV, nil
	case "劣V":
		return water.WorseThanV, nil
	}
	return 0, fmt.Errorf("class %q is not Ⅰ…Ⅴ or 劣Ⅴ", s)
}

// Row is one parsed row.
type Row struct {
	Province, Basin, Section string
	Time                     time.Time
	Published                water.Class // 0 when the row publishes none
	Status                   string      // 站点情况
	Sample                   water.Sample
	Items                    []water.Item // items present
}

// Parser reads rows after the header.
type Parser struct {
	layout                                        *water.Layout
	header                                        []string
	province, basin, section, when, class, status int
	// Year completes a 监测时间 without a year ("11-01 04:00", as the live
	// page shows it); 0 rejects such times.
	Year int
}

// NewParser checks the header.
func NewParser(header []string) (*Parser, error) {
	p := &Parser{header: header, province: -1, basin: -1, section: -1, when: -1, class: -1, status: -1}
	for k, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "省份":
			p.province = k
		case "流域":
			p.basin = k
		case "断面名称":
			p.section = k
		case "监测时间":
			p.when = k
		case "水质类别":
			p.class = k
		case "站点情况":
			p.status = k
		}
	}
	if p.section < 0 || p.when < 0 {
		return nil, errors.New("surface water: header needs 断面名称 and 监测时间")
	}
	l, err := water.NewLayout(header)
	if err != nil {
		return nil, fmt.Errorf("surface water: %w", err)
	}
	p.layout = l
	return p, nil
}

func (p *Parser) field(rec []string, k int) string {
	if k < 0 {
		return ""
	}
	return strings.TrimSpace(rec[k])
}

func (p *Parser) parseTime(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/1/2 15:04", "2006/1/2 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(l, s, aqi.UTC8()); err == nil {
			return t, nil
		}
	}
	if p.Year > 0 {
		if t, err := time.ParseInLocation("2006-01-02 15:04", fmt.Sprintf("%d-%s", p.Year, s), aqi.UTC8()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("监测时间 %q is not YYYY-MM-DD HH:MM (or MM-DD HH:MM with a year given)", s)
}

// Row parses one record. Cells of "*" (the page's mark for no value) are
// empty.
func (p *Parser) Row(rec []string) (Row, error) {
	var r Row
	if len(rec) != len(p.header) {
		return r, fmt.Errorf("row has %d fields, header has %d", len(rec), len(p.header))
	}
	clean := make([]string, len(rec))
	for i, s := range rec {
		s = strings.TrimSpace(s)
		if s == "*" || s == "＊" {
			s = ""
		}
		clean[i] = s
	}
	r.Province, r.Basin, r.Section, r.Status = p.field(clean, p.province), p.field(clean, p.basin), p.field(clean, p.section), p.field(clean, p.status)
	if r.Section == "" {
		return r, errors.New("empty 断面名称")
	}
	t, err := p.parseTime(p.field(clean, p.when))
	if err != nil {
		return r, err
	}
	r.Time = t
	if c := p.field(clean, p.class); c != "" && c != "--" && c != "-" {
		if r.Published, err = ParseClass(c); err != nil {
			return r, err
		}
	}
	s, err := p.layout.Row(p.header, clean)
	if err != nil {
		return r, err
	}
	r.Sample = s
	for i := range water.NumItems {
		if _, ok := s.Get(i); ok {
			r.Items = append(r.Items, i)
		}
	}
	return r, nil
}

// Disagreement is a row whose published class differs from ours.
type Disagreement struct {
	Line      int    `json:"line"`
	Section   string `json:"section"`
	Time      string `json:"time"`
	Published string `json:"published"`
	Ours      string `json:"ours"`
	// Why names the counted items at our class, so the reader can see
	// which value makes the difference.
	Why string `json:"why"`
}

// Summary is what an import did.
type Summary struct {
	File          string         `json:"file"`
	Read          int            `json:"rows_read"`
	Stored        int            `json:"rows_stored"`
	Compared      int            `json:"rows_compared"`
	Agree         int            `json:"rows_agreeing"`
	Rejected      int            `json:"rows_rejected"`
	OtherProvince int            `json:"rows_other_province"`
	Reasons       map[string]int `json:"reasons"`
	Examples      []string       `json:"examples"`
	Disagreements []Disagreement `json:"disagreements"`
	CreatedPoints int            `json:"created_points"`
}

// String is the summary as the command line prints it, with the first
// class disagreements.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows read, %d stored, %d of another province (classified, not stored), %d rejected; class compared on %d rows, %d agree, %d disagree; %d section points created",
		s.File, s.Read, s.Stored, s.OtherProvince, s.Rejected, s.Compared, s.Agree, len(s.Disagreements), s.CreatedPoints)
	keys := make([]string, 0, len(s.Reasons))
	for k := range s.Reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  rejected %d × %s", s.Reasons[k], k)
	}
	for _, e := range s.Examples {
		fmt.Fprintf(&b, "\n  e.g. %s", e)
	}
	for i, d := range s.Disagreements {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … %d more disagreements", len(s.Disagreements)-20)
			break
		}
		fmt.Fprintf(&b, "\n  line %d %s %s: published %s, GB 3838 gives %s (%s)", d.Line, d.Section, d.Time, d.Published, d.Ours, d.Why)
	}
	return b.String()
}

// Options configure an import.
type Options struct {
	// Province is the province whose rows are stored (matched against
	// 省份, e.g. "湖南"); RegionCode its GB/T 2260 code for new points.
	Province   string
	RegionCode string
	Body       water.Body
	Year       int
	DryRun     bool
	SQL        *store.SQL // audits the run when set
	Actor      string
	Now        func() time.Time
}

// SectionPoint is the point code of a section.
func SectionPoint(province, basin, section string) string {
	h := sha256.Sum256([]byte(province + "|" + basin + "|" + section))
	return "ws-" + hex.EncodeToString(h[:5])
}

func className(c water.Class) string {
	if c == 0 {
		return "—"
	}
	return c.String()
}

// Import reads the file's bytes, classifies every row and stores the
// province's values (idempotently: measurements are keyed by point,
// factor, kind and time).
func Import(ctx context.Context, st store.Store, name string, data []byte, opt Options) (Summary, error) {
	sum := Summary{File: name, Reasons: map[string]int{}, Examples: []string{}, Disagreements: []Disagreement{}}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("%s: reading the header: %w", name, err)
	}
	p, err := NewParser(header)
	if err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	p.Year = opt.Year
	known := map[string]bool{}
	var batch []store.Measurement
	reject := func(line int, r string, err error) {
		sum.Rejected++
		sum.Reasons[r]++
		if len(sum.Examples) < 10 {
			sum.Examples = append(sum.Examples, fmt.Sprintf("line %d: %v", line, err))
		}
	}
	for line := 2; ; line++ {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		sum.Read++
		if err != nil {
			reject(line, "CSV syntax", err)
			continue
		}
		r, err := p.Row(rec)
		if err != nil {
			why := "malformed value"
			switch {
			case strings.HasPrefix(err.Error(), "row has"):
				why = "field count"
			case strings.HasPrefix(err.Error(), "监测时间"):
				why = "监测时间 malformed"
			case strings.HasPrefix(err.Error(), "class"):
				why = "水质类别 malformed"
			case strings.HasPrefix(err.Error(), "empty"):
				why = "断面名称 empty"
			}
			reject(line, why, err)
			continue
		}
		if len(r.Items) == 0 {
			reject(line, "no values (站点情况 "+r.Status+")", fmt.Errorf("%s %s: no values", r.Section, r.Time.Format("2006-01-02 15:04")))
			continue
		}
		ev := water.Evaluate(&r.Sample, opt.Body)
		if r.Published != 0 && ev.Class != 0 {
			sum.Compared++
			if ev.Class == r.Published {
				sum.Agree++
			} else {
				var why []string
				for _, it := range ev.Items {
					if it.Item.Counted() && it.Class == ev.Class {
						v, _ := r.Sample.Get(it.Item)
						why = append(why, fmt.Sprintf("%s %s", it.Item.Chinese(), ratString(v)))
					}
				}
				sum.Disagreements = append(sum.Disagreements, Disagreement{Line: line, Section: r.Section, Time: r.Time.Format("2006-01-02 15:04"),
					Published: className(r.Published), Ours: className(ev.Class), Why: strings.Join(why, ", ")})
			}
		}
		if opt.Province != "" && !strings.Contains(r.Province, opt.Province) {
			sum.OtherProvince++
			continue
		}
		code := SectionPoint(r.Province, r.Basin, r.Section)
		if !known[code] && !opt.DryRun {
			_, err := st.Point(ctx, code)
			if errors.Is(err, store.ErrNotFound) {
				body := "river"
				if opt.Body == water.Lake {
					body = "lake"
				}
				var fs []registry.PointFactor
				for it, c := range factorCodes {
					fs = append(fs, registry.PointFactor{Code: c, Name: it.Chinese()})
				}
				sort.Slice(fs, func(i, j int) bool { return fs[i].Code < fs[j].Code })
				pt := registry.Point{Code: code, Name: r.Section, Kind: registry.KindWaterStation, RegionCode: opt.RegionCode,
					Level: registry.National, WaterBody: body, TargetClass: 3, Factors: fs}
				if err := st.UpsertPoint(ctx, pt); err != nil {
					return sum, fmt.Errorf("line %d: creating the point of %s: %w", line, r.Section, err)
				}
				sum.CreatedPoints++
			} else if err != nil {
				return sum, err
			}
			known[code] = true
		}
		for _, it := range r.Items {
			c, ok := factorCodes[it]
			if !ok {
				continue
			}
			v, _ := r.Sample.Get(it)
			f, _ := v.Float64()
			batch = append(batch, store.Measurement{Point: code, Factor: c, Kind: store.Hour, Time: r.Time, Values: store.Values{}.With(store.Avg, f)})
		}
		sum.Stored++
	}
	if opt.DryRun {
		sum.Stored = 0
		return sum, nil
	}
	if len(batch) > 0 {
		if err := st.WriteMeasurements(ctx, batch); err != nil {
			return sum, fmt.Errorf("%s: storing: %w", name, err)
		}
	}
	if opt.SQL != nil {
		err := opt.SQL.Tx(ctx, func(tx *sql.Tx) error {
			_, err := opt.SQL.AppendAudit(ctx, tx, store.AuditEntry{Actor: opt.Actor, Action: "targets.import_water", Object: "file:" + name,
				Detail: fmt.Sprintf("%d read, %d stored, %d rejected, %d class disagreements", sum.Read, sum.Stored, sum.Rejected, len(sum.Disagreements)), Time: opt.Now()})
			return err
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

func ratString(r *big.Rat) string {
	if r == nil {
		return ""
	}
	s := r.FloatString(4)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
