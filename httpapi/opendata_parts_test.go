package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/casework"
	"ecowatch/inspect"
	"ecowatch/inspect/inspectstore"
	"ecowatch/opendata"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/storetest"
)

func init() {
	// The compliance page's cases part: the declared case fields.
	page := "/open/enterprises/" + storetest.CreditCode
	opendataAllowed[page] = append(opendataAllowed[page], "cases")
	opendataAllowed[page] = append(opendataAllowed[page], opendata.FieldNames(opendata.Case)...)
	opendataAllowed[page] = append(opendataAllowed[page], opendata.FieldNames(opendata.Inspection)...)
}

// Texts of the seeded cases and inspection that the public must never
// see: officers' titles, plans, notes and findings, people's names.
const (
	opendataPartsTitle    = "锅炉二氧化硫超标整改（联系人王五）"
	opendataPartsPlan     = "更换脱硫设施，负责人赵六"
	opendataPartsNote     = "内部意见：企业负责人态度差"
	opendataPartsFinding  = "CEMS 采样探头堵塞，执法甲发现"
	opendataPartsInternal = "领导批示：约谈企业"
)

// opendataPartsWorld is what opendataPartsSeed made.
type opendataPartsWorld struct {
	rectifying, closed, registered, internal casework.Case
	inspection                               int64
}

