package targets

import (
	"math/big"
	"sort"

	"ecowatch/assess/aqi"
	"ecowatch/assess/decimal"
)

// RankBy is what cities are ranked by.
type RankBy string

// Ranking keys. The comprehensive index ranks ascending (lowest, cleanest
// first), its change on last year ascending (largest fall first), the
// good-day ratio descending.
const (
	ByIndex       RankBy = "index"
	ByIndexChange RankBy = "index_change"
	ByGoodRatio   RankBy = "good_ratio"
)

// ParseRankBy checks a ranking key.
func ParseRankBy(s string) (RankBy, bool) {
	switch RankBy(s) {
	case ByIndex, ByIndexChange, ByGoodRatio:
		return RankBy(s), true
	}
	return "", false
}

// CityRow is one city's line of a ranking or bulletin.
type CityRow struct {
	Rank   int    `json:"rank"` // 0: not ranked (no value)
	Region string `json:"region"`
	Name   string `json:"name"`
	// Concentrations as the bulletin reports them: the period means of
	// SO2, NO2, PM10 and PM2.5 (µg/m³), the 95th percentile of CO
	// (mg/m³) and the 90th percentile of O3 MDA8 (µg/m³); "" when missing.
	SO2  string `json:"so2"`
	NO2  string `json:"no2"`
	PM10 string `json:"pm10"`
	CO   string `json:"co"`
	O3   string `json:"o3"`
	PM25 string `json:"pm25"`
	// Index is the comprehensive index (2 decimals); IndexLast that of
	// the same period last year; IndexChange the change in % (1 decimal).
	Index       *decimal.Decimal `json:"index"`
	IndexLast   *decimal.Decimal `json:"index_last"`
	IndexChange *decimal.Decimal `json:"index_change"`
	IndexRank   int              `json:"index_rank"`
	GoodRatio   *decimal.Decimal `json:"good_ratio"`
	GoodDays    int              `json:"good_days"`
	ValidDays   int              `json:"valid_days"`
	HeavyDays   int              `json:"heavy_days"`
	Primary     []string         `json:"primary_pollutant"`
	Rules       string           `json:"rules"`
}

// Rows computes every city's row over the period, with the same period
// last year for the change, and the comprehensive-index rank.
func Rows(cities []CityAir, p Period) ([]CityRow, error) {
	var rows []CityRow
	for i := range cities {
		c := &cities[i]
		r := CityRow{Region: c.Code, Name: c.Name, Primary: []string{}}
		s, ok, err := c.Summarise(p)
		if err != nil {
			return nil, err
		}
		if ok {
			ps := s.Pollutants
			str := func(p aqi.Pollutant, d decimal.Decimal) string {
				if ps[p].ValidDays == 0 {
					return ""
				}
				return d.String()
			}
			r.SO2, r.NO2, r.PM10 = str(aqi.SO2, ps[aqi.SO2].Mean), str(aqi.NO2, ps[aqi.NO2].Mean), str(aqi.PM10, ps[aqi.PM10].Mean)
			r.PM25, r.CO, r.O3 = str(aqi.PM25, ps[aqi.PM25].Mean), str(aqi.CO, ps[aqi.CO].PValue), str(aqi.O3, ps[aqi.O3].PValue)
			complete := true
			for _, p := range aqi.Pollutants {
				complete = complete && ps[p].ValidDays > 0
			}
			if complete {
				r.Index = ptr(s.Index)
			}
			if s.ValidDays > 0 {
				r.GoodRatio = ptr(s.GoodRatio)
			}
			r.GoodDays, r.ValidDays, r.HeavyDays, r.Rules = s.GoodDays, s.ValidDays, s.HeavyDays, s.Rules
			for _, p := range s.IndexPrimary {
				r.Primary = append(r.Primary, p.String())
			}
		}
		if l, ok, err := c.Summarise(p.LastYear()); err != nil {
			return nil, err
		} else if ok && r.Index != nil {
			complete := true
			for _, p := range aqi.Pollutants {
				complete = complete && l.Pollutants[p].ValidDays > 0
			}
			if complete && l.Index.Sign() > 0 {
				r.IndexLast = ptr(l.Index)
				ch := new(big.Rat).Sub(r.Index.Rat(), l.Index.Rat())
				ch.Mul(ch, big.NewRat(100, 1)).Quo(ch, l.Index.Rat())
				d, _ := decimal.RoundRat(ch, 1, decimal.HalfEven)
				r.IndexChange = &d
			}
		}
		rows = append(rows, r)
	}
	rankRows(rows, ByIndex, func(r *CityRow, k int) { r.IndexRank = k })
	return rows, nil
}

// Rank orders the rows by the key and sets Rank. Equal values at the
// reported precision share a rank and the next rank skips (1, 2, 2, 4);
// rows without a value come last, unranked, in region-code order; ties
// are listed in region-code order.
func Rank(rows []CityRow, by RankBy) []CityRow {
	out := append([]CityRow(nil), rows...)
	rankRows(out, by, func(r *CityRow, k int) { r.Rank = k })
	return out
}

func keyOf(r *CityRow, by RankBy) *decimal.Decimal {
	switch by {
	case ByIndex:
		return r.Index
	case ByIndexChange:
		return r.IndexChange
	}
	return r.GoodRatio
}

func rankRows(rows []CityRow, by RankBy, set func(*CityRow, int)) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := &rows[idx[a]], &rows[idx[b]]
		ka, kb := keyOf(ra, by), keyOf(rb, by)
		switch {
		case ka == nil && kb == nil:
			return ra.Region < rb.Region
		case ka == nil:
			return false
		case kb == nil:
			return true
		}
		c := ka.Cmp(*kb)
		if by == ByGoodRatio {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
		return ra.Region < rb.Region
	})
	sorted := make([]CityRow, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
	last := 0
	for i := range rows {
		k := keyOf(&rows[i], by)
		switch {
		case k == nil:
			set(&rows[i], 0)
		case i > 0 && keyOf(&rows[i-1], by) != nil && keyOf(&rows[i-1], by).Cmp(*k) == 0:
			set(&rows[i], last)
		default:
			last = i + 1
			set(&rows[i], last)
		}
	}
}
