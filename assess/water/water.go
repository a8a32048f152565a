// Package water classifies surface water by GB 3838-2002 and evaluates
// sections, periods, sets of sections and rivers by the 《地表水环境质量
// 评价办法（试行）》 (环办〔2011〕22号, "the 2011 method"). It is pure
// computation with exact decimal arithmetic.
//
// Example:
//
//	var s water.Sample
//	s.Set(water.NH3N, decimal.MustParse("1.2"))  // Class IV (III limit 1.0)
//	s.Set(water.DO, decimal.MustParse("6.5"))    // Class II (DO is a lower limit)
//	e := water.Evaluate(&s, water.River)
//	fmt.Println(e.Class, e.Status)               // IV 轻度污染
//	fmt.Println(e.MainPollutants[0].Multiple)    // 0.20 = (1.2 − 1.0)/1.0
package water

import (
	"fmt"
	"math/big"
	"strings"

	"ecowatch/assess/decimal"
)

// Item is a water-quality item of GB 3838-2002 Table 1 (and the
// automatic stations' conductivity and turbidity, which are reported only).
type Item uint8

// The items. The first 21 after Temperature are the basic items the 2011
// method counts in the section class; Temperature, TN and FecalColiform
// are reported but not counted; Conductivity and Turbidity have no limit.
const (
	Temperature Item = iota
	PH
	DO
	CODMn
	COD
	BOD5
	NH3N
	TP
	TN
	Cu
	Zn
	Fluoride
	Se
	As
	Hg
	Cd
	Cr6
	Pb
	Cyanide
	Phenol
	Petroleum
	LAS
	Sulfide
	FecalColiform
	Conductivity
	Turbidity
	NumItems
)

var itemInfo = [NumItems]struct {
	code, zh string
	limits   [5]string // Class I..V; "" for none
	counted  bool      // in the section class (2011 method)
}{
	Temperature:   {"temperature", "水温", [5]string{}, false},
	PH:            {"pH", "pH", [5]string{}, true},
	DO:            {"DO", "溶解氧", [5]string{"7.5", "6", "5", "3", "2"}, true},
	CODMn:         {"CODMn", "高锰酸盐指数", [5]string{"2", "4", "6", "10", "15"}, true},
	COD:           {"COD", "化学需氧量", [5]string{"15", "15", "20", "30", "40"}, true},
	BOD5:          {"BOD5", "五日生化需氧量", [5]string{"3", "3", "4", "6", "10"}, true},
	NH3N:          {"NH3-N", "氨氮", [5]string{"0.15", "0.5", "1.0", "1.5", "2.0"}, true},
	TP:            {"TP", "总磷", [5]string{"0.02", "0.1", "0.2", "0.3", "0.4"}, true},
	TN:            {"TN", "总氮", [5]string{"0.2", "0.5", "1.0", "1.5", "2.0"}, false},
	Cu:            {"Cu", "铜", [5]string{"0.01", "1.0", "1.0", "1.0", "1.0"}, true},
	Zn:            {"Zn", "锌", [5]string{"0.05", "1.0", "1.0", "2.0", "2.0"}, true},
	Fluoride:      {"F", "氟化物", [5]string{"1.0", "1.0", "1.0", "1.5", "1.5"}, true},
	Se:            {"Se", "硒", [5]string{"0.01", "0.01", "0.01", "0.02", "0.02"}, true},
	As:            {"As", "砷", [5]string{"0.05", "0.05", "0.05", "0.1", "0.1"}, true},
	Hg:            {"Hg", "汞", [5]string{"0.00005", "0.00005", "0.0001", "0.001", "0.001"}, true},
	Cd:            {"Cd", "镉", [5]string{"0.001", "0.005", "0.005", "0.005", "0.01"}, true},
	Cr6:           {"Cr6+", "六价铬", [5]string{"0.01", "0.05", "0.05", "0.05", "0.1"}, true},
	Pb:            {"Pb", "铅", [5]string{"0.01", "0.01", "0.05", "0.05", "0.1"}, true},
	Cyanide:       {"CN", "氰化物", [5]string{"0.005", "0.05", "0.2", "0.2", "0.2"}, true},
	Phenol:        {"phenol", "挥发酚", [5]string{"0.002", "0.002", "0.005", "0.01", "0.1"}, true},
	Petroleum:     {"petroleum", "石油类", [5]string{"0.05", "0.05", "0.05", "0.5", "1.0"}, true},
	LAS:           {"LAS", "阴离子表面活性剂", [5]string{"0.2", "0.2", "0.2", "0.3", "0.3"}, true},
	Sulfide:       {"sulfide", "硫化物", [5]string{"0.05", "0.1", "0.2", "0.5", "1.0"}, true},
	FecalColiform: {"fecal-coliform", "粪大肠菌群", [5]string{"200", "2000", "10000", "20000", "40000"}, false},
	Conductivity:  {"conductivity", "电导率", [5]string{}, false},
	Turbidity:     {"turbidity", "浊度", [5]string{}, false},
}

