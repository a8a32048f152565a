package surfacewater

import (
	"context"
	"strings"
	"testing"
	"time"

	"ecowatch/assess/water"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

const header = "省份,流域,断面名称,监测时间,水质类别,水温,pH,溶解氧,电导率,浊度,高锰酸盐指数,氨氮,总磷,总氮,叶绿素α,藻密度,站点情况"

var sample = strings.Join([]string{
	header,
	"湖南省,长江流域,樟树港,2020-11-01 04:00,Ⅱ,18.2,7.6,8.1,210,12,2.1,0.12,0.05,1.6,*,*,正常", // II, agrees
	"湖南省,长江流域,樟树港,2020-11-01 08:00,Ⅱ,18.3,7.5,8.0,212,13,2.2,0.80,0.05,1.7,*,*,正常", // NH3-N 0.8 → III
	"湖北省,长江流域,宗关,2020-11-01 04:00,Ⅲ,18.0,7.7,7.9,300,20,3.0,0.30,0.15,1.9,*,*,正常",  // III, other province
	"湖南省,长江流域,樟树港,2020-13-01 04:00,Ⅱ,18.2,7.6,8.1,210,12,2.1,0.12,0.05,1.6,*,*,正常", // bad time
	"湖南省,长江流域,樟树港,2020-11-01 12:00,Ⅶ,18.2,7.6,8.1,210,12,2.1,0.12,0.05,1.6,*,*,正常", // bad class
	"湖南省,长江流域,樟树港,2020-11-01 16:00,Ⅱ,18.2,7.6,abc,210,12,2.1,0.12,0.05,1.6,*,*,正常", // bad value
	"湖南省,长江流域,樟树港,2020-11-01 20:00,--,*,*,*,*,*,*,*,*,*,*,*,维护",                    // maintenance
	"湖南省,长江流域,樟树港,2020-11-02 00:00,Ⅱ,18.2,7.6",                                     // short
}, "\n") + "\n"

func TestImportWater(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertRegion(ctx, registry.Region{Code: "430000", Name: "湖南省"}); err != nil {
		t.Fatal(err)
	}
	sqlh := st.SQL()
	opt := Options{Province: "湖南", RegionCode: "430000", SQL: &sqlh, Actor: "test"}
	sum, err := Import(ctx, st, "water.csv", []byte(sample), opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 8 || sum.Stored != 2 || sum.OtherProvince != 1 || sum.Rejected != 5 || sum.Compared != 3 || sum.Agree != 2 || sum.CreatedPoints != 1 {
		t.Fatalf("summary %s", sum)
	}
	if len(sum.Disagreements) != 1 || sum.Disagreements[0].Ours != "III" || sum.Disagreements[0].Published != "II" || !strings.Contains(sum.Disagreements[0].Why, "氨氮 0.8") {
		t.Errorf("disagreements %+v", sum.Disagreements)
	}
	for _, r := range []string{"监测时间 malformed", "水质类别 malformed", "malformed value", "field count", "no values (站点情况 维护)"} {
		if sum.Reasons[r] != 1 {
			t.Errorf("reason %q: %d (all %v)", r, sum.Reasons[r], sum.Reasons)
		}
	}
	code := SectionPoint("湖南省", "长江流域", "樟树港")
	ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: code, Factor: "w21003", Kind: store.Hour, From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(ms) != 2 {
		t.Fatalf("NH3-N values %v %v", ms, err)
	}
	if v, _ := ms[1].Values.Get(store.Avg); v != 0.8 {
		t.Errorf("second NH3-N %v", v)
	}
	// Idempotent: a second import stores the same values, creates nothing.
	sum, err = Import(ctx, st, "water.csv", []byte(sample), opt)
	if err != nil || sum.CreatedPoints != 0 {
		t.Fatalf("again: %v %s", err, sum)
	}
	ms2, _ := st.Measurements(ctx, store.MeasurementQuery{Point: code, Factor: "w21003", Kind: store.Hour, From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)})
	if len(ms2) != 2 {
		t.Errorf("after a repeat: %d values", len(ms2))
	}
}

func TestParseClassAndYearlessTime(t *testing.T) {
	for s, want := range map[string]water.Class{"Ⅰ": water.ClassI, "III类": water.ClassIII, "劣Ⅴ": water.WorseThanV, "iv": water.ClassIV} {
		if c, err := ParseClass(s); err != nil || c != want {
			t.Errorf("%s: %v %v", s, c, err)
		}
	}
	p, err := NewParser(strings.Split(header, ","))
	if err != nil {
		t.Fatal(err)
	}
	row := strings.Split("湖南省,长江流域,樟树港,11-01 04:00,Ⅱ,18.2,7.6,8.1,210,12,2.1,0.12,0.05,1.6,*,*,正常", ",")
	if _, err := p.Row(row); err == nil {
		t.Error("a time without a year accepted without --year")
	}
	p.Year = 2020
	r, err := p.Row(row)
	if err != nil || r.Time.Year() != 2020 || r.Time.Hour() != 4 {
		t.Errorf("%v %v", r.Time, err)
	}
}

func FuzzWaterRow(f *testing.F) {
	p, err := NewParser(strings.Split(header, ","))
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(sample, "\n")[1:] {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := p.Row(strings.Split(line, ","))
		if err != nil {
			return
		}
		if r.Section == "" || r.Time.IsZero() || r.Published > water.WorseThanV {
			t.Fatalf("accepted %q as %+v", line, r)
		}
		_ = water.Evaluate(&r.Sample, water.River)
	})
}
