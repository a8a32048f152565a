package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"ecowatch/registry"
	"ecowatch/seed"
)

// RegistryTables are the tables WriteRegistry can print, in import order.
var RegistryTables = []string{"enterprises", "points", "devices", "limits"}

// simRegion is Changsha (430100), where simulated points are placed.
const simRegion = "430100"

// simCounties returns simRegion's county-level divisions. A simulated
// enterprise and its outlets are registered in one of them, in turn, as a
// real discharger is; stations stay at the city, where the city average
// and the national release place them.
func simCounties() ([]string, error) {
	all, err := seed.Counties()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range all {
		if c.ParentCode == simRegion {
			out = append(out, c.Code)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("sim: no county-level divisions of %s in the seed data", simRegion)
	}
	return out, nil
}

// enterpriseCode returns a valid unified social credit code (GB 32100-2015)
// for the simulated enterprise of a device.
func enterpriseCode(i int) (string, error) {
	first := fmt.Sprintf("91%s%09d", simRegion, i+1)
	c, err := registry.CreditCodeCheck(first)
	if err != nil {
		return "", err
	}
	return first + string(c), nil
}

// pointKind maps a profile to the registry's point kind.
func pointKind(k Kind) registry.PointKind {
	switch k {
	case FlueGas:
		return registry.KindGasOutlet
	case Wastewater:
		return registry.KindWaterOutlet
	case AirStation:
		return registry.KindAirStation
	}
	return registry.KindWaterStation
}

func hasEnterprise(k Kind) bool { return k == FlueGas || k == Wastewater }

// outletLimit is an emission limit of a simulated outlet's factor.
type outletLimit struct {
	factor, limit, standard, validFrom, referenceO2 string
}

// outletLimits are the limits printed for each outlet kind, so simulated
// outlets have limit lines and exceedances (the profiles' Limit values are
// these numbers).
//
// The coal unit (FlueGas, mg/m³ at 6 % O2, the reference oxygen of GB
// 13223-2011 §5.2 for solid-fuel boilers): the ultra-low emission limits SO2
// 35, NOx (as NO2) 50 and particulate matter 10. These are not in GB
// 13223-2011 itself (its Table 2 special limits are 50, 100 and 20): they
// come from the 2015 ultra-low emission plan for coal power units
// (环发〔2015〕164号), which measures them on the basis of GB 13223-2011;
// valid from that plan's date.
//
// The wastewater outlet (mg/L): GB 8978-1996 Table 4 (units built from
// 1998-01-01), grade 1, other dischargers: COD 100, NH3-N 15, phosphate
// (as P) 0.5. GB 8978-1996 sets no total-nitrogen limit, so w21001 gets
// none here.
var outletLimits = map[Kind][]outletLimit{
	FlueGas: {
		{"a21026", "35", "GB 13223-2011 超低排放 (环发〔2015〕164号)", "2015-12-11", "6"},
		{"a21002", "50", "GB 13223-2011 超低排放 (环发〔2015〕164号)", "2015-12-11", "6"},
		{"a34013", "10", "GB 13223-2011 超低排放 (环发〔2015〕164号)", "2015-12-11", "6"},
	},
	Wastewater: {
		{"w01018", "100", "GB 8978-1996 一级", "1998-01-01", ""},
		{"w21003", "15", "GB 8978-1996 一级", "1998-01-01", ""},
		{"w21011", "0.5", "GB 8978-1996 一级", "1998-01-01", ""},
	},
}

// WriteRegistry prints one table of the simulated fleet as a CSV that
// `ecowatch registry import` reads (the importer's column names): the
// enterprises of the outlets, the points, the devices, or the outlets'
// emission limits. Import them in the
// order of RegistryTables.
func WriteRegistry(w io.Writer, specs []Spec, table string) error {
	cw := csv.NewWriter(w)
	counties, err := simCounties()
	if err != nil {
		return err
	}
	// regionOf is where spec i is registered: its enterprise's county, or
	// the city for a station.
	regionOf := func(i int) string {
		if hasEnterprise(specs[i].Kind) {
			return counties[i%len(counties)]
		}
		return simRegion
	}
	switch table {
	case "enterprises":
		_ = cw.Write([]string{"credit_code", "name", "region_code"})
		for i, s := range specs {
			if !hasEnterprise(s.Kind) {
				continue
			}
			code, err := enterpriseCode(i)
			if err != nil {
				return err
			}
			_ = cw.Write([]string{code, fmt.Sprintf("模拟企业%d (simulated)", i+1), regionOf(i)})
		}
	case "points":
		_ = cw.Write([]string{"point_code", "name", "kind", "region_code", "enterprise_code", "factors"})
		for i, s := range specs {
			p, _ := ProfileFor(s.Kind)
			codes := make([]string, len(p.Factors))
			for j, f := range p.Factors {
				codes[j] = f.Code
			}
			ent := ""
			if hasEnterprise(s.Kind) {
				var err error
				if ent, err = enterpriseCode(i); err != nil {
					return err
				}
			}
			_ = cw.Write([]string{s.Point, p.Name + " " + s.Point, string(pointKind(s.Kind)), regionOf(i), ent, strings.Join(codes, ";")})
		}
	case "devices":
		_ = cw.Write([]string{"mn", "protocol_version", "state", "password", "quirks", "point_code"})
		for _, s := range specs {
			_ = cw.Write([]string{s.MN, "HJ212-2017", string(registry.DeviceActive), s.PW, "", s.Point})
		}
	case "limits":
		_ = cw.Write([]string{"point_code", "factor", "limit", "standard", "valid_from", "valid_to", "reference_o2"})
		for _, s := range specs {
			for _, l := range outletLimits[s.Kind] {
				_ = cw.Write([]string{s.Point, l.factor, l.limit, l.standard, l.validFrom, "", l.referenceO2})
			}
		}
	default:
		return fmt.Errorf("sim: unknown registry table %q (want one of %s)", table, strings.Join(RegistryTables, ", "))
	}
	cw.Flush()
	return cw.Error()
}
