package hj212

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// appA is HJ 212-2017 Appendix A's example frame (1062, set RtdInterval=30).
const appA = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"

func TestEncodeAppendixA(t *testing.T) {
	f, err := Decode([]byte(appA), Strict)
	if err != nil {
		t.Fatal(err)
	}
	if f.QN != "20160801085857223" || f.ST != "32" || f.CN != "1062" || f.PW != "100000" ||
		f.MN != "010000A8900016F000169DC0" || f.Flag != 5 || !f.HasFlag || f.Version() != V2017 ||
		!f.Flag.Ack() || f.Flag.Split() {
		t.Errorf("decoded header %+v, want Appendix A's fields", f)
	}
	if v, ok := f.Param("RtdInterval"); !ok || v != "30" {
		t.Errorf("RtdInterval = %q, %v; want 30", v, ok)
	}
	b, err := Encode(f)
	if err != nil || string(b) != appA {
		t.Errorf("Encode = %q, %v; want Appendix A's frame", b, err)
	}
	// The same frame built as a platform request.
	req, err := SetRtdInterval(Target{QN: "20160801085857223", ST: "32", PW: "100000", MN: "010000A8900016F000169DC0", Version: V2017}, 30)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Encode(req); string(b) != appA {
		t.Errorf("SetRtdInterval encodes to %q, want Appendix A's frame", b)
	}
}

// Every sample that decodes strictly encodes back to the same bytes.
func TestEncodeRoundTripSamples(t *testing.T) {
	n := 0
	for i, s := range readSamples(t) {
		f, err := Decode(s.raw, Strict)
		if err != nil {
			continue
		}
		n++
		b, err := Encode(f)
		if err != nil || string(b) != string(s.raw) {
			t.Errorf("sample %d: Encode = %q, %v; want %q", i, b, err, s.raw)
		}
	}
	if n < 8 {
		t.Errorf("only %d samples decode strictly; the file has 11 VALID", n)
	}
}