// opendataPartsSeed gives the fixture's enterprise four cases: one being
// rectified and one closed (both published), one only registered and one
// from a leader's instruction (neither published), and a completed
// random inspection that found problems.
func opendataPartsSeed(t *testing.T, f *fixture) opendataPartsWorld {
	t.Helper()
	ctx := context.Background()
	r := f.api.cases.repo
	sys := casework.Actor{Name: "test"}
	newCase := func(src casework.Source, title string) casework.Case {
		c, err := r.Create(ctx, casework.Case{Title: title, Description: opendataPartsNote, Source: src, Category: "air", Severity: "high",
			RegionCode: storetest.County, EnterpriseCode: storetest.CreditCode, PointCode: storetest.Outlet, Deadline: time.Now().AddDate(0, 1, 0)}, sys)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	act := func(c casework.Case, who string, a casework.Action, in casework.Input) casework.Case {
		c, err := r.Act(ctx, c.ID, a, auth.Principal{Username: who, Role: auth.Admin}, in, sys)
		if err != nil {
			t.Fatalf("%s case %d: %v", a, c.ID, err)
		}
		return c
	}
	var w opendataPartsWorld
	w.rectifying = newCase(casework.SourceProvincialInspection, opendataPartsTitle)
	w.rectifying = act(w.rectifying, "opendata-sup1", casework.ActAssign, casework.Input{Assignee: "王五"})
	w.rectifying = act(w.rectifying, "opendata-sup1", casework.ActStart, casework.Input{Plan: opendataPartsPlan})
	w.closed = newCase(casework.SourceAlarm, "二氧化硫小时均值超标")
	for _, s := range []struct {
		who string
		a   casework.Action
		in  casework.Input
	}{{"opendata-sup1", casework.ActAssign, casework.Input{Assignee: "王五"}}, {"opendata-sup1", casework.ActStart, casework.Input{Plan: opendataPartsPlan}},
		{"opendata-sup1", casework.ActSubmit, casework.Input{Note: opendataPartsNote}}, {"opendata-sup2", casework.ActVerify, casework.Input{Method: "on-site", Note: opendataPartsNote}},
		{"opendata-sup3", casework.ActClose, casework.Input{Note: opendataPartsNote}}} {
		w.closed = act(w.closed, s.who, s.a, s.in)
	}
	w.registered = newCase(casework.SourceComplaint, "群众举报（未核实）")
	w.internal = newCase(casework.SourceLeaderInstruction, opendataPartsInternal)
	w.internal = act(w.internal, "opendata-sup1", casework.ActAssign, casework.Input{Assignee: "王五"})

	iw := inspectionsSetupWorld(t, f)
	var rep inspect.Report
	if err := json.Unmarshal([]byte(inspectionsReport("4411", inspect.OutcomeProblems, inspect.Finding{Text: opendataPartsFinding})), &rep); err != nil {
		t.Fatal(err)
	}
	if _, err := iw.repo.Complete(ctx, inspectstore.Actor{Name: "officer"}, iw.task, rep, w.rectifying.ID); err != nil {
		t.Fatal(err)
	}
	w.inspection = iw.task
	return w
}

// TestOpendataParts: the compliance page lists the published cases (by
// source and state) with public states and dates, and the completed
// inspection with its outcome; no title, plan, note, finding or name; an
// administrator's policy publishes the case titles.
func TestOpendataParts(t *testing.T) { testOpendataParts(t, newFixture(t)) }

func testOpendataParts(t *testing.T, f *fixture) {
	w := opendataPartsSeed(t, f)
	res, body := f.do(t, cred{}, "GET", "/open/enterprises/"+storetest.CreditCode, "")
	if res.StatusCode != 200 {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	var page struct {
		Cases []struct {
			ID          int64   `json:"id"`
			Source      string  `json:"source"`
			State       string  `json:"state"`
			Opened      string  `json:"opened"`
			Closed      *string `json:"closed"`
			Point       string  `json:"point"`
			Recurrences int     `json:"recurrences"`
		} `json:"cases"`
		Inspections []inspect.PublicResult `json:"inspections"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, c := range page.Cases {
		closed := "-"
		if c.Closed != nil {
			closed = *c.Closed
		}
		got[c.ID] = c.Source + " " + c.State + " " + closed
		if c.Opened != time.Now().In(store.CST).Format(time.DateOnly) || c.Point != storetest.Outlet {
			t.Errorf("case %d: opened %q point %q", c.ID, c.Opened, c.Point)
		}
	}
	today := time.Now().In(store.CST).Format(time.DateOnly)
	want := map[int64]string{w.rectifying.ID: "provincial-inspection rectifying -", w.closed.ID: "alarm closed " + today}
	if len(got) != len(want) || got[w.rectifying.ID] != want[w.rectifying.ID] || got[w.closed.ID] != want[w.closed.ID] {
		t.Errorf("published cases %v, want %v (not the registered %d nor the leader's instruction %d)", got, want, w.registered.ID, w.internal.ID)
	}
	if len(page.Inspections) != 1 || page.Inspections[0].TaskID != w.inspection || page.Inspections[0].Outcome != inspect.OutcomeProblems ||
		page.Inspections[0].FollowUp != "rectification" || page.Inspections[0].CreditCode != storetest.CreditCode {
		t.Errorf("inspections %+v", page.Inspections)
	}
	for _, private := range []string{opendataPartsTitle, opendataPartsPlan, opendataPartsNote, opendataPartsFinding, opendataPartsInternal,
		"王五", "执法甲", "opendata-sup", `"title"`, "群众举报"} {
		if strings.Contains(body, private) {
			t.Errorf("the compliance page holds %q: %s", private, body)
		}
	}
	// Publishing the titles is an administrator's setting; the
	// description never is.
	pol, err := opendata.ParsePolicy("case.title=public")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opendata.ParsePolicy("case.description=public"); err == nil || !strings.Contains(err.Error(), "never published") {
		t.Errorf("case.description=public: %v", err)
	}
	srv := opendataServer(t, f, OpenDataConfig{Policy: pol}, nil)
	res2, err := srv.Client().Get(srv.URL + Prefix + "/open/enterprises/" + storetest.CreditCode)
	if err != nil {
		t.Fatal(err)
	}
	var titled struct {
		Cases []struct {
			Title string `json:"title"`
		} `json:"cases"`
	}
	err = json.NewDecoder(res2.Body).Decode(&titled)
	res2.Body.Close()
	if err != nil || len(titled.Cases) != 2 || titled.Cases[0].Title == "" {
		t.Errorf("titles published: %v %+v", err, titled)
	}
}

// TestOpendataAQIBulkMatchesAPI: the daily AQI bulk file of a day holds
// exactly what /open/aqi?kind=day answers in CSV for that day, the cities
// first and then the stations, is served with its checksum and downloads
// with verification.
func TestOpendataAQIBulkMatchesAPI(t *testing.T) { testOpendataAQIBulkMatchesAPI(t, newFixture(t)) }

func testOpendataAQIBulkMatchesAPI(t *testing.T, f *fixture) {
	ctx := context.Background()
	now := time.Now().In(store.CST)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, store.CST).AddDate(0, 0, -1)
	pt, err := f.st.Point(ctx, storetest.Station)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a21026", "a21004", "a34002", "a21005", "a05024", "a34004"} {
		pt.Factors = append(pt.Factors, registry.PointFactor{Code: c, Unit: "µg/m3"})
	}
	if err := f.st.UpsertPoint(ctx, pt); err != nil {
		t.Fatal(err)
	}
	var ms []store.Measurement
	for h := range 24 {
		at := day.Add(time.Duration(h) * time.Hour)
		for _, c := range []struct {
			code string
			v    float64
		}{{"a21026", 8}, {"a21004", 30 + float64(h)}, {"a34002", 70}, {"a21005", 0.8}, {"a05024", 90 + 3*float64(h)}, {"a34004", 48.37}} {
			ms = append(ms, store.Measurement{Point: storetest.Station, Factor: c.code, Kind: store.Hour, Time: at, Values: store.Values{Flag: "N"}.With(store.Avg, c.v)})
		}
	}
	if err := f.st.WriteMeasurements(ctx, ms); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pol := opendata.DefaultPolicy()
	b := &opendata.Bulk{Dir: dir, Policy: pol, Source: f.st, Settle: 72 * time.Hour, Days: 2, Now: func() time.Time { return now },
		AQI: OpenDataDailyAQI(f.st, pol)}
	ix, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	date := day.Format(time.DateOnly)
	e, ok := ix.Lookup(opendata.AQIDaily, date)
	if !ok || e.Rows != 2 || e.Path != opendata.AQIDaily+"/"+date[:4]+"/"+date+".csv.gz" {
		t.Fatalf("index entry %+v %v, want 2 rows (the city and its station)", e, ok)
	}
	gz, err := os.ReadFile(filepath.Join(dir, e.Path))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	fileCSV, _ := io.ReadAll(zr)
	var want []string
	for i, q := range []string{"city=" + storetest.City, "point=" + storetest.Station} {
		_, body := f.do(t, cred{}, "GET", "/open/aqi?kind=day&format=csv&from="+date+"&to="+day.AddDate(0, 0, 1).Format(time.DateOnly)+"&"+q, "")
		lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("API %s: %s", q, body)
		}
		if i == 0 {
			want = append(want, lines[0])
		}
		want = append(want, lines[1])
	}
	if got := strings.TrimSuffix(string(fileCSV), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("bulk AQI file\n%s\ndiffers from the API\n%s", got, strings.Join(want, "\n"))
	}
	if !strings.Contains(string(fileCSV), "\n"+storetest.City+",") || !strings.Contains(string(fileCSV), "\n"+storetest.Station+",") {
		t.Errorf("AQI rows: %s", fileCSV)
	}
	srv := opendataServer(t, f, OpenDataConfig{BulkDir: dir}, nil)
	res, err := http.Get(srv.URL + Prefix + "/open/bulk/" + e.Path)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(served, gz) || res.Header.Get("ETag") != `"`+e.SHA256+`"` {
		t.Errorf("served %s: %d %d bytes, ETag %s", e.Path, res.StatusCode, len(served), res.Header.Get("ETag"))
	}
	d := &opendata.Downloader{Server: srv.URL, Client: http.DefaultClient, Out: t.TempDir()}
	if got, err := d.Run(ctx, opendata.AQIDaily, date, date); err != nil || got.Fetched != 1 {
		t.Errorf("download: %+v %v", got, err)
	}
}
