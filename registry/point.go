package registry

import "strings"

// PointKind is what a monitoring point is.
type PointKind string

// Point kinds.
const (
	KindGasOutlet        PointKind = "gas_outlet"        // 废气排放口
	KindWaterOutlet      PointKind = "water_outlet"      // 废水排放口
	KindWorkingCondition PointKind = "working_condition" // 治污设施工况
	KindPowerUse         PointKind = "power_use"         // 治污设施用电
	KindAirStation       PointKind = "air_station"       // 环境空气监测站
	KindWaterSection     PointKind = "water_section"     // 地表水断面
	KindWaterStation     PointKind = "water_station"     // 水质自动站
	KindDrinkingSource   PointKind = "drinking_source"   // 集中式饮用水水源地
)

// PointKinds lists every kind, in the order forms show them.
var PointKinds = []PointKind{KindGasOutlet, KindWaterOutlet, KindWorkingCondition, KindPowerUse,
	KindAirStation, KindWaterSection, KindWaterStation, KindDrinkingSource}

// Level of an ambient station or water section in the assessment system.
const (
	National   = "national"   // 国控 / 国考
	Provincial = "provincial" // 省控 / 省考
)

// PointFactor is one factor a point monitors, with the unit its values
// come in.
type PointFactor struct {
	Code string // HJ 212 code
	Name string // optional display name
	Unit string // e.g. "mg/m3", "µg/m³", "m3/h"
}

// Point is a monitoring point: an outlet of an enterprise, a treatment
// facility's power-use or working-condition point, an ambient air station,
// a surface-water section or automatic station, or a drinking-water source.
type Point struct {
	Code           string // natural key, e.g. the national station code "1335A"
	Name           string
	Kind           PointKind
	RegionCode     string
	EnterpriseCode string // credit code of the owning enterprise; outlets and facility points only
	Lon, Lat       float64

	// Ambient air stations.
	Level         string // National or Provincial (stations and sections)
	Background    bool   // 对照点: left out of the city average
	InCityAverage bool   // counted in the city average

	// Surface water.
	WaterBody   string // "river" or "lake" (lakes and reservoirs)
	TargetClass int    // GB 3838-2002 class 1..5 the section must reach; 0 unknown

	Factors []PointFactor
}

// Validate checks the fields that depend on the kind.
func (p *Point) Validate() error {
	if strings.TrimSpace(p.Code) == "" {
		return invalid("point_code", "empty")
	}
	if strings.TrimSpace(p.Name) == "" {
		return invalid("name", "empty")
	}
	known := false
	for _, k := range PointKinds {
		known = known || k == p.Kind
	}
	if !known {
		return invalid("kind", "unknown point kind %q", p.Kind)
	}
	if _, err := LevelOf(p.RegionCode); err != nil {
		return err
	}
	if err := validateCoords(p.Lon, p.Lat); err != nil {
		return err
	}
	switch p.Kind {
	case KindGasOutlet, KindWaterOutlet, KindWorkingCondition, KindPowerUse:
		if p.EnterpriseCode == "" {
			return invalid("enterprise_code", "empty for a %s point", p.Kind)
		}
		if err := ValidateCreditCode(p.EnterpriseCode); err != nil {
			return &FieldError{Field: "enterprise_code", Reason: err.(*FieldError).Reason}
		}
	}
	if p.Level != "" && p.Level != National && p.Level != Provincial {
		return invalid("level", "%q is not national or provincial", p.Level)
	}
	if p.Background && p.InCityAverage {
		return invalid("in_city_average", "a background station (对照点) is never in the city average")
	}
	if p.WaterBody != "" && p.WaterBody != "river" && p.WaterBody != "lake" {
		return invalid("water_body", "%q is not river or lake", p.WaterBody)
	}
	if p.TargetClass < 0 || p.TargetClass > 5 {
		return invalid("target_class", "%d is not a GB 3838-2002 class 1..5", p.TargetClass)
	}
	seen := map[string]bool{}
	for _, f := range p.Factors {
		if err := ValidateFactorCode(f.Code); err != nil {
			return err
		}
		if seen[f.Code] {
			return invalid("factors", "factor %s listed twice", f.Code)
		}
		seen[f.Code] = true
	}
	return nil
}
