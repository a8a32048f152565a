// Package registry holds the domain model of who is monitored, where, by
// which device and against which limits: regions, departments, enterprises,
// monitoring points, devices, emission limits and targets.
//
// The types are plain values with a Validate method each; storage lives in
// package store. Natural keys identify every record across imports: a
// region's GB/T 2260 code, an enterprise's unified social credit code
// (GB 32100-2015), a point's code, a device's MN.
//
// Example:
//
//	if err := registry.ValidateCreditCode("91350100M000100Y43"); err != nil {
//		// err says which character is wrong and what was expected
//	}
//	e := registry.Enterprise{CreditCode: "91350100M000100Y43", Name: "某电厂", RegionCode: "430102"}
//	err := e.Validate()
package registry

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"ecowatch/hj212"
)

// ErrInvalid is wrapped by every validation error of this package, so a
// caller can tell bad input from a storage failure with errors.Is.
var ErrInvalid = errors.New("invalid")

// FieldError says which field of a record is wrong and why.
type FieldError struct {
	Field  string // the field's name as used in imports (e.g. "credit_code")
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// RegionLevel is a region's place in the administrative hierarchy.
type RegionLevel string

// Region levels as GB/T 2260 structures codes: province (xx0000),
// prefecture-level city (xxyy00) and county-level division (xxyyzz).
const (
	LevelProvince RegionLevel = "province"
	LevelCity     RegionLevel = "city"
	LevelCounty   RegionLevel = "county"
)

// Region is an administrative division identified by its GB/T 2260 code.
type Region struct {
	Code       string      // six digits, e.g. "430100"
	Name       string      // e.g. "长沙市"
	Level      RegionLevel // derived from the code by LevelOf
	ParentCode string      // empty for a province
	Outline    []byte      // GeoJSON geometry, may be empty
}

// LevelOf derives a region's level from its GB/T 2260 code: the last four
// digits zero mean a province, the last two a prefecture-level city.
func LevelOf(code string) (RegionLevel, error) {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", invalid("region_code", "%q is not six digits (GB/T 2260)", code)
	}
	switch {
	case code[2:] == "0000":
		return LevelProvince, nil
	case code[4:] == "00":
		return LevelCity, nil
	default:
		return LevelCounty, nil
	}
}

// ParentOf returns the code of the region directly above code, or "" for
// a province.
func ParentOf(code string) string {
	lv, err := LevelOf(code)
	if err != nil {
		return ""
	}
	switch lv {
	case LevelCity:
		return code[:2] + "0000"
	case LevelCounty:
		return code[:4] + "00"
	}
	return ""
}

// Validate checks the code, the name and that level and parent agree with
// the code.
func (r *Region) Validate() error {
	lv, err := LevelOf(r.Code)
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.Name) == "" {
		return invalid("name", "empty")
	}
	if r.Level == "" {
		r.Level = lv
	} else if r.Level != lv {
		return invalid("level", "%q disagrees with code %s (level %s)", r.Level, r.Code, lv)
	}
	if p := ParentOf(r.Code); r.ParentCode == "" {
		r.ParentCode = p
	} else if r.ParentCode != p {
		return invalid("parent_code", "%q is not the parent of %s (want %q)", r.ParentCode, r.Code, p)
	}
	return nil
}

// Department is a provincial department or office named as lead department
// or responsible unit (牵头单位/责任单位) in a work plan.
type Department struct {
	Code string // short stable key, e.g. "hn-sthjt"
	Name string // e.g. "省生态环境厅"
}

// Validate checks that both fields are present.
func (d *Department) Validate() error {
	if strings.TrimSpace(d.Code) == "" {
		return invalid("code", "empty")
	}
	if strings.TrimSpace(d.Name) == "" {
		return invalid("name", "empty")
	}
	return nil
}

// KeyUnit is a category of the key-discharger list (重点排污单位).
type KeyUnit string

