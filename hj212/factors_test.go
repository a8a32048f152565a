package hj212

import "testing"

// The 2005 → 2017 pairs of the reference §1.10 (tables B.1 and B.2).
func TestFactor2005Map(t *testing.T) {
	pairs := map[string]string{
		"B01": "w00000", "001": "w01001", "011": "w01018", "060": "w21003", "101": "w21011",
		"065": "w21001", "003": "w01012", "010": "w01017", "015": "w01020", "080": "w22001",
		"022": "w20115", "023": "w20116", "024": "w20117", "026": "w20119", "027": "w20120", "020": "w20111",
		"B02": "a00000", "01": "a34013", "02": "a21026", "03": "a21002", "04": "a21005", "10": "a21001",
		"08": "a21024", "30": "a05001", "S01": "a19001", "S02": "a01011", "S03": "a01012", "S04": "a01017",
		"S05": "a01014", "S07": "a01016", "S08": "a01013",
	}
	for old, want := range pairs {
		f, ok := LookupFactor2005(old)
		if !ok || f.Code != want {
			t.Errorf("2005 %s → %q (%v), reference says %s", old, f.Code, ok, want)
		}
	}
	n := 0
	for _, f := range Factors() {
		if f.Code2005 != "" {
			n++
		}
	}
	if n != len(pairs) {
		t.Errorf("%d factors carry a 2005 code, the reference maps %d", n, len(pairs))
	}
}

func TestFactorTable(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Factors() {
		if seen[f.Code] {
			t.Errorf("duplicate code %s", f.Code)
		}
		seen[f.Code] = true
		if f.NameZH == "" || f.Name == "" || f.Table == "" {
			t.Errorf("%s lacks a name or table: %+v", f.Code, f)
		}
		if !codeShape(f.Code) {
			t.Errorf("%s is not shaped as a code Decode accepts", f.Code)
		}
	}
	// O3 is missing from B.2 but used by stations (reference §1.10).
	if f, ok := LookupFactor("a05024"); !ok || f.Name != "O3" {
		t.Errorf("a05024 = %+v, %v; want O3", f, ok)
	}
	if _, ok := LookupFactor("O3"); ok {
		t.Error("O3 is an invented code, not a 2017 one")
	}
}

func TestCommandAndSystemTables(t *testing.T) {
	// Directions from reference §1.5/§1.6.
	want := map[string][2]Role{
		"2011": {RoleRequest, RoleUpload}, "2012": {RoleNotification, RoleNone},
		"1013": {RoleNone, RoleNotification}, "1062": {RoleRequest, RoleNone},
		"2061": {RoleRequest, RoleUpload}, "2081": {RoleNone, RoleUpload},
		"3020": {RoleRequest, RoleUpload}, "9014": {RoleAnswer, RoleAnswer},
		"9015": {RoleNone, RoleNotification}, "2072": {RoleNone, RoleUpload},
	}
	for cn, w := range want {
		c, ok := LookupCommand(cn)
		if !ok || c.FromPlatform != w[0] || c.FromDevice != w[1] {
			t.Errorf("CN %s: %v/%v (%v), want %v/%v", cn, c.FromPlatform, c.FromDevice, ok, w[0], w[1])
		}
	}
	prev := ""
	for _, c := range Commands() {
		if c.CN <= prev || len(c.CN) != 4 || c.NameZH == "" || len(c.Versions) == 0 {
			t.Errorf("command %+v out of order or incomplete", c)
		}
		prev = c.CN
	}
	if s, ok := LookupSystem("31"); !ok || s.Name != "air pollution source" {
		t.Errorf("ST 31 = %+v", s)
	}
	if f, ok := LookupDataFlag("B", V2017); !ok || f.Name != "instrument-DAU communication error" {
		t.Errorf("flag B 2017 = %+v", f)
	}
	// 2017 removed P and added B (reference §1.11).
	if _, ok := LookupDataFlag("P", V2017); ok {
		t.Error("P is not a 2017 flag")
	}
	if _, ok := LookupDataFlag("B", V2005); ok {
		t.Error("B is not a 2005 flag")
	}
	if _, ok := LookupDataFlag("P", V2005); !ok {
		t.Error("P is a 2005 flag")
	}
}
