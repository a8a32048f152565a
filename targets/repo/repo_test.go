package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ecowatch/registry"
	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
	"ecowatch/store/sqlite"
	"ecowatch/targets"
)

type sqlStore interface {
	store.Store
	store.SQLer
}

func backends(t *testing.T) map[string]func(t *testing.T) sqlStore {
	return map[string]func(t *testing.T) sqlStore{
		"sqlite": func(t *testing.T) sqlStore {
			st, err := sqlite.Open(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) sqlStore {
			st, err := postgres.Open(context.Background(), pgtest.SchemaURL(t, "targets_repo"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	}
}

func audits(t *testing.T, s store.SQL, action string) int {
	var n int
	if err := s.R.QueryRow(s.Q(`SELECT count(*) FROM audit_log WHERE action = ?`), action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRepo(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if _, err := seed.Hunan(ctx, st); err != nil {
				t.Fatal(err)
			}
			r := New(st.SQL())
			r.Now = func() time.Time { return time.Date(2020, 3, 1, 9, 0, 0, 0, store.CST) }

			// Targets: edit the seeded PM2.5 target, add a city target.
			tg := registry.Target{RegionCode: "430000", Year: 2020, Indicator: targets.PM25AnnualMean, Name: "PM2.5", Value: 41, Unit: "µg/m³", Comparison: registry.AtMost, Source: "test"}
			e, err := r.SetTarget(ctx, tg, "alice", "127.0.0.1:1", "tightened")
			if err != nil {
				t.Fatal(err)
			}
			if e.OldValue == nil || *e.OldValue != 42 || e.NewValue != 41 {
				t.Fatalf("edit %+v", e)
			}
			tg.RegionCode, tg.Value = "430100", 45
			if e, err = r.SetTarget(ctx, tg, "alice", "", ""); err != nil || e.OldValue != nil {
				t.Fatalf("new city target: %+v %v", e, err)
			}
			tg.RegionCode = "990100"
			if _, err := r.SetTarget(ctx, tg, "alice", "", ""); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("unknown region: %v", err)
			}
			tg.RegionCode, tg.Comparison = "430100", "eq"
			if _, err := r.SetTarget(ctx, tg, "alice", "", ""); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("bad comparison: %v", err)
			}
			all, _ := st.Targets(ctx)
			found := false
			for _, x := range all {
				if x.RegionCode == "430000" && x.Indicator == targets.PM25AnnualMean && x.Year == 2020 {
					found = x.Value == 41
				}
			}
			if !found {
				t.Error("the registry does not show the edited target")
			}
			hist, err := r.Edits(ctx, "", 2020, "")
			if err != nil || len(hist) != 2 || hist[0].RegionCode != "430100" || hist[1].Note != "tightened" || hist[1].Actor != "alice" {
				t.Fatalf("history %+v %v", hist, err)
			}
			if n := audits(t, st.SQL(), "target.set"); n != 2 {
				t.Errorf("audit entries %d, want 2", n)
			}

			// Indicator registries.
			csvText := "编号,名称,行政区划代码,年度,已消除,来源\nB1,圭塘河,430111,2020,是,住建厅清单\nB2,浏阳河支流,430102,2020,否,住建厅清单\nB3,东风渠,430202,2020,是,住建厅清单\n"
			items, err := ReadItems(BlackOdorous, strings.NewReader(csvText))
			if err != nil {
				t.Fatal(err)
			}
			if err := r.PutItems(ctx, items, "alice", "", "test.csv"); err != nil {
				t.Fatal(err)
			}
			if err := r.PutItems(ctx, items, "alice", "", "test.csv"); err != nil { // idempotent
				t.Fatal(err)
			}
			got, err := r.Items(ctx, BlackOdorous, 2020, "")
			if err != nil || len(got) != 3 || !got[0].Done || got[1].Done {
				t.Fatalf("items %+v %v", got, err)
			}
			cs, _ := r.Items(ctx, BlackOdorous, 2020, "430100")
			if len(cs) != 2 {
				t.Errorf("Changsha's items: %d", len(cs))
			}
			f := ItemFigures(BlackOdorous, got, "430000", false)
			if len(f) != 1 || f[0].Value.String() != "66.7" || f[0].Indicator != targets.BlackOdorousElim {
				t.Errorf("figure %+v", f)
			}

			// Reports.
			rep, err := r.SaveReport(ctx, "air-monthly", "2020-01", map[string]string{"a": "b"}, "scheduler")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.SaveReport(ctx, "air-monthly", "2020-01", map[string]string{"a": "c"}, "alice"); err != nil {
				t.Fatal(err)
			}
			list, total, err := r.Reports(ctx, "", 10, 0)
			if err != nil || total != 1 || len(list) != 1 || list[0].Actor != "alice" {
				t.Fatalf("reports %+v %d %v", list, total, err)
			}
			one, err := r.Report(ctx, list[0].ID)
			if err != nil || string(one.Body) != `{"a":"c"}` || one.ID != rep.ID {
				t.Errorf("report %+v %v", one, err)
			}
			if _, err := r.Report(ctx, 999); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("missing report: %v", err)
			}
		})
	}
}

