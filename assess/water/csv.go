package water

import (
	"fmt"
	"math/big"
	"strings"

	"ecowatch/assess/decimal"
)

// Layout maps a CSV header in the national automatic-station layout (one
// column per item, headed by its Chinese name: 水温, pH, 溶解氧, 电导率,
// 浊度, 高锰酸盐指数, 氨氮, 总磷, 总氮, …; codes such as "NH3-N" are also
// accepted) to items. A unit in brackets after the name ("氨氮(mg/L)") is
// ignored; other columns pass through.
type Layout struct {
	cols []int
	item []Item
	n    int
}

// NewLayout reads a header. A header without any item column is an
// error, and so is an item given twice.
func NewLayout(header []string) (*Layout, error) {
	l := &Layout{n: len(header)}
	seen := map[Item]bool{}
	for k, h := range header {
		name := strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if j := strings.IndexAny(name, "(（"); j > 0 {
			name = strings.TrimSpace(name[:j])
		}
		it, err := ParseItem(name)
		if err != nil {
			continue
		}
		if seen[it] {
			return nil, fmt.Errorf("water: item %s (%s) given twice", it, it.Chinese())
		}
		seen[it] = true
		l.cols = append(l.cols, k)
		l.item = append(l.item, it)
	}
	if len(l.cols) == 0 {
		return nil, fmt.Errorf("water: header has no water-quality item column (溶解氧, 氨氮, 总磷, …)")
	}
	return l, nil
}

// Row reads one record. Empty cells and "NA", "-" are missing; a value
// with an "L" suffix is below the detection limit it states and is taken
// as half that limit, and Sample.BelowDetection reports it. A value
// that is not a plain non-negative decimal is an error naming its column;
// the values read are still returned.
func (l *Layout) Row(header, rec []string) (Sample, error) {
	var s Sample
	if len(rec) != l.n {
		return s, fmt.Errorf("water: row has %d fields, header has %d", len(rec), l.n)
	}
	var errs []string
	for k, col := range l.cols {
		v := strings.TrimSpace(rec[col])
		switch v {
		case "", "NA", "-", "—", "--":
			continue
		}
		// Chinese monitoring reports write a result below the detection
		// limit as the limit followed by "L" ("0.01L"); it enters means as
		// half the limit (the common practice, reference §3.2, unconfirmed).
		below := strings.HasSuffix(v, "L") || strings.HasSuffix(v, "l")
		if below {
			v = v[:len(v)-1]
		}
		d, err := decimal.Parse(v)
		if err == nil && d.Sign() < 0 {
			err = fmt.Errorf("negative value")
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", header[col], err))
			continue
		}
		if below {
			s.SetRat(l.item[k], new(big.Rat).Quo(d.Rat(), big.NewRat(2, 1)))
			s.belowDL[l.item[k]] = true
			continue
		}
		s.Set(l.item[k], d)
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("water: %s", strings.Join(errs, "; "))
	}
	return s, nil
}
