package opendata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Resource is a kind of public record.
type Resource string

// The public resources.
const (
	Station     Resource = "station"     // ambient air station
	Section     Resource = "section"     // water section, automatic water station, drinking-water source
	Enterprise  Resource = "enterprise"  // an enterprise's public identity
	Outlet      Resource = "outlet"      // an enterprise's outlet
	Measurement Resource = "measurement" // one factor at one point in one interval
	PointKind   Resource = "point_kind"  // whose measurements are published, by point kind
	AQI         Resource = "aqi"         // an hour's or a day's AQI of a station or a city
	Assessment  Resource = "assessment"  // a water section's class in a period
)

// FieldSpec is one field a resource may publish and whether it does by
// default.
type FieldSpec struct {
	Name   string
	Public bool
	Note   string
}

// Fields declares every field a public record can ever hold, in column
// order. A field missing here is never published whatever the policy
// says; the private ones (contacts, telephone numbers, internal notes,
// device MN and password, requesters' e-mail) are in Never so that asking
// to publish them is an error rather than silently ignored.
//
// Defaults follow what Chinese law already makes public: an enterprise's
// name, credit code, address, industry and discharge permit number are on
// the national discharge-permit platform (排污许可管理条例 §23), and key
// units must publish their automatic monitoring data (企业环境信息依法披露
// 管理办法); working-condition and power-use points watch treatment
// equipment, are not emission data, and stay internal by default.
var Fields = map[Resource][]FieldSpec{
	Station: {
		{"code", true, ""}, {"name", true, ""}, {"region", true, ""}, {"city", true, ""},
		{"lon", true, ""}, {"lat", true, ""}, {"level", true, "national or provincial"},
		{"background", true, "对照点, left out of the city average"},
	},
	Section: {
		{"code", true, ""}, {"name", true, ""}, {"kind", true, ""}, {"region", true, ""}, {"city", true, ""},
		{"lon", true, ""}, {"lat", true, ""}, {"level", true, ""}, {"water_body", true, "river or lake"},
		{"target_class", true, "GB 3838-2002 class the section must reach"},
	},
	Enterprise: {
		{"credit_code", true, ""}, {"name", true, ""}, {"region", true, ""}, {"city", true, ""},
		{"industry_code", true, "GB/T 4754"}, {"address", true, ""}, {"lon", true, ""}, {"lat", true, ""},
		{"key_units", true, ""}, {"permit_number", true, ""},
	},
	Outlet: {
		{"code", true, ""}, {"name", true, ""}, {"kind", true, ""}, {"lon", true, ""}, {"lat", true, ""},
	},
	Measurement: {
		{"point", true, ""}, {"factor", true, ""}, {"kind", true, "hour or day"}, {"time", true, "interval start, RFC 3339 in UTC+8"},
		{"avg", true, ""}, {"min", true, ""}, {"max", true, ""}, {"cou", true, "cumulative amount"},
		{"zs_avg", true, "O2-converted (折算)"}, {"zs_min", true, ""}, {"zs_max", true, ""},
		{"flag", true, "HJ 212 data flag"}, {"rules", true, "the rule set the value is judged by"},
	},
	AQI: {
		{"area", true, "station or city code"}, {"time", true, ""}, {"kind", true, "hour or day"}, {"aqi", true, "empty when not published (NA)"},
		{"level", true, "HJ 633 level 1..6"}, {"category", true, ""}, {"category_en", true, ""}, {"color", true, ""},
		{"primary_pollutant", true, ""}, {"values", true, "concentrations by indicator"}, {"rules", true, "HJ 633 rule set"},
	},
	Assessment: {
		{"section", true, ""}, {"period", true, "day or month"}, {"start", true, ""}, {"hours", true, "hourly samples in the mean"},
		{"class", true, "GB 3838-2002 class of the period mean"}, {"status", true, ""}, {"main_pollutants", true, ""},
		{"target_class", true, ""}, {"attained", true, ""}, {"rules", true, ""},
	},
	PointKind: {
		{"air_station", true, ""}, {"water_section", true, ""}, {"water_station", true, ""}, {"drinking_source", true, ""},
		{"gas_outlet", true, ""}, {"water_outlet", true, ""},
		{"working_condition", false, "treatment equipment state, internal"}, {"power_use", false, "treatment equipment power, internal"},
	},
}

