package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the binary's dispatcher in-process and returns its exit
// status, stdout and stderr.
func runCmd(t *testing.T, getenv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return getenv[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func samplePath(name string) string { return filepath.Join("..", "..", "importer", "testdata", name) }

// The definition of done: seed, import a sample file, list.
func TestSeedImportList(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCmd(t, nil, "migrate", "--data-dir", dir); code != 0 || !strings.Contains(out, "applied 0001_init.sql") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCmd(t, nil, "migrate", "--data-dir", dir); code != 0 || out != "schema up to date\n" {
		t.Fatalf("second migrate: %d %q", code, out)
	}
	code, out, errs := runCmd(t, nil, "seed", "hunan", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "stations 82") {
		t.Fatalf("seed: %d %q %q", code, out, errs)
	}
	files := []string{samplePath("enterprises.csv"), samplePath("points.csv"), samplePath("devices.csv"), samplePath("limits.csv")}
	code, out, errs = runCmd(t, nil, append([]string{"registry", "import", "--dry-run", "--data-dir", dir}, files...)...)
	if code != 0 || !strings.HasPrefix(out, "dry run: would import enterprises 3, points 6, devices 4, limits 7") {
		t.Fatalf("dry run: %d %q %q", code, out, errs)
	}
	// The data directory comes from the environment this time.
	envDir := map[string]string{"ECOWATCH_DATA_DIR": dir}
	code, out, errs = runCmd(t, envDir, append([]string{"registry", "import"}, files...)...)
	if code != 0 || !strings.HasPrefix(out, "imported enterprises 3, points 6, devices 4, limits 7") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, envDir, "registry", "list")
	for _, want := range []string{"regions (137)", "enterprises (3)", "points (88)", "devices (4)", "长沙示例热电有限公司", "43020000000001"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("list lacks %q: %d\n%s", want, code, out)
		}
	}
	code, out, _ = runCmd(t, envDir, "registry", "list", "devices", "targets", "--json")
	var got struct {
		Devices []struct{ MN, Password, PointCode string }
		Targets []struct {
			Indicator string
			Value     float64
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("json: %v (%d)\n%s", err, code, out)
	}
	if len(got.Devices) != 4 || got.Devices[0].Password != "***" || len(got.Targets) != 11 {
		t.Fatalf("json devices %+v targets %d", got.Devices, len(got.Targets))
	}

	// A file with errors: every bad row on stderr, exit 1, nothing stored.
	code, out, errs = runCmd(t, envDir, "registry", "import", samplePath("bad-enterprises.csv"))
	if code != 1 || strings.Count(errs, "bad-enterprises.csv:") != 5 || !strings.Contains(errs, "5 bad rows: nothing imported") {
		t.Fatalf("bad import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, envDir, "registry", "list", "enterprises")
	if code != 0 || !strings.Contains(out, "enterprises (3)") {
		t.Fatalf("after a failed import: %s", out)
	}
	code, out, _ = runCmd(t, envDir, "registry", "import", "--skip-bad-rows", samplePath("bad-enterprises.csv"))
	if code != 0 || !strings.HasPrefix(out, "imported enterprises 1; 5 bad rows skipped") {
		t.Fatalf("skip bad rows: %d %q", code, out)
	}

	backup := filepath.Join(t.TempDir(), "copy.db")
	if code, out, errs := runCmd(t, envDir, "backup", "--out", backup); code != 0 || !strings.Contains(out, backup) {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Size() < 100000 {
		t.Fatalf("backup file: %v", err)
	}
	if code, _, errs := runCmd(t, envDir, "backup", "--out", backup); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("backup over an existing file: %d %q", code, errs)
	}
}

func TestStoreFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"registry", "list"}, 2, "no store given: use --data-dir DIR (embedded) or --postgres URL"},
		{[]string{"registry", "list", "--data-dir", "x", "--postgres", "y"}, 2, "either --data-dir or --postgres"},
		{[]string{"registry", "list", "nosuch", "--data-dir", "x"}, 2, `unknown section "nosuch"`},
		{[]string{"registry", "import", "--data-dir", "x"}, 2, "no FILE given"},
		{[]string{"registry", "import", "--data-dir", "x", "file.txt"}, 1, "file.txt"},
		{[]string{"seed", "ohio", "--data-dir", "x"}, 2, `unknown data set "ohio"`},
		{[]string{"backup", "--data-dir", "x"}, 2, "--out FILE is required"},
		{[]string{"backup", "--postgres", "postgres://x/y", "--out", "f"}, 1, "pg_dump"},
		{[]string{"registry"}, 2, "usage: ecowatch registry list"},
	} {
		code, _, errs := runCmd(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// TestRegistryListRegions: the seeded county-level divisions, filtered by
// parent or level, as text and as JSON.
func TestRegistryListRegions(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, nil, "seed", "hunan", "--data-dir", dir); code != 0 {
		t.Fatalf("seed: %d %s", code, errs)
	}
	code, out, errs := runCmd(t, nil, "registry", "list", "--parent", "430100", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 11 || lines[0] != "regions (9)" || strings.Join(strings.Fields(lines[10]), " ") != "430182 宁乡市 county 430100" {
		t.Fatalf("--parent 430100: %d %q %q", code, out, errs)
	}
	// Columns line up on a terminal, where a Chinese character takes two
	// columns: LEVEL starts at the same column on every line of 怀化市's
	// divisions, whose names are 3 to 9 characters long.
	_, out, _ = runCmd(t, nil, "registry", "list", "--parent", "431200", "--data-dir", dir)
	lines = strings.Split(strings.TrimSpace(out), "\n")[1:]
	at := displayWidth(lines[0][:strings.Index(lines[0], "LEVEL")])
	for _, l := range lines[1:] {
		if i := strings.Index(l, "county"); i < 0 || displayWidth(l[:i]) != at {
			t.Errorf("LEVEL at column %d, but: %q", at, l)
		}
	}
	if at != len("431229  ")+2*len([]rune("靖州苗族侗族自治县"))+2 {
		t.Errorf("LEVEL at column %d", at)
	}
	code, out, _ = runCmd(t, nil, "registry", "list", "regions", "--parent", "433100", "--json", "--data-dir", dir)
	var got struct {
		Regions []struct{ Code, Name, Level, ParentCode string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("json: %v (%d)\n%s", err, code, out)
	}
	if len(got.Regions) != 8 || got.Regions[0].Code != "433101" || got.Regions[0].Name != "吉首市" || got.Regions[0].Level != "county" || got.Regions[7].ParentCode != "433100" {
		t.Fatalf("湘西's divisions: %+v", got.Regions)
	}
	for level, n := range map[string]string{"province": "regions (1)\n", "city": "regions (14)\n", "county": "regions (122)\n"} {
		if code, out, _ := runCmd(t, nil, "registry", "list", "--level", level, "--data-dir", dir); code != 0 || !strings.HasPrefix(out, n) {
			t.Errorf("--level %s: %d %q", level, code, out)
		}
	}
	if code, out, _ := runCmd(t, nil, "registry", "list", "--parent", "430200", "--level", "city", "--data-dir", dir); code != 0 || !strings.HasPrefix(out, "regions (0)\n") || strings.Count(out, "\n") != 2 {
		t.Errorf("cities under 株洲市: %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--parent", "430199"}, 1, `region "430199": not found`},
		{[]string{"enterprises", "--parent", "430100"}, 2, "list the regions section"},
		{[]string{"--level", "town"}, 2, `--level "town"`},
	} {
		code, _, errs := runCmd(t, nil, append(append([]string{"registry", "list"}, tc.args...), "--data-dir", dir)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
