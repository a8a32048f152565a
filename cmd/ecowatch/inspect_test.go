package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ecowatch/inspect"
	"ecowatch/registry"
	"ecowatch/store/sqlite"
)

// TestInspectDrawExportVerify: officers added and a draw made with the
// CLI; the exported record and snapshots verify; the snapshot files hash
// to the published hashes; a tampered pool or seed fails verification
// with the first difference named.
func TestInspectDrawExportVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []registry.Region{{Code: "430000", Name: "湖南省"}, {Code: "430100", Name: "长沙市"}, {Code: "430102", Name: "芙蓉区"}} {
		if err := st.UpsertRegion(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 30 {
		first := fmt.Sprintf("91430100MA%07d", i)
		c, _ := registry.CreditCodeCheck(first)
		e := registry.Enterprise{CreditCode: first + string(c), Name: fmt.Sprintf("企业%d", i), RegionCode: "430102", IndustryCode: "4411"}
		if i%3 == 0 {
			e.KeyUnits = []registry.KeyUnit{registry.KeyUnitWater}
		}
		if err := st.UpsertEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	for i := range 4 {
		out, code := userCLI(t, "", "inspect", "officer", fmt.Sprintf("officer%d", i), "--name", fmt.Sprintf("执法%d", i), "--region", "430100",
			"--certificate", fmt.Sprintf("湘%d", i), "--data-dir", dir)
		if code != 0 {
			t.Fatalf("officer (%d): %s", code, out)
		}
	}
	if out, code := userCLI(t, "", "inspect", "officer", "x", "--region", "43", "--data-dir", dir); code == 0 || !strings.Contains(out, "six-digit") {
		t.Errorf("bad officer accepted (%d): %s", code, out)
	}
	out, code := userCLI(t, "", "inspect", "draw", "--region", "430100", "--period", "2026Q4", "--groups", "key=0.3,general=0.1",
		"--teams", "2", "--seed", "福彩3D 2026-09-30 4 1 7", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("draw (%d): %s", code, out)
	}
	m := regexp.MustCompile(`draw (\d+) frozen: enterprise pool ([0-9a-f]{64}) \(30\), officer pool ([0-9a-f]{64}) \(4\)`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "5 enterprises, 2 teams") { // ceil(0.3×10) + ceil(0.1×20)
		t.Fatalf("draw output: %s", out)
	}
	if out, code := userCLI(t, "", "inspect", "draw", "--region", "430100", "--period", "2026Q4", "--groups", "key=0.3", "--teams", "3",
		"--data-dir", dir); code == 0 || !strings.Contains(out, "officers_short") {
		t.Errorf("impossible draw (%d): %s", code, out)
	}

	exp := filepath.Join(t.TempDir(), "draw")
	if out, code := userCLI(t, "", "inspect", "export-draw", "--id", m[1], "--out", exp, "--data-dir", dir); code != 0 {
		t.Fatalf("export (%d): %s", code, out)
	}
	eb, _ := os.ReadFile(filepath.Join(exp, "enterprises.json"))
	ob, _ := os.ReadFile(filepath.Join(exp, "officers.json"))
	if inspect.Hash(eb) != m[2] || inspect.Hash(ob) != m[3] {
		t.Errorf("exported snapshots do not hash to the published hashes")
	}
	out, code = userCLI(t, "", "inspect", "verify-draw", "--dir", exp)
	if code != 0 || !strings.Contains(out, "match: 5 enterprises") {
		t.Fatalf("verify (%d): %s", code, out)
	}

	// Tamper: one enterprise made a key unit after the hash was published.
	tampered := strings.Replace(string(eb), `"key_unit":false`, `"key_unit":true`, 1)
	os.WriteFile(filepath.Join(exp, "enterprises.json"), []byte(tampered), 0o644)
	out, code = userCLI(t, "", "inspect", "verify-draw", "--dir", exp)
	if code != 1 || !strings.Contains(out, "MISMATCH at enterprise pool hash") {
		t.Errorf("tampered pool (%d): %s", code, out)
	}
	os.WriteFile(filepath.Join(exp, "enterprises.json"), eb, 0o644)
	// Another seed in the record.
	rb, _ := os.ReadFile(filepath.Join(exp, "record.json"))
	os.WriteFile(filepath.Join(exp, "record.json"), []byte(strings.Replace(string(rb), "4 1 7", "4 1 8", 1)), 0o644)
	out, code = userCLI(t, "", "inspect", "verify-draw", "--dir", exp)
	if code != 1 || !strings.Contains(out, "MISMATCH at ") || !strings.Contains(out, "recomputed:") {
		t.Errorf("other seed (%d): %s", code, out)
	}
	if out, code := userCLI(t, "", "inspect", "verify-draw"); code != 2 || !strings.Contains(out, "--dir") {
		t.Errorf("no files (%d): %s", code, out)
	}
}