// The key-unit categories.
const (
	KeyUnitWater KeyUnit = "water" // 水环境重点排污单位
	KeyUnitAir   KeyUnit = "air"   // 大气环境重点排污单位
	KeyUnitSoil  KeyUnit = "soil"  // 土壤环境污染重点监管单位
	KeyUnitNoise KeyUnit = "noise" // 声环境重点排污单位
	KeyUnitOther KeyUnit = "other" // 其他重点排污单位
)

// ParseKeyUnit accepts the English name or the Chinese single-character
// short form (水, 大气, 土壤, 声, 其他).
func ParseKeyUnit(s string) (KeyUnit, error) {
	switch strings.TrimSpace(s) {
	case "water", "水":
		return KeyUnitWater, nil
	case "air", "大气", "气":
		return KeyUnitAir, nil
	case "soil", "土壤", "土":
		return KeyUnitSoil, nil
	case "noise", "声":
		return KeyUnitNoise, nil
	case "other", "其他":
		return KeyUnitOther, nil
	}
	return "", invalid("key_units", "unknown key-unit category %q (want water, air, soil, noise or other)", s)
}

// Enterprise is a regulated discharger (排污单位).
type Enterprise struct {
	CreditCode   string // unified social credit code, GB 32100-2015
	Name         string
	RegionCode   string // the county (or city) it is registered in
	IndustryCode string // GB/T 4754 industry code, e.g. "4411"
	Address      string
	Lon, Lat     float64 // WGS 84 degrees; 0, 0 when unknown
	KeyUnits     []KeyUnit
	PermitNumber string // discharge permit number (排污许可证编号)
	Contact      string
	ContactPhone string
}

// Validate checks the credit code's check character, the region code and
// the coordinates.
func (e *Enterprise) Validate() error {
	if err := ValidateCreditCode(e.CreditCode); err != nil {
		return err
	}
	if strings.TrimSpace(e.Name) == "" {
		return invalid("name", "empty")
	}
	if _, err := LevelOf(e.RegionCode); err != nil {
		return err
	}
	if err := validateCoords(e.Lon, e.Lat); err != nil {
		return err
	}
	for _, k := range e.KeyUnits {
		if _, err := ParseKeyUnit(string(k)); err != nil {
			return err
		}
	}
	return nil
}

func validateCoords(lon, lat float64) error {
	if lon < -180 || lon > 180 {
		return invalid("longitude", "%v is outside -180..180", lon)
	}
	if lat < -90 || lat > 90 {
		return invalid("latitude", "%v is outside -90..90", lat)
	}
	return nil
}

// DeviceState is the administrative state of a data acquisition unit.
type DeviceState string

// Device states. A frame from an unregistered device is archived but its
// values are not stored until an operator registers it.
const (
	DeviceActive       DeviceState = "active"
	DeviceSuspended    DeviceState = "suspended"
	DeviceUnregistered DeviceState = "unregistered"
)

// Device is a data acquisition unit (数采仪) speaking HJ 212.
type Device struct {
	MN              string   // unique equipment number (HJ 212 field MN)
	Password        string   // access password (HJ 212 field PW)
	ProtocolVersion string   // "HJ212-2017" or "HJ212-2005"
	Quirks          []string // hj212 quirk names this device is allowed (hj212.ParseQuirks), e.g. "lowercase-crc"
	PointCode       string   // the point it serves; empty while unregistered
	State           DeviceState
}

