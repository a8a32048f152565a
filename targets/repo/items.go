package repo

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"time"

	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets"
	"ecowatch/targets/bulletin"
	"ecowatch/targets/surfacewater"
)

// itemColumns maps the accepted headers (English or Chinese) to fields.
var itemColumns = map[string]string{
	"code": "code", "编号": "code", "代码": "code",
	"name": "name", "名称": "name",
	"region_code": "region_code", "行政区划代码": "region_code", "区划代码": "region_code",
	"year": "year", "年度": "year", "年份": "year",
	"done": "done", "已完成": "done", "已消除": "done", "安全利用": "done",
	"safe_area": "safe_area", "安全利用面积": "safe_area",
	"strict_area": "strict_area", "严格管控面积": "strict_area",
	"water_class": "water_class", "水质类别": "water_class",
	"source": "source", "来源": "source", "依据": "source",
	"note": "note", "备注": "note",
}

// ItemParser reads the rows of an indicator registry CSV.
type ItemParser struct {
	Kind string
	cols map[string]int
	n    int
}

// NewItemParser checks the header: code, name, region_code and year are
// required; the others depend on the kind.
func NewItemParser(kind string, header []string) (*ItemParser, error) {
	p := &ItemParser{Kind: kind, cols: map[string]int{}, n: len(header)}
	for k, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if j := strings.IndexAny(h, "(（"); j > 0 {
			h = strings.TrimSpace(h[:j])
		}
		if f, ok := itemColumns[strings.ToLower(h)]; ok {
			if _, dup := p.cols[f]; dup {
				return nil, fmt.Errorf("column %s given twice", f)
			}
			p.cols[f] = k
		}
	}
	need := []string{"code", "name", "region_code", "year"}
	switch kind {
	case Farmland:
		need = append(need, "safe_area", "strict_area")
	case DrinkingSource:
		need = append(need, "water_class")
	case ContaminatedSite, BlackOdorous, EmissionQuota:
		need = append(need, "done")
	default:
		return nil, fmt.Errorf("kind %q is not one of %s", kind, strings.Join(ItemKinds, ", "))
	}
	for _, f := range need {
		if _, ok := p.cols[f]; !ok {
			return nil, fmt.Errorf("%s: column %s missing", kind, f)
		}
	}
	return p, nil
}

func (p *ItemParser) get(rec []string, f string) string {
	if k, ok := p.cols[f]; ok {
		return strings.TrimSpace(rec[k])
	}
	return ""
}

// Row parses one record into an item and validates it.
func (p *ItemParser) Row(rec []string) (Item, error) {
	it := Item{Kind: p.Kind}
	if len(rec) != p.n {
		return it, fmt.Errorf("row has %d fields, header has %d", len(rec), p.n)
	}
	it.Code, it.Name, it.RegionCode = p.get(rec, "code"), p.get(rec, "name"), p.get(rec, "region_code")
	it.Source, it.Note = p.get(rec, "source"), p.get(rec, "note")
	y, err := strconv.Atoi(p.get(rec, "year"))
	if err != nil {
		return it, fmt.Errorf("year %q is not a number", p.get(rec, "year"))
	}
	it.Year = y
	if s := p.get(rec, "done"); s != "" {
		switch strings.ToLower(s) {
		case "y", "yes", "true", "1", "是", "已完成", "已消除":
			it.Done = true
		case "n", "no", "false", "0", "否", "未完成", "未消除":
		default:
			return it, fmt.Errorf("done %q is not yes or no", s)
		}
	}
	area := func(f string) (float64, error) {
		s := p.get(rec, f)
		if s == "" {
			return 0, nil
		}
		d, err := decimal.Parse(s)
		if err != nil {
			return 0, fmt.Errorf("%s %q is not a decimal", f, s)
		}
		return d.Float64(), nil
	}
	if it.SafeArea, err = area("safe_area"); err != nil {
		return it, err
	}
	if it.StrictArea, err = area("strict_area"); err != nil {
		return it, err
	}
	if s := p.get(rec, "water_class"); s != "" {
		c, err := surfacewater.ParseClass(s)
		if err != nil {
			return it, err
		}
		it.WaterClass = int(c)
	}
	if err := it.Validate(); err != nil {
		return it, err
	}
	return it, nil
}

