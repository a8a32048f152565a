package repo

import (
	"context"
	"os"
	"testing"
	"time"

	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/store/sqlite"
	"ecowatch/targets"
	"ecowatch/targets/cnemc"
)

func TestServiceOnChangsha(t *testing.T) {
	data, err := os.ReadFile("../cnemc/testdata/changsha-hourly-2019-12-to-2020-06.csv")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := seed.Hunan(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := cnemc.Import(ctx, st, "cs.csv", data, cnemc.Options{}); err != nil {
		t.Fatal(err)
	}
	s, err := NewService(st, seed.Province)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2020, 7, 1, 8, 0, 0, 0, store.CST) }
	rep, err := s.Progress(ctx, 2020, time.Date(2020, 6, 30, 12, 0, 0, 0, store.CST))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Final || rep.To != "2020-06-30" || len(rep.Province.Items) != len(seed.Targets) || len(rep.Cities) != 14 {
		t.Fatalf("report %+v", rep)
	}
	var pm targets.Progress
	for _, it := range rep.Province.Items {
		if it.Target.Indicator == targets.PM25AnnualMean {
			pm = it
		}
	}
	// Only Changsha has data: the province's figure is Changsha's; there is
	// no earlier year, so no projection and the status follows the value.
	if pm.Figure.Value == nil || pm.Figure.Projection != nil || pm.Status == targets.NoData || len(pm.Figure.Notes) == 0 {
		t.Fatalf("pm2.5 %+v", pm)
	}
	if rep.Province.StatusOf(targets.FarmlandSafeUse) != targets.NoData {
		t.Error("farmland without registry entries should have no data")
	}
	// Asked long after, the half year of data is still a half year.
	late, err := s.Progress(ctx, 2020, time.Date(2026, 11, 29, 0, 0, 0, 0, store.CST))
	if err != nil || late.Final || late.To != "2020-06-30" {
		t.Errorf("late view: final %v to %s (%v)", late.Final, late.To, err)
	}
	if y, _ := s.DefaultYear(ctx, time.Date(2026, 11, 29, 0, 0, 0, 0, store.CST)); y != 2020 {
		t.Errorf("default year %d, want 2020 (the seeded targets)", y)
	}
	rows, err := s.Rankings(ctx, targets.Month(2020, time.January), targets.ByGoodRatio)
	if err != nil || len(rows) != 14 || rows[0].Region != "430100" || rows[0].Rank != 1 || rows[1].Rank != 0 {
		t.Fatalf("rankings %+v %v", rows, err)
	}
	reps, err := s.Generate(ctx, time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST), "test")
	if err != nil || len(reps) != 2 {
		t.Fatalf("generate %v %v", reps, err)
	}
	list, total, _ := s.Repo.Reports(ctx, "", 0, 0)
	if total != 2 || len(list) != 2 {
		t.Errorf("reports %v", list)
	}
}
