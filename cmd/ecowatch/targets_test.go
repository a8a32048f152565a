package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/store/sqlite"
	"ecowatch/targets/repo"
)

const targetsChangsha = "../../targets/cnemc/testdata/changsha-hourly-2019-12-to-2020-06.csv"

func TestTargetsImportAndReport(t *testing.T) {
	if _, err := os.Stat(targetsChangsha); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if code, _, errs := runCmd(t, nil, "seed", "hunan", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	code, _, errs := runCmd(t, nil, "import", "cnemc", "--data-dir", dir, targetsChangsha)
	if code != 0 || !strings.Contains(errs, "5093 rows read, 5093 stored") || !strings.Contains(errs, "100%") {
		t.Fatalf("import: %d %s", code, errs)
	}
	code, out, errs := runCmd(t, nil, "report", "air-monthly", "--month", "2020-01", "--data-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 16 || !strings.HasPrefix(lines[1], "430100,1,长沙市,") || !strings.HasPrefix(lines[15], "province,,湖南省,") {
		t.Fatalf("report: %d %q %s", code, out, errs)
	}
	code, out, _ = runCmd(t, nil, "report", "air-monthly", "--month", "2020-01", "--json", "--save", "--data-dir", dir)
	var b struct {
		Month string
		Rows  []struct {
			Region    string
			PM25      string `json:"pm25"`
			GoodDays  int    `json:"good_days"`
			IndexRank int    `json:"index_rank"`
		}
	}
	if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil || b.Month != "2020-01" || b.Rows[0].PM25 != "56" || b.Rows[0].GoodDays != 26 {
		t.Fatalf("json: %v %+v", err, b)
	}
	if code, _, errs := runCmd(t, nil, "report", "air-monthly", "--month", "2020-13", "--data-dir", dir); code != 2 || !strings.Contains(errs, "not YYYY-MM") {
		t.Errorf("bad month: %d %s", code, errs)
	}
	if code, _, _ := runCmd(t, nil, "import", "bogus"); code != 2 {
		t.Errorf("unknown import kind: %d", code)
	}
	items := filepath.Join(t.TempDir(), "sites.csv")
	_ = os.WriteFile(items, []byte("code,name,region_code,year,done\nS1,某地块,430100,2020,是\nS2,另一地块,430200,2020,否\n"), 0o600)
	if code, _, errs := runCmd(t, nil, "import", "items", "--kind", "contaminated_site", "--data-dir", dir, items); code != 0 || !strings.Contains(errs, "2 contaminated_site items") {
		t.Errorf("items: %d %s", code, errs)
	}
}

func TestTargetsScheduler(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Hunan(ctx, st); err != nil {
		t.Fatal(err)
	}
	svc, err := repo.NewService(st, seed.Province)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 2, 2, 7, 0, 0, 0, store.CST)
	s := &targetsScheduler{svc: svc, now: func() time.Time { return now }, log: func(string, ...any) {}}
	if done, err := s.once(ctx); err != nil || done {
		t.Fatalf("2 February 07:00: %v %v, want nothing due", done, err)
	}
	if err := s.warm(ctx); err != nil {
		t.Errorf("warm: %v", err)
	}
	now = time.Date(2020, 2, 2, 8, 0, 0, 0, store.CST)
	if done, err := s.once(ctx); err != nil || !done {
		t.Fatalf("2 February 08:00: %v %v, want January generated", done, err)
	}
	if done, _ := s.once(ctx); done {
		t.Error("generated twice")
	}
	list, total, _ := svc.Repo.Reports(ctx, "", 0, 0)
	if total != 2 || list[0].Period != "2020-01" || list[0].Actor != "scheduler" {
		t.Errorf("reports %+v", list)
	}
	now = time.Date(2020, 3, 15, 0, 0, 0, 0, store.CST)
	if done, _ := s.once(ctx); !done {
		t.Error("February not generated in March")
	}
}