// ReadItems reads a whole registry CSV; every bad row is an error naming
// its line, and a file with errors returns no items.
func ReadItems(kind string, r io.Reader) ([]Item, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	p, err := NewItemParser(kind, header)
	if err != nil {
		return nil, err
	}
	var items []Item
	var errs []error
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		it, err := p.Row(rec)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", line, err))
			continue
		}
		items = append(items, it)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return items, nil
}

// ItemFigures computes the registry indicators of a region ("" or a
// province code: all items) from its items.
func ItemFigures(kind string, items []Item, region string, final bool) []targets.Figure {
	src := fmt.Sprintf("registry %s: %d items", kind, len(items))
	switch kind {
	case Farmland:
		var safe, strict float64
		for _, it := range items {
			safe += it.SafeArea
			strict += it.StrictArea
		}
		r := func(x float64) decimal.Decimal {
			d, _ := decimal.RoundRat(new(big.Rat).SetFloat64(x), 2, decimal.HalfEven)
			return d
		}
		return []targets.Figure{
			targets.RegistryFigure(targets.FarmlandSafeAndStrict, region, r(safe+strict), final, src),
			targets.RegistryFigure(targets.FarmlandSafeUse, region, r(safe), final, src),
			targets.RegistryFigure(targets.FarmlandStrict, region, r(strict), final, src),
		}
	}
	ind := map[string]string{ContaminatedSite: targets.ContaminatedLandSafe, BlackOdorous: targets.BlackOdorousElim, DrinkingSource: targets.DrinkingWaterClass3,
		EmissionQuota: targets.EmissionReduction}[kind]
	done := 0
	for _, it := range items {
		if it.Done {
			done++
		}
	}
	v, err := targets.Ratio(done, len(items))
	if err != nil {
		return []targets.Figure{{Indicator: ind, Region: region, Source: src, Notes: []string{err.Error()}}}
	}
	return []targets.Figure{targets.RegistryFigure(ind, region, v, final, src)}
}

// LoadSections reads the water sections' (and automatic stations')
// samples in [from, to).
func LoadSections(ctx context.Context, st store.Store, from, to time.Time) ([]bulletin.SectionData, error) {
	pts, err := st.Points(ctx)
	if err != nil {
		return nil, err
	}
	items := map[string]water.Item{}
	for it, code := range map[water.Item]string{water.PH: "w01001", water.DO: "w01009", water.CODMn: "w01019", water.NH3N: "w21003",
		water.TP: "w21011", water.TN: "w21001", water.Temperature: "w01010", water.COD: "w01018"} {
		items[code] = it
	}
	var out []bulletin.SectionData
	for _, p := range pts {
		if p.Kind != registry.KindWaterSection && p.Kind != registry.KindWaterStation {
			continue
		}
		sd := bulletin.SectionData{Point: p.Code, Name: p.Name, Region: p.RegionCode, TargetClass: p.TargetClass}
		if p.WaterBody == "lake" {
			sd.Body = water.Lake
		}
		byTime := map[int64]*water.Sample{}
		var order []int64
		for code, it := range items {
			ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: p.Code, Factor: code, Kind: store.Hour, From: from, To: to})
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				v, ok := m.Values.Get(store.Avg)
				if !ok {
					continue
				}
				k := m.Time.Unix()
				s := byTime[k]
				if s == nil {
					s = new(water.Sample)
					byTime[k] = s
					order = append(order, k)
				}
				s.SetRat(it, new(big.Rat).SetFloat64(v))
			}
		}
		for _, k := range order {
			sd.Samples = append(sd.Samples, *byTime[k])
		}
		out = append(out, sd)
	}
	return out, nil
}

// SectionsFigure is the share of sections at Class I–III over the period.
func SectionsFigure(sections []bulletin.SectionData, region string, month time.Time, final bool) targets.Figure {
	w := bulletin.WaterMonthly(sections, month, "")
	f := targets.Figure{Indicator: targets.SurfaceWaterGood, Region: region, Final: final,
		Source: fmt.Sprintf("%d water sections with data, GB 3838-2002 on each section's mean", len(w.Sections))}
	if w.GoodRatio != nil {
		f.Value = w.GoodRatio
	}
	return f
}