// lakeTP is the TP column for lakes and reservoirs (GB 3838-2002 Table 1,
// item 9, "湖、库").
var lakeTP = [5]string{"0.01", "0.025", "0.05", "0.1", "0.2"}

// String returns the item's code ("NH3-N").
func (i Item) String() string {
	if i < NumItems {
		return itemInfo[i].code
	}
	return fmt.Sprintf("Item(%d)", i)
}

// Chinese returns the item's name as the national automatic stations
// label it ("氨氮").
func (i Item) Chinese() string { return itemInfo[i].zh }

// Counted says whether the item is one of the 21 basic items the 2011
// method counts in the section class.
func (i Item) Counted() bool { return i < NumItems && itemInfo[i].counted }

// ParseItem accepts an item's code or Chinese name, as String and
// Chinese write them.
func ParseItem(s string) (Item, error) {
	s = strings.TrimSpace(s)
	for i := range NumItems {
		if strings.EqualFold(s, itemInfo[i].code) || s == itemInfo[i].zh {
			return i, nil
		}
	}
	return 0, fmt.Errorf("water: unknown item %q", s)
}

// Body is the water-body type of a section; it chooses the TP column.
type Body uint8

// Water-body types.
const (
	River Body = iota
	Lake       // lake or reservoir (湖、库)
)

// Class is a water-quality class; 0 means not classified.
type Class uint8

// The classes of GB 3838-2002 §4, and 劣V for worse than Class V.
const (
	ClassI Class = iota + 1
	ClassII
	ClassIII
	ClassIV
	ClassV
	WorseThanV // 劣V
)

// String returns "I" … "V" or "劣V"; "-" for no class.
func (c Class) String() string {
	switch {
	case c >= ClassI && c <= WorseThanV:
		return [...]string{"I", "II", "III", "IV", "V", "劣V"}[c-1]
	}
	return "-"
}

// Status is the 2011 method's qualitative status of a class: 优 for I–II,
// 良好 III, 轻度污染 IV, 中度污染 V, 重度污染 劣V (Table 1 of the method).
func (c Class) Status() string {
	switch c {
	case ClassI, ClassII:
		return "优"
	case ClassIII:
		return "良好"
	case ClassIV:
		return "轻度污染"
	case ClassV:
		return "中度污染"
	case WorseThanV:
		return "重度污染"
	}
	return ""
}

// Limit returns the limit of an item for a class and body, and false when
// there is none (pH, temperature, conductivity, turbidity).
func Limit(i Item, c Class, b Body) (decimal.Decimal, bool) {
	if i >= NumItems || c < ClassI || c > ClassV {
		return decimal.Decimal{}, false
	}
	col := itemInfo[i].limits
	if i == TP && b == Lake {
		col = lakeTP
	}
	if col[c-1] == "" {
		return decimal.Decimal{}, false
	}
	return decimal.MustParse(col[c-1]), true
}

var (
	ph6 = big.NewRat(6, 1)
	ph9 = big.NewRat(9, 1)
)

// ItemClass classifies one value exactly. Upper-limit items: the lowest
// class whose limit is ≥ the value (a value on the limit meets it, and
// equal limits collapse to the better class: COD 15 is Class I). DO is a
// lower limit: the lowest class whose limit is ≤ the value. pH inside
// 6–9 inclusive is Class I, outside it 劣V (GB 3838-2002 Table 1 item 2).
// Items without a limit return 0 and no error.
func ItemClass(i Item, b Body, v *big.Rat) (Class, error) {
	if i >= NumItems {
		return 0, fmt.Errorf("water: unknown item %d", i)
	}
	if v.Sign() < 0 {
		return 0, fmt.Errorf("water: %s value %s is negative", i, v.FloatString(4))
	}
	switch i {
	case PH:
		if v.Cmp(ph6) < 0 || v.Cmp(ph9) > 0 {
			return WorseThanV, nil
		}
		return ClassI, nil
	case Temperature, Conductivity, Turbidity:
		return 0, nil
	}
	for c := ClassI; c <= ClassV; c++ {
		l, _ := Limit(i, c, b)
		cmp := v.Cmp(l.Rat())
		if (i == DO && cmp >= 0) || (i != DO && cmp <= 0) {
			return c, nil
		}
	}
	return WorseThanV, nil
}
