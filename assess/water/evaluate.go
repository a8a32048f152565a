package water

import (
	"fmt"
	"math/big"
	"slices"

	"ecowatch/assess/decimal"
)

// Sample is one set of item values of a section (one sampling, or a
// period mean). Values are exact; the zero value holds none.
type Sample struct {
	v       [NumItems]*big.Rat
	belowDL [NumItems]bool
}

// BelowDetection says whether the item's value was read as below the
// detection limit (and so stands for half that limit).
func (s *Sample) BelowDetection(i Item) bool { return i < NumItems && s.belowDL[i] }

// Set records an item's value.
func (s *Sample) Set(i Item, d decimal.Decimal) { s.v[i] = d.Rat() }

// SetRat records an exact value (a mean).
func (s *Sample) SetRat(i Item, r *big.Rat) { s.v[i] = new(big.Rat).Set(r) }

// Get returns an item's value and whether it is set.
func (s *Sample) Get(i Item) (*big.Rat, bool) { return s.v[i], s.v[i] != nil }

// Mean returns the period sample of the 2011 method (§4.2): each item's
// arithmetic mean over the samples that have it, exactly. The annual
// evaluation classifies these means; single exceedances within the year do
// not count on their own. Values below the detection limit must be
// substituted by the caller (commonly half the limit, reference §3.2).
func Mean(samples []Sample) Sample {
	var out Sample
	for i := range NumItems {
		sum := new(big.Rat)
		n := int64(0)
		for k := range samples {
			if v, ok := samples[k].Get(i); ok {
				sum.Add(sum, v)
				n++
			}
		}
		if n > 0 {
			out.v[i] = sum.Quo(sum, big.NewRat(n, 1))
		}
	}
	return out
}

// ItemResult is one item's class in an evaluation.
type ItemResult struct {
	Item    Item
	Value   *big.Rat
	Class   Class // 0 for items without a limit
	Counted bool  // part of the section class
}

// Exceedance is an item worse than the target class, with its exceedance
// multiple (C − S)/S to 2 decimals (GB/T 8170); HasMultiple is false for
// pH and DO, for which the 2011 method computes none.
type Exceedance struct {
	Item        Item
	Multiple    decimal.Decimal
	HasMultiple bool
}

// Evaluation is the single-factor evaluation of one section sample.
type Evaluation struct {
	Class  Class  // worst class of the counted items; 0 if none was given
	Status string // 优, 良好, 轻度污染, 中度污染, 重度污染
	Items  []ItemResult
	// MainPollutants are the counted items worse than Class III, by
	// exceedance multiple, largest first, at most three (2011 method §5).
	MainPollutants []Exceedance
	Notes          []string
}

// Evaluate classifies a section sample by the single-factor method of the
// 2011 method: the section class is the worst class among the 21 counted
// items; water temperature, total nitrogen and fecal coliform are reported
// with their class but not counted. TP uses the lake column for Lake.
func Evaluate(s *Sample, b Body) Evaluation {
	return EvaluateAgainst(s, b, ClassIII)
}

// EvaluateAgainst is Evaluate with main pollutants judged against a
// section's target class instead of Class III.
func EvaluateAgainst(s *Sample, b Body, target Class) Evaluation {
	var e Evaluation
	if target < ClassI || target > ClassV {
		target = ClassIII
	}
	for i := range NumItems {
		v, ok := s.Get(i)
		if !ok {
			continue
		}
		c, err := ItemClass(i, b, v)
		if err != nil {
			e.Notes = append(e.Notes, err.Error())
			continue
		}
		e.Items = append(e.Items, ItemResult{Item: i, Value: v, Class: c, Counted: i.Counted()})
		if !i.Counted() || c == 0 {
			continue
		}
		e.Class = max(e.Class, c)
		if c <= target {
			continue
		}
		x := Exceedance{Item: i}
		if i != PH && i != DO {
			l, _ := Limit(i, target, b)
			m := new(big.Rat).Sub(v, l.Rat())
			m.Quo(m, l.Rat())
			x.Multiple, _ = decimal.RoundRat(m, 2, decimal.HalfEven)
			x.HasMultiple = true
		}
		e.MainPollutants = append(e.MainPollutants, x)
	}
	slices.SortStableFunc(e.MainPollutants, func(a, b Exceedance) int {
		if a.HasMultiple != b.HasMultiple {
			if a.HasMultiple {
				return -1
			}
			return 1
		}
		return -a.Multiple.Cmp(b.Multiple)
	})
	if len(e.MainPollutants) > 3 {
		e.MainPollutants = e.MainPollutants[:3]
	}
	e.Status = e.Class.Status()
	return e
}