// Never lists fields that exist in the registry or the accounts and are
// never published, with the reason an error gives.
var Never = map[string]string{
	"enterprise.contact":       "a person's name (personal information)",
	"enterprise.contact_phone": "a personal telephone number",
	"device.mn":                "a device's identity, usable to impersonate it",
	"device.password":          "a device's access password",
	"key.email":                "a requester's e-mail (personal information)",
	"note":                     "internal notes",
}

// Policy says which declared fields are published.
type Policy struct {
	public map[Resource]map[string]bool
}

// DefaultPolicy publishes each field by its FieldSpec default.
func DefaultPolicy() *Policy {
	p := &Policy{public: map[Resource]map[string]bool{}}
	for r, fs := range Fields {
		p.public[r] = map[string]bool{}
		for _, f := range fs {
			p.public[r][f.Name] = f.Public
		}
	}
	return p
}

// ParsePolicy reads changes to the default policy: comma-separated
// resource.field=public|hidden, e.g.
// "enterprise.address=hidden,point_kind.power_use=public". Unknown
// fields and the fields of Never are errors.
func ParsePolicy(s string) (*Policy, error) {
	p := DefaultPolicy()
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || (v != "public" && v != "hidden") {
			return nil, fmt.Errorf("opendata policy %q: want resource.field=public or resource.field=hidden", kv)
		}
		if why, never := Never[k]; never {
			return nil, fmt.Errorf("opendata policy %q: %s is never published: %s", kv, k, why)
		}
		res, field, _ := strings.Cut(k, ".")
		fs, ok := p.public[Resource(res)]
		if !ok {
			return nil, fmt.Errorf("opendata policy %q: unknown resource %q (want one of %s)", kv, res, strings.Join(resourceNames(), ", "))
		}
		if _, ok := fs[field]; !ok {
			return nil, fmt.Errorf("opendata policy %q: %s has no field %q (fields: %s)", kv, res, field, strings.Join(FieldNames(Resource(res)), ", "))
		}
		fs[field] = v == "public"
	}
	return p, nil
}

func resourceNames() []string {
	var out []string
	for r := range Fields {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return out
}

// FieldNames lists the declared fields of a resource in column order.
func FieldNames(r Resource) []string {
	var out []string
	for _, f := range Fields[r] {
		out = append(out, f.Name)
	}
	return out
}

// Allows reports whether the policy publishes a field of a resource.
func (p *Policy) Allows(r Resource, field string) bool { return p.public[r][field] }

// Columns are the published fields of a resource in column order.
func (p *Policy) Columns(r Resource) []string {
	var out []string
	for _, f := range Fields[r] {
		if p.public[r][f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}

// PolicyView is the policy as the API shows it.
type PolicyView struct {
	Resource string `json:"resource"`
	Field    string `json:"field"`
	Public   bool   `json:"public"`
	Note     string `json:"description"`
}

// View lists every declared field and whether it is published.
func (p *Policy) View() []PolicyView {
	var out []PolicyView
	for _, r := range resourceNames() {
		for _, f := range Fields[Resource(r)] {
			out = append(out, PolicyView{Resource: r, Field: f.Name, Public: p.public[Resource(r)][f.Name], Note: f.Note})
		}
	}
	return out
}

// Record is a public record: fields in column order, only those the
// policy publishes. It marshals as a JSON object in that order.
type Record struct {
	p      *Policy
	res    Resource
	names  []string
	values []any
}

// New starts a record of a resource under the policy.
func (p *Policy) New(r Resource) *Record { return &Record{p: p, res: r} }

// Set adds a field if the policy publishes it; any other is dropped, so
// an undeclared or hidden field never reaches a response.
func (rec *Record) Set(name string, v any) *Record {
	if rec.p.Allows(rec.res, name) {
		rec.names = append(rec.names, name)
		rec.values = append(rec.values, v)
	}
	return rec
}

// Get returns a field's value.
func (rec *Record) Get(name string) (any, bool) {
	i := slices.Index(rec.names, name)
	if i < 0 {
		return nil, false
	}
	return rec.values[i], true
}

// Names are the fields the record holds.
func (rec *Record) Names() []string { return slices.Clone(rec.names) }

// MarshalJSON writes the fields as an object, in column order.
func (rec *Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range rec.names {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(rec.values[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