func TestEncodeRefusesStructure(t *testing.T) {
	base := Frame{QN: "20200101000000000", ST: "32", CN: "2011", PW: "123456", MN: "X", Flag: 4, HasFlag: true}
	bad := []Frame{
		{ST: "32"}, // no CN
		func() Frame { f := base; f.MN = "a;b"; return f }(),
		func() Frame { f := base; f.CP = []Field{{Name: "a21026-Rtd", Value: "1,2"}}; return f }(),
		func() Frame { f := base; f.CP = []Field{{Name: "a=b", Value: "1"}}; return f }(),
		func() Frame { f := base; f.CP = []Field{{Name: "", Value: "1"}}; return f }(),
		func() Frame { f := base; f.CP = []Field{{Name: "i11001-Info", Value: "//a//;b//"}}; return f }(),
		func() Frame { f := base; f.CP = []Field{{Name: "x", Value: strings.Repeat("9", 10000)}}; return f }(),
	}
	for i, f := range bad {
		if b, err := Encode(&f); err == nil {
			t.Errorf("case %d: Encode = %q, want an error", i, b)
		}
	}
	// Info text may hold separators and CR LF (C.40 logs).
	f := base
	f.CN = "3020"
	f.CP = []Field{{Name: "DataTime", Value: "20200101000000"}, {Name: "i11001-Info", Value: "//a;b,c\r\nd//", Item: 1}}
	b, err := Encode(&f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(b, Strict)
	if err != nil || len(g.CP) != 2 || g.CP[1].Value != "//a;b,c\r\nd//" || g.CP[1].Text() != "a;b,c\r\nd" {
		t.Errorf("Info round trip: %+v, %v", g, err)
	}
}

func TestReplyFor(t *testing.T) {
	up := &Frame{QN: "20160801085857223", ST: "32", CN: "2011", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 5, HasFlag: true,
		CP: []Field{{Name: "DataTime", Value: "20160801085800"}}}
	r, ok := ReplyFor(up)
	if !ok {
		t.Fatal("no reply owed for an upload with A=1")
	}
	// The reference's example 5: the 9014 built as App. C shows, CRC 3240.
	want := mustEncode(t, "QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&")
	if b, _ := Encode(r); string(b) != want || !strings.HasSuffix(want, "3240\r\n") {
		t.Errorf("9014 = %q, want %q (CRC 3240)", b, want)
	}
	cases := []struct {
		cn      string
		flag    Flag
		hasFlag bool
		want    string // "" = nothing owed
	}{
		{"2011", 4, true, ""},     // A=0
		{"2061", 5, true, "9014"}, // hourly data, A=1
		{"2051", 7, true, "9014"}, // each split part is answered
		{"2011", 0, false, ""},    // 2005 upload without Flag
		{"1013", 4, true, "9013"}, // time-calibration request: notification
		{"9015", 8, true, "9013"}, // 2025 heartbeat
		{"9011", 4, true, ""},     // answers get nothing
		{"9014", 4, true, ""},
		{"1062", 5, true, ""}, // a platform request coming from a device: nothing
		{"4444", 5, true, ""}, // unknown
	}
	for _, c := range cases {
		f := *up
		f.CN, f.Flag, f.HasFlag = c.cn, c.flag, c.hasFlag
		r, ok := ReplyFor(&f)
		got := ""
		if ok {
			got = r.CN
			if r.ST != "91" || r.QN != f.QN || r.Flag.Ack() || r.Flag.Version() != f.Version() {
				t.Errorf("CN %s: reply %+v: want ST=91, echoed QN, A=0, same version", c.cn, r)
			}
		}
		if got != c.want {
			t.Errorf("CN %s Flag %d: reply %q, want %q", c.cn, c.flag, got, c.want)
		}
	}
}

func TestRequests(t *testing.T) {
	tg := Target{QN: "20200101080000000", ST: "31", PW: "123456", MN: "MN1", Version: V2017}
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, ChinaTime)
	hq, err := HistoryQuery(tg, "2061", day, day.Add(23*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Encode(hq)
	// Appendix C's history query layout, with ';' between the times.
	wantData := "QN=20200101080000000;ST=31;CN=2061;PW=123456;MN=MN1;Flag=5;CP=&&BeginTime=20200101000000;EndTime=20200101230000&&"
	if string(b) != mustEncode(t, wantData) {
		t.Errorf("2061 query = %q, want %q", b, mustEncode(t, wantData))
	}
	if _, err := HistoryQuery(tg, "2011", day, day); !errors.Is(err, ErrCode) {
		t.Errorf("2011 as history query: %v, want ErrCode", err)
	}
	if _, err := HistoryQuery(tg, "2031", day, day.Add(-time.Hour)); !errors.Is(err, ErrValue) {
		t.Errorf("reversed range: %v, want ErrValue", err)
	}
	for _, s := range []int{29, 3601} {
		if _, err := SetRtdInterval(tg, s); !errors.Is(err, ErrValue) {
			t.Errorf("RtdInterval %d: %v, want ErrValue (30-3600)", s, err)
		}
	}
	for m, ok := range map[int]bool{1: true, 10: true, 30: true, 7: false, 60: false, 0: false} {
		if _, err := SetMinInterval(tg, m); (err == nil) != ok {
			t.Errorf("MinInterval %d: %v, want allowed=%v", m, err, ok)
		}
	}
	st := SetTime(tg, time.Date(2020, 1, 1, 8, 0, 1, 0, ChinaTime))
	if v, _ := st.Param("SystemTime"); v != "20200101080001" || st.CN != "1012" {
		t.Errorf("1012 = %+v", st)
	}
	if GetTime(tg, "w01018").CN != "1011" || GetRtdInterval(tg).CN != "1061" || GetMinInterval(tg).CN != "1063" {
		t.Error("get requests carry the wrong CN")
	}
	c, err := Control(tg, "3020", Field{Name: "PolId", Value: "w01018"}, Field{Name: "InfoId", Value: "i12001"})
	if err != nil || c.CP[1].Item != 1 {
		t.Errorf("3020 = %+v, %v", c, err)
	}
	if _, err := Control(tg, "2011"); !errors.Is(err, ErrCode) {
		t.Errorf("2011 as control: %v, want ErrCode", err)
	}
	// Every request must decode strictly after encoding.
	for _, f := range []*Frame{hq, st, GetTime(tg, ""), c} {
		b, err := Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(b, Strict); err != nil {
			t.Errorf("%s does not decode strictly: %v", f.CN, err)
		}
	}
	if ra := RequestAnswer(hq, QnRtnReady); ra.CN != "9011" || ra.CP[0].Value != "1" {
		t.Errorf("9011 = %+v", ra)
	}
	if er := ExecutionResult(hq, ExeRtnNoData); er.CN != "9012" || er.CP[0].Value != "100" {
		t.Errorf("9012 = %+v", er)
	}
}

// bigUpload is a 2011 upload with n factors, two fields each.
func bigUpload(n int) *Frame {
	f := &Frame{QN: "20160801085857533", ST: "22", CN: "2011", PW: "123456", MN: "010000A8900016F000169DC0", Flag: 5, HasFlag: true}
	f.CP = append(f.CP, Field{Name: "DataTime", Value: "20160801085800"})
	for i := range n {
		code := fmt.Sprintf("a%05d", 21000+i)
		f.CP = append(f.CP, Field{Name: code + "-Rtd", Value: fmt.Sprintf("%d.%03d", i, i), Item: i + 1},
			Field{Name: code + "-Flag", Value: "N", Item: i + 1})
	}
	return f
}

func TestSplitAndReassemble(t *testing.T) {
	f := bigUpload(60)
	parts, err := Split(f, MaxDataLen)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts; 60 factors need more than 1024 bytes", len(parts))
	}
	r := NewReassembler(time.Minute, 100)
	now := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var whole *Frame
	// Feed the parts in reverse, through the wire.
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		b, err := Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(b) - 12; n > MaxDataLen {
			t.Errorf("part %d data segment %d bytes", i+1, n)
		}
		g, err := Decode(b, Strict)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if !g.Flag.Split() || g.PNUM != len(parts) || g.PNO != i+1 {
			t.Errorf("part %d: Flag %d PNUM %d PNO %d", i+1, g.Flag, g.PNUM, g.PNO)
		}
		// C.49: each part has a QN of its own, one millisecond apart.
		if want := fmt.Sprintf("201608010858575%02d", 33+i); g.QN != want {
			t.Errorf("part %d QN %s, want %s", i+1, g.QN, want)
		}
		if dt, _ := g.Param("DataTime"); dt != "20160801085800" {
			t.Errorf("part %d DataTime %q", i+1, dt)
		}
		out, err := r.Add(g, now)
		if err != nil {
			t.Fatal(err)
		}
		if out != nil {
			whole = out
		}
	}
	if whole == nil || r.Pending() != 0 {
		t.Fatalf("no whole frame after all parts (pending %d)", r.Pending())
	}
	if whole.Flag.Split() || whole.PNUM != 0 || len(whole.CP) != len(f.CP) {
		t.Fatalf("joined frame: Flag %d PNUM %d, %d fields; want %d fields unsplit", whole.Flag, whole.PNUM, len(whole.CP), len(f.CP))
	}
	for i := range f.CP {
		if whole.CP[i] != f.CP[i] {
			t.Errorf("field %d = %+v, want %+v", i, whole.CP[i], f.CP[i])
		}
	}
	// A frame that fits is not split.
	small := bigUpload(2)
	if p, err := Split(small, MaxDataLen); err != nil || len(p) != 1 || p[0] != small {
		t.Errorf("small frame split into %d parts (%v)", len(p), err)
	}
	// One factor item larger than the limit cannot be split.
	if _, err := Split(bigUpload(3), 120); !errors.Is(err, ErrOversize) {
		t.Errorf("limit 120: %v, want ErrOversize", err)
	}
}

