package opendata

import (
	"context"
	"math/big"
	"slices"
	"strconv"
	"time"

	"ecowatch/assess/decimal"
	"ecowatch/assess/water"
	"ecowatch/registry"
	"ecowatch/store"
)

// waterItems maps HJ 212 factor codes (HJ 212-2017 Table B.1) to the
// items of GB 3838-2002 that the automatic water stations measure.
var waterItems = map[string]water.Item{
	"w01010": water.Temperature, "w01001": water.PH, "w01009": water.DO, "w01019": water.CODMn,
	"w01018": water.COD, "w01017": water.BOD5, "w21003": water.NH3N, "w21011": water.TP, "w21001": water.TN,
	"w01014": water.Conductivity, "w01003": water.Turbidity,
}

// meanScale is the decimal places the hourly values are summed at: HJ
// 212 sends at most a few decimals, and FromFloat keeps them exactly.
const meanScale = 9

// Period is the length of an assessment period.
type Period string

// Assessment periods.
const (
	Daily   Period = "day"
	Monthly Period = "month"
)

// periodStart is the start (UTC+8) of the period holding t.
func periodStart(p Period, t time.Time) time.Time {
	t = t.In(store.CST)
	if p == Monthly {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, store.CST)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, store.CST)
}

// Assessments classifies each published water section by GB 3838-2002
// for each period in [from, to): the period mean of its hourly values
// (环办〔2011〕22号 §4.2: a period is judged by its means), single-factor
// evaluation against the section's target class (Class III when it has
// none). Sections are in code order, periods in time order; a period
// without values is left out.
func (p *Policy) Assessments(ctx context.Context, st Reader, sections []registry.Point, per Period, from, to time.Time) ([]*Record, error) {
	pts := slices.Clone(sections)
	slices.SortFunc(pts, func(a, b registry.Point) int {
		if a.Code < b.Code {
			return -1
		}
		if a.Code > b.Code {
			return 1
		}
		return 0
	})
	var out []*Record
	for _, pt := range pts {
		if !IsSection(pt.Kind) || !p.PublishesPoint(pt) {
			continue
		}
		// Per period and item, the exact sum of the hourly values (decimals
		// scaled to 10⁻⁹) and their count: the period mean of the 2011
		// method (§4.2) without keeping a sample per hour.
		type acc struct {
			sum big.Int
			n   int64
		}
		sums := map[int64]map[water.Item]*acc{}
		hours := map[int64]map[int64]bool{}
		for _, f := range pt.Factors {
			item, ok := waterItems[f.Code]
			if !ok {
				continue
			}
			ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: pt.Code, Factor: f.Code, Kind: store.Hour, From: from, To: to})
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				v, ok := m.Values.Get(store.Avg)
				if !ok || !validFlag(m.Values.Flag) {
					continue
				}
				d, err := decimal.FromFloat(v)
				if err != nil {
					// Not a short decimal (a value computed, not sent):
					// rounded to the summing scale.
					if d, err = decimal.Parse(strconv.FormatFloat(v, 'f', meanScale, 64)); err != nil {
						continue
					}
				}
				x, ok := d.Scaled(meanScale)
				if !ok {
					continue
				}
				ps := periodStart(per, m.Time).Unix()
				if sums[ps] == nil {
					sums[ps], hours[ps] = map[water.Item]*acc{}, map[int64]bool{}
				}
				a := sums[ps][item]
				if a == nil {
					a = &acc{}
					sums[ps][item] = a
				}
				a.sum.Add(&a.sum, big.NewInt(x))
				a.n++
				hours[ps][m.Time.Unix()] = true
			}
		}
		starts := make([]int64, 0, len(sums))
		for t := range sums {
			starts = append(starts, t)
		}
		slices.Sort(starts)
		body := water.River
		if pt.WaterBody == "lake" {
			body = water.Lake
		}
		target := water.Class(pt.TargetClass)
		if target == 0 {
			target = water.ClassIII
		}
		for _, t := range starts {
			var mean water.Sample
			for item, a := range sums[t] {
				den := new(big.Int).Mul(big.NewInt(a.n), big.NewInt(decimal.Pow10(meanScale)))
				mean.SetRat(item, new(big.Rat).SetFrac(&a.sum, den))
			}
			samples := hours[t]
			ev := water.EvaluateAgainst(&mean, body, target)
			if ev.Class == 0 {
				continue
			}
			main := []string{}
			for _, x := range ev.MainPollutants {
				main = append(main, x.Item.String())
			}
			out = append(out, p.New(Assessment).Set("section", pt.Code).Set("period", string(per)).
				Set("start", time.Unix(t, 0).In(store.CST).Format(time.RFC3339)).Set("hours", len(samples)).
				Set("class", ev.Class.String()).Set("status", ev.Status).Set("main_pollutants", main).
				Set("target_class", target.String()).Set("attained", ev.Class <= target).Set("rules", "GB3838-2002"))
		}
	}
	return out, nil
}

// validFlag: only normal data (N) and values of unknown flag count; the
// other HJ 212 flags mark maintenance, calibration, faults and the like
// (HJ 212-2017 Table 8), whose values are not environmental data.
func validFlag(f string) bool { return f == "" || f == "N" }
