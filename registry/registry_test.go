package registry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLevelAndParent(t *testing.T) {
	// GB/T 2260 code structure: 2 digits province, 2 city, 2 county.
	for _, tc := range []struct {
		code   string
		level  RegionLevel
		parent string
	}{
		{"430000", LevelProvince, ""},
		{"430100", LevelCity, "430000"},
		{"430102", LevelCounty, "430100"},
	} {
		lv, err := LevelOf(tc.code)
		if err != nil || lv != tc.level || ParentOf(tc.code) != tc.parent {
			t.Errorf("%s: level %q parent %q err %v", tc.code, lv, ParentOf(tc.code), err)
		}
	}
	for _, bad := range []string{"", "43010", "43010a", "4301000"} {
		if _, err := LevelOf(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	r := Region{Code: "430100", Name: "长沙市", ParentCode: "440000"}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "parent_code") {
		t.Errorf("wrong parent: %v", err)
	}
}

func TestValidateRecords(t *testing.T) {
	o2 := 6.0
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"enterprise ok", (&Enterprise{CreditCode: "914403001922038216", Name: "x", RegionCode: "430102"}).Validate(), ""},
		{"enterprise bad code", (&Enterprise{CreditCode: "914403001922038217", Name: "x", RegionCode: "430102"}).Validate(), "credit_code"},
		{"enterprise bad lat", (&Enterprise{CreditCode: "914403001922038216", Name: "x", RegionCode: "430102", Lat: 91}).Validate(), "latitude"},
		{"outlet without enterprise", (&Point{Code: "P1", Name: "x", Kind: KindGasOutlet, RegionCode: "430102"}).Validate(), "enterprise_code"},
		{"background in average", (&Point{Code: "1", Name: "x", Kind: KindAirStation, RegionCode: "430100", Background: true, InCityAverage: true}).Validate(), "in_city_average"},
		{"class 6", (&Point{Code: "1", Name: "x", Kind: KindWaterSection, RegionCode: "430100", TargetClass: 6}).Validate(), "target_class"},
		{"duplicate factor", (&Point{Code: "1", Name: "x", Kind: KindAirStation, RegionCode: "430100", Factors: []PointFactor{{Code: "a21026"}, {Code: "a21026"}}}).Validate(), "factors"},
		{"device ok", (&Device{MN: "88888880000001", ProtocolVersion: "HJ212-2017", State: DeviceActive, PointCode: "P1"}).Validate(), ""},
		{"device unregistered without point", (&Device{MN: "88888880000001", ProtocolVersion: "HJ212-2017", State: DeviceUnregistered}).Validate(), ""},
		{"device active without point", (&Device{MN: "88888880000001", ProtocolVersion: "HJ212-2017", State: DeviceActive}).Validate(), "point_code"},
		{"device long MN", (&Device{MN: strings.Repeat("1", 25), ProtocolVersion: "HJ212-2017", State: DeviceUnregistered}).Validate(), "mn"},
		{"device quirk", (&Device{MN: "1", ProtocolVersion: "HJ212-2017", State: DeviceUnregistered, Quirks: []string{"lowercase-crc", "crc-lowercase"}}).Validate(), "quirks"},
		{"device quirks ok", (&Device{MN: "1", ProtocolVersion: "HJ212-2017", State: DeviceUnregistered, Quirks: []string{"lowercase-crc", "terminator"}}).Validate(), ""},
		{"device version", (&Device{MN: "1", ProtocolVersion: "HJ212", State: DeviceUnregistered}).Validate(), "protocol_version"},
		{"limit ok", (&Limit{PointCode: "P", Factor: "a21026", Value: 35, ReferenceO2: &o2, Standard: "超低排放", ValidFrom: day}).Validate(), ""},
		{"limit O2", (&Limit{PointCode: "P", Factor: "a21026", Value: 35, ReferenceO2: func() *float64 { v := 21.0; return &v }(), Standard: "s", ValidFrom: day}).Validate(), "reference_o2"},
		{"limit interval", (&Limit{PointCode: "P", Factor: "a21026", Value: 35, Standard: "s", ValidFrom: day, ValidTo: day}).Validate(), "valid_to"},
		{"target comparison", (&Target{RegionCode: "430000", Year: 2020, Indicator: "x", Comparison: "eq"}).Validate(), "comparison"},
	} {
		var fe *FieldError
		switch {
		case tc.field == "" && tc.err != nil:
			t.Errorf("%s: %v", tc.name, tc.err)
		case tc.field != "" && (!errors.As(tc.err, &fe) || fe.Field != tc.field || !errors.Is(tc.err, ErrInvalid)):
			t.Errorf("%s: err = %v, want a FieldError on %s", tc.name, tc.err, tc.field)
		}
	}
}