func TestReassemblerTimeoutAndBound(t *testing.T) {
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	part := func(mn string, pno int) *Frame {
		return &Frame{ST: "22", CN: "2051", MN: mn, Flag: 7, HasFlag: true, PNUM: 3, PNO: pno,
			CP: []Field{{Name: "DataTime", Value: "20200101000000"}}}
	}
	r := NewReassembler(time.Minute, 4)
	for _, mn := range []string{"A", "B", "C"} {
		if out, err := r.Add(part(mn, 1), t0); out != nil || err != nil {
			t.Fatalf("first part of %s: %v, %v", mn, out, err)
		}
		t0 = t0.Add(time.Second)
	}
	r.Add(part("B", 2), t0)
	r.Add(part("C", 2), t0) // 5 parts > 4: the oldest upload (A) goes
	if r.Pending() != 4 {
		t.Errorf("pending %d, want 4", r.Pending())
	}
	inc := r.Expire(t0)
	if len(inc) != 1 || inc[0].MN != "A" || inc[0].Reason != "evicted" || inc[0].Parts[0] == nil {
		t.Errorf("after the bound: %+v, want A evicted with its part", inc)
	}
	inc = r.Expire(t0.Add(2 * time.Minute))
	if len(inc) != 2 || inc[0].Reason != "timeout" || r.Pending() != 0 {
		t.Errorf("after the timeout: %+v, pending %d", inc, r.Pending())
	}
	if _, err := r.Add(&Frame{Flag: 7, HasFlag: true, PNUM: 2, PNO: 3}, t0); !errors.Is(err, ErrReassembly) {
		t.Errorf("PNO 3 of 2: %v, want ErrReassembly", err)
	}
	whole := &Frame{CN: "2011", Flag: 5, HasFlag: true}
	if out, _ := r.Add(whole, t0); out != whole {
		t.Error("an unsplit frame must come straight back")
	}
}