func TestReadItemsErrors(t *testing.T) {
	for _, tc := range []struct{ kind, csv, want string }{
		{"bogus", "code,name\n", "not one of"},
		{Farmland, "code,name,region_code,year\n", "safe_area missing"},
		{Farmland, "code,name,region_code,year,safe_area,strict_area\nF1,浏阳,430181,2020,-1,2\n", "area"},
		{Farmland, "code,name,region_code,year,safe_area,strict_area\nF1,浏阳,430181,20x0,1,2\n", "year"},
		{DrinkingSource, "code,name,region_code,year,water_class\nD1,株树桥,430181,2020,Ⅶ\n", "class"},
		{ContaminatedSite, "code,name,region_code,year,done\nS1,某地块,4301,2020,是\n", "region_code"},
		{ContaminatedSite, "code,name,region_code,year,done\nS1,某地块,430100,2020,maybe\n", "done"},
		{ContaminatedSite, "code,name,region_code,year,done\nS1,,430100,2020,是\n", "name"},
	} {
		_, err := ReadItems(tc.kind, strings.NewReader(tc.csv))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want %q", tc.kind, tc.csv, err, tc.want)
		}
	}
	quotas, err := ReadItems(EmissionQuota, strings.NewReader("code,name,region_code,year,done\nCOD,化学需氧量,430000,2020,是\nNOx,氮氧化物,430000,2020,否\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f := ItemFigures(EmissionQuota, quotas, "430000", true); f[0].Indicator != targets.EmissionReduction || f[0].Value.String() != "50.0" {
		t.Errorf("emission quotas %+v", f)
	}
	items, err := ReadItems(DrinkingSource, strings.NewReader("code,name,region_code,year,water_class\nD1,株树桥,430181,2020,Ⅱ\nD2,某水库,430200,2020,Ⅳ\n"))
	if err != nil || !items[0].Done || items[1].Done {
		t.Errorf("drinking sources %+v %v", items, err)
	}
	f := ItemFigures(Farmland, []Item{{SafeArea: 1.25}, {SafeArea: 2, StrictArea: 0.5}}, "430000", true)
	if f[0].Value.String() != "3.75" || f[1].Value.String() != "3.25" || f[2].Value.String() != "0.50" {
		t.Errorf("farmland %v %v %v", f[0].Value, f[1].Value, f[2].Value)
	}
}

func FuzzItemRow(f *testing.F) {
	header := strings.Split("code,name,region_code,year,done,safe_area,strict_area,water_class,source", ",")
	f.Add("F1,浏阳,430181,2020,是,1.5,0.2,Ⅲ,清单")
	f.Add(",,,,,,,,")
	f.Fuzz(func(t *testing.T, line string) {
		for _, kind := range ItemKinds {
			p, err := NewItemParser(kind, header)
			if err != nil {
				t.Fatal(err)
			}
			it, err := p.Row(strings.Split(line, ","))
			if err != nil {
				continue
			}
			if it.Code == "" || it.SafeArea < 0 || it.WaterClass > 6 {
				t.Fatalf("accepted %q as %+v", line, it)
			}
		}
	})
}
