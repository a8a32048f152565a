package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"ecowatch/registry"
)

// RegistryTables are the tables WriteRegistry can print, in import order.
var RegistryTables = []string{"enterprises", "points", "devices"}

// simRegion is Changsha (430100), where simulated points are placed.
const simRegion = "430100"

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

// WriteRegistry prints one table of the simulated fleet as a CSV that
// `ecowatch registry import` reads (the importer's column names): the
// enterprises of the outlets, the points, or the devices. Import them in the
// order of RegistryTables.
func WriteRegistry(w io.Writer, specs []Spec, table string) error {
	cw := csv.NewWriter(w)
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
			_ = cw.Write([]string{code, fmt.Sprintf("模拟企业%d (simulated)", i+1), simRegion})
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
			_ = cw.Write([]string{s.Point, p.Name + " " + s.Point, string(pointKind(s.Kind)), simRegion, ent, strings.Join(codes, ";")})
		}
	case "devices":
		_ = cw.Write([]string{"mn", "protocol_version", "state", "password", "quirks", "point_code"})
		for _, s := range specs {
			_ = cw.Write([]string{s.MN, "HJ212-2017", string(registry.DeviceActive), s.PW, "", s.Point})
		}
	default:
		return fmt.Errorf("sim: unknown registry table %q (want one of %s)", table, strings.Join(RegistryTables, ", "))
	}
	cw.Flush()
	return cw.Error()
}