// SetRatios are the proportions of a set of sections (a river, basin or
// province) in %, 1 decimal (GB/T 8170), over the sections with a class.
type SetRatios struct {
	Sections int
	Counts   [7]int          // Counts[c] sections of class c (1..6)
	Good     decimal.Decimal // I–III (达到或好于III类)
	WorseV   decimal.Decimal // 劣V
	good     *big.Rat
	worse    *big.Rat
}

// Ratios computes the set ratios; classes of 0 (not evaluated) are left
// out of the denominator.
func Ratios(classes []Class) SetRatios {
	var r SetRatios
	for _, c := range classes {
		if c >= ClassI && c <= WorseThanV {
			r.Counts[c]++
			r.Sections++
		}
	}
	if r.Sections == 0 {
		return r
	}
	g := int64(r.Counts[ClassI] + r.Counts[ClassII] + r.Counts[ClassIII])
	r.good = big.NewRat(100*g, int64(r.Sections))
	r.worse = big.NewRat(100*int64(r.Counts[WorseThanV]), int64(r.Sections))
	r.Good, _ = decimal.RoundRat(r.good, 1, decimal.HalfEven)
	r.WorseV, _ = decimal.RoundRat(r.worse, 1, decimal.HalfEven)
	return r
}

// RiverStatus is the qualitative status of a river, basin or set of
// sections by the 2011 method §4.3, with 5 or more sections, by the
// proportion rule on exact proportions: 优 I–III ≥ 90 %; 良好 75 % ≤ I–III
// < 90 %; below 75 %, 轻度污染 if 劣V < 20 %, 中度污染 if 20 % ≤ 劣V < 40 %,
// 重度污染 if 劣V ≥ 40 %. Some copies of the table write "I–III < 60 %"
// for 重度污染, which leaves I–III in [60 %, 75 %) with 劣V ≥ 40 % in no
// row; the Shenzhen Ecology and Environment Bureau's published statement of
// the method writes "< 75 %", a complete partition, and that is used here.
// With fewer than 5 sections the method averages each item over the
// sections and classifies the mean: use RiverStatusByMean.
func RiverStatus(classes []Class) (string, SetRatios, error) {
	r := Ratios(classes)
	if r.Sections < 5 {
		return "", r, fmt.Errorf("water: %d sections: fewer than 5 use the mean rule (RiverStatusByMean)", r.Sections)
	}
	p := func(n int64) *big.Rat { return big.NewRat(n, 1) }
	switch {
	case r.good.Cmp(p(90)) >= 0:
		return "优", r, nil
	case r.good.Cmp(p(75)) >= 0:
		return "良好", r, nil
	case r.worse.Cmp(p(20)) < 0:
		return "轻度污染", r, nil
	case r.worse.Cmp(p(40)) < 0:
		return "中度污染", r, nil
	}
	return "重度污染", r, nil
}

// RiverStatusByMean is the < 5 sections rule: the mean of each item over
// the sections, classified by the single-factor method.
func RiverStatusByMean(sections []Sample, b Body) Evaluation {
	m := Mean(sections)
	return Evaluate(&m, b)
}

// DrinkingCompliant says whether a surface drinking-water source sample
// meets Class III for every counted basic item it has (GB 3838-2002 §5.2;
// total nitrogen excluded). The supplementary (Table 2) and specific
// (Table 3) items are not implemented; the caller must judge them. It
// returns the failing items.
func DrinkingCompliant(s *Sample, b Body) (bool, []Item) {
	e := Evaluate(s, b)
	var bad []Item
	for _, it := range e.Items {
		if it.Counted && it.Class > ClassIII {
			bad = append(bad, it.Item)
		}
	}
	return len(bad) == 0, bad
}

// ComplianceRate is compliant sources over evaluated sources in %, 1
// decimal (GB/T 8170), by number of sources.
func ComplianceRate(compliant, total int) (decimal.Decimal, error) {
	if total <= 0 || compliant < 0 || compliant > total {
		return decimal.Decimal{}, fmt.Errorf("water: compliance %d of %d", compliant, total)
	}
	return decimal.RoundRat(big.NewRat(int64(compliant)*100, int64(total)), 1, decimal.HalfEven)
}
