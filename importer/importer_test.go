package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"ecowatch/registry"
	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

func seeded(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := seed.Hunan(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func read(t *testing.T, names ...string) []Table {
	t.Helper()
	var out []Table
	for _, n := range names {
		ts, err := ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts...)
	}
	return out
}

func TestBadRowsReportedAndNothingImported(t *testing.T) {
	st := seeded(t)
	ctx := context.Background()
	res, err := Import(ctx, st, read(t, "bad-enterprises.csv"), Options{})
	if !errors.Is(err, ErrBadRows) || res.Committed {
		t.Fatalf("err = %v, committed %v", err, res.Committed)
	}
	// One line per mistake planted in testdata/bad-enterprises.csv.
	want := []string{
		`bad-enterprises.csv:3: credit_code: "91430100MA4L0004CX": check character is 'X', want 'Q' (GB 32100-2015 5.2)`,
		`bad-enterprises.csv:4: region_code: region "439900": not found (the divisions of 430000 湖南省: ecowatch registry list --parent 430000)`,
		`bad-enterprises.csv:5: longitude: "东经113" is not a number`,
		`bad-enterprises.csv:6: key_units: "光" is not water, air, soil, noise or other (水, 大气, 土壤, 声, 其他)`,
		`bad-enterprises.csv:7: credit_code: "91430100MA4L0004CQ" is also on row 2`,
	}
	var got []string
	for _, b := range res.Bad {
		got = append(got, b.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := st.Enterprise(ctx, "91430100MA4L0004CQ"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the good row was imported from a file with errors: %v", err)
	}

	res, err = Import(ctx, st, read(t, "bad-enterprises.csv"), Options{SkipBadRows: true})
	if err != nil || !res.Committed || res.Applied[Enterprises] != 1 || len(res.Bad) != 5 {
		t.Fatalf("skip bad rows: %+v, %v", res, err)
	}
	if e, err := st.Enterprise(ctx, "91430100MA4L0004CQ"); err != nil || e.Name != "好的企业" {
		t.Fatalf("good row after --skip-bad-rows: %+v, %v", e, err)
	}
}

var samples = []string{"limits.csv", "devices.csv", "points.csv", "enterprises.csv"} // out of order on purpose

func TestImportSamplesIdempotentAndDryRun(t *testing.T) {
	st := seeded(t)
	ctx := context.Background()
	res, err := Import(ctx, st, read(t, samples...), Options{DryRun: true})
	if err != nil || res.Committed || res.Applied[Points] != 6 || res.Applied[Limits] != 7 {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if ds, _ := st.Devices(ctx, ""); len(ds) != 0 {
		t.Fatalf("dry run stored %d devices", len(ds))
	}
	for i := 0; i < 2; i++ {
		res, err := Import(ctx, st, read(t, samples...), Options{})
		if err != nil || !res.Committed || res.Applied[Enterprises] != 3 || res.Applied[Devices] != 4 {
			t.Fatalf("import %d: %+v, %v", i, res, err)
		}
	}
	es, _ := st.Enterprises(ctx)
	ps, _ := st.Points(ctx)
	ds, _ := st.Devices(ctx, "")
	ls, _ := st.Limits(ctx, "")
	// 82 seeded stations + 6 sample points.
	if len(es) != 3 || len(ps) != 88 || len(ds) != 4 || len(ls) != 7 {
		t.Fatalf("enterprises %d points %d devices %d limits %d", len(es), len(ps), len(ds), len(ls))
	}
	d, err := st.DeviceByMN(ctx, "43020000000001")
	if err != nil || d.ProtocolVersion != "HJ212-2005" || d.Quirks[0] != "lowercase-crc" || d.PointCode != "ZZ-DA001" {
		t.Fatalf("device = %+v, %v", d, err)
	}
	p, err := st.Point(ctx, "XJ-S001")
	if err != nil || p.TargetClass != 3 || p.WaterBody != "river" || len(p.Factors) != 5 || p.Factors[1].Unit != "mg/L" {
		t.Fatalf("section = %+v, %v", p, err)
	}
}

func TestXLSXWorkbook(t *testing.T) {
	st := seeded(t)
	ctx := context.Background()
	// A workbook whose first sheet (points, in Chinese headings) needs
	// the second (enterprises).
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "点位")
	rows := [][]any{
		{"点位编码", "名称", "点位类型", "行政区划代码", "所属企业", "监测因子"},
		{"LD-DA001", "排放口", "gas_outlet", "431300", "91430100MA4L0004CQ", "a21026:mg/m3"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("点位", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.NewSheet("企业"); err != nil {
		t.Fatal(err)
	}
	ent := [][]any{{"统一社会信用代码", "企业名称", "行政区划代码"}, {"91430100MA4L0004CQ", "娄底示例", "431300"}}
	for i, r := range ent {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("企业", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	tables, err := Read("registry.xlsx", buf.Bytes())
	if err != nil || len(tables) != 2 || tables[0].Kind != Points || tables[1].Kind != Enterprises {
		t.Fatalf("tables = %+v, %v", tables, err)
	}
	res, err := Import(ctx, st, tables, Options{})
	if err != nil || res.Applied[Points] != 1 || res.Applied[Enterprises] != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	// A bad cell in an XLSX sheet is reported with the sheet's name.
	f.SetCellValue("点位", "D2", "999999")
	buf.Reset()
	f.Write(&buf)
	tables, _ = Read("registry.xlsx", buf.Bytes())
	res, err = Import(ctx, st, tables, Options{})
	if !errors.Is(err, ErrBadRows) || len(res.Bad) != 1 || res.Bad[0].Error() != `registry.xlsx:点位:2: region_code: region "999999": not found` {
		t.Fatalf("%+v, %v", res.Bad, err)
	}
}

func TestHeaderErrors(t *testing.T) {
	st := seeded(t)
	for _, tc := range []struct{ csv, want string }{
		{"foo,bar\n1,2\n", "x.csv:1: cannot tell what the table holds"},
		{"credit_code,name,regoin_code\n", "x.csv:1: regoin_code: unknown column for enterprises"},
		{"mn,protocol_version\n", "x.csv:1: state: required column missing"},
	} {
		tables, err := Read("x.csv", []byte(tc.csv))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Import(context.Background(), st, tables, Options{})
		if !errors.Is(err, ErrBadRows) || len(res.Bad) == 0 || !strings.HasPrefix(res.Bad[0].Error(), tc.want) {
			t.Errorf("%q: %v, %v", tc.csv, res.Bad, err)
		}
	}
	// "长沙" in GBK on line 2.
	if _, err := Read("gbk.csv", []byte("credit_code,name,region_code\n1,\xb3\xa4\xc9\xb3,430100\n")); err == nil || !strings.Contains(err.Error(), "gbk.csv:2: not UTF-8") {
		t.Errorf("GBK file: %v", err)
	}
	if _, err := Read("x.txt", nil); err == nil {
		t.Error("a .txt file was read")
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, n := range append(samples, "bad-enterprises.csv") {
		ts, err := ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString(strings.Join(ts[0].Header, ","))
		for _, r := range ts[0].Rows {
			b.WriteString("\n" + strings.Join(r, ","))
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("mn\n\"unterminated"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tables, err := Read("f.csv", b)
		if err != nil {
			return
		}
		for i := range tables {
			recs, bad := parseTable(&tables[i])
			for _, e := range bad {
				if e.Row < 1 || e.Reason == "" {
					t.Fatalf("bad row error without place or reason: %+v", e)
				}
			}
			_ = recs
		}
	})
}

// TestCountyRegions: enterprises and points are registered in county-level
// divisions (seeded by seed.Hunan); an unknown code and a withdrawn one are
// refused with the row, the column and what is wrong.
func TestCountyRegions(t *testing.T) {
	st := seeded(t)
	ctx := context.Background()
	code := func(region string, n int) string {
		first := fmt.Sprintf("91%s%09d", region, n)
		c, err := registry.CreditCodeCheck(first)
		if err != nil {
			t.Fatal(err)
		}
		return first + string(c)
	}
	good := "credit_code,name,region_code\n" +
		code("430102", 1) + ",芙蓉区的企业,430102\n" +
		code("433101", 2) + ",吉首市的企业,433101\n" +
		code("430212", 3) + ",渌口区的企业,430212\n"
	points := "point_code,name,kind,region_code,enterprise_code,factors\n" +
		"JS-DA001,1号排放口,gas_outlet,433101," + code("433101", 2) + ",a21026:mg/m3\n"
	tables, err := Read("counties.csv", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := Read("points.csv", []byte(points))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Import(ctx, st, append(tables, pt...), Options{})
	if err != nil || res.Applied[Enterprises] != 3 || res.Applied[Points] != 1 {
		t.Fatalf("county codes: %+v, %v", res, err)
	}
	if e, err := st.Enterprise(ctx, code("433101", 2)); err != nil || e.RegionCode != "433101" {
		t.Fatalf("吉首市's enterprise: %+v, %v", e, err)
	}
	if p, err := st.Point(ctx, "JS-DA001"); err != nil || p.RegionCode != "433101" {
		t.Fatalf("吉首市's outlet: %+v, %v", p, err)
	}

	// 430199 follows the structure of a 长沙 district code but names none;
	// 430221 was 株洲县 until 2018.
	bad := "credit_code,name,region_code\n" +
		code("430100", 4) + ",好的企业,430121\n" +
		code("430100", 5) + ",未知区县的企业,430199\n" +
		code("430200", 6) + ",旧代码的企业,430221\n"
	badPoints := "point_code,name,kind,region_code\nNX-W001,旧代码的断面,water_station,430124\n"
	tables, _ = Read("bad-counties.csv", []byte(bad))
	pt, _ = Read("bad-points.csv", []byte(badPoints))
	res, err = Import(ctx, st, append(tables, pt...), Options{})
	if !errors.Is(err, ErrBadRows) || res.Committed {
		t.Fatalf("bad county codes: %+v, %v", res, err)
	}
	want := []string{
		`bad-counties.csv:3: region_code: region "430199": not found (the divisions of 430100 长沙市: ecowatch registry list --parent 430100)`,
		`bad-counties.csv:4: region_code: "430221" (株洲县) was withdrawn in 2018: the area is now 430212 渌口区`,
		`bad-points.csv:2: region_code: "430124" (宁乡县) was withdrawn in 2017: the area is now 430182 宁乡市`,
	}
	var got []string
	for _, b := range res.Bad {
		got = append(got, b.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("bad rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := st.Enterprise(ctx, code("430100", 4)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the good row of a file with errors was imported: %v", err)
	}
}