// Validate checks the MN (HJ 212-2017 6.3.2: up to 24 characters of
// letters and digits), the protocol version and the state.
func (d *Device) Validate() error {
	if d.MN == "" || len(d.MN) > 24 {
		return invalid("mn", "%q must be 1 to 24 characters (HJ 212-2017 6.3.2)", d.MN)
	}
	for _, c := range d.MN {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return invalid("mn", "%q has a character other than letters and digits", d.MN)
		}
	}
	if len(d.Password) > 9 {
		return invalid("password", "longer than 9 characters (HJ 212-2017 6.3.2 PW)")
	}
	for _, q := range d.Quirks {
		if _, ok := hj212.ParseQuirks(q); !ok || q == "" {
			return invalid("quirks", "%q is not an hj212 quirk name (e.g. lowercase-crc, terminator, spaces; see hj212.Quirk)", q)
		}
	}
	switch d.ProtocolVersion {
	case "HJ212-2017", "HJ212-2005":
	default:
		return invalid("protocol_version", "%q is not HJ212-2017 or HJ212-2005", d.ProtocolVersion)
	}
	switch d.State {
	case DeviceActive, DeviceSuspended:
		if d.PointCode == "" {
			return invalid("point_code", "empty for a %s device", d.State)
		}
	case DeviceUnregistered:
	default:
		return invalid("state", "%q is not active, suspended or unregistered", d.State)
	}
	return nil
}

// Limit is an emission limit of one factor at one point.
type Limit struct {
	PointCode   string
	Factor      string   // HJ 212 factor code, e.g. "a21026"
	Value       float64  // the limit, in the factor's unit at the point
	ReferenceO2 *float64 // reference O2 in %, where the standard converts to it
	Standard    string   // e.g. "GB 13223-2011" or "超低排放"
	ValidFrom   time.Time
	ValidTo     time.Time // zero: open-ended
}

// Validate checks the key fields and that the validity interval is ordered.
func (l *Limit) Validate() error {
	if l.PointCode == "" {
		return invalid("point_code", "empty")
	}
	if err := ValidateFactorCode(l.Factor); err != nil {
		return err
	}
	if l.Value < 0 {
		return invalid("limit", "%v is negative", l.Value)
	}
	if l.ReferenceO2 != nil && (*l.ReferenceO2 < 0 || *l.ReferenceO2 >= 21) {
		return invalid("reference_o2", "%v %% is outside 0..21", *l.ReferenceO2)
	}
	if strings.TrimSpace(l.Standard) == "" {
		return invalid("standard", "empty")
	}
	if l.ValidFrom.IsZero() {
		return invalid("valid_from", "empty")
	}
	if !l.ValidTo.IsZero() && !l.ValidTo.After(l.ValidFrom) {
		return invalid("valid_to", "%s is not after valid_from %s", l.ValidTo.Format(time.DateOnly), l.ValidFrom.Format(time.DateOnly))
	}
	return nil
}

// ValidateFactorCode checks the shape of an HJ 212 pollutant code: a
// letter followed by five digits (HJ 212-2017 appendix B), e.g. a21026,
// w01018; the shorter 2005 codes (e.g. "01", "B02") are accepted too.
func ValidateFactorCode(code string) error {
	if code == "" || len(code) > 6 {
		return invalid("factor", "%q is not an HJ 212 factor code", code)
	}
	for _, c := range code {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return invalid("factor", "%q is not an HJ 212 factor code", code)
		}
	}
	return nil
}

// Comparison says on which side of a target value the goal is met.
type Comparison string

// Comparisons.
const (
	AtMost  Comparison = "at_most"  // 以下 / 不超过
	AtLeast Comparison = "at_least" // 以上 / 达到 / 高于
)

// Target is an annual goal of one region for one indicator.
type Target struct {
	RegionCode string
	Year       int
	Indicator  string // stable key, e.g. "pm25_annual_mean"
	Name       string // as the plan words it
	Value      float64
	Unit       string // e.g. "µg/m³", "%", "days"
	Comparison Comparison
	Source     string // the document and clause
}

// Validate checks the key fields.
func (t *Target) Validate() error {
	if _, err := LevelOf(t.RegionCode); err != nil {
		return err
	}
	if t.Year < 1990 || t.Year > 2100 {
		return invalid("year", "%d is out of range", t.Year)
	}
	if t.Indicator == "" {
		return invalid("indicator", "empty")
	}
	if t.Comparison != AtMost && t.Comparison != AtLeast {
		return invalid("comparison", "%q is not at_most or at_least", t.Comparison)
	}
	return nil
}
