package hj212

import (
	"errors"
	"strings"
	"testing"
)

// hdr is a valid 2017 header for building test frames.
const hdr = "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"

// TestQuirks builds one frame per quirk of the reference's list (§3 "vendor
// quirks" and §1.8 "values a parser must tolerate"), each with a correct CRC
// unless the quirk is about the CRC, and checks strict mode refuses it with
// the documented code while tolerant mode accepts it with that quirk.
func TestQuirks(t *testing.T) {
	ok := mustEncode(t, hdr+"CP=&&DataTime=20160801085800;w01018-Rtd=50.1,w01018-Flag=N&&")
	trim := strings.TrimSuffix(ok, "\r\n")
	lower := trim[:len(trim)-4] + strings.ToLower(trim[len(trim)-4:])
	seg := func(frame string) string { return strings.TrimSuffix(frame, "\r\n")[6 : len(frame)-6] }
	modbus := func(data string) string {
		m := CRC16Modbus([]byte(data))
		return "##" + ok[2:6] + data + string(AppendCRC(nil, m<<8|m>>8)) + "\r\n"
	}
	cases := []struct {
		name   string
		frame  string
		strict string
		quirk  Quirk
	}{
		{"lowercase CRC", lower + "\r\n", CodeCRC, QuirkLowercaseCRC},
		{"Modbus CRC low byte first", modbus(seg(ok)), CodeCRC, QuirkModbusCRC},
		{"LF only", trim + "\n", CodeTerminator, QuirkTerminator},
		{"no CRLF", trim, CodeTerminator, QuirkTerminator},
		{"length field wrong", "##0999" + ok[6:], CodeLength, QuirkLength},
		{"length field 3 digits", "##" + ok[3:], CodeLength, QuirkLength},
		{"over 1024 bytes", mustEncode(t, hdr+"CP=&&DataTime=20160801085800;i11001-Info=//"+strings.Repeat("x", 1000)+"//&&"), CodeOversize, QuirkOversize},
		{"CP not closed", mustEncode(t, hdr+"CP=&&DataTime=20160801085800"), CodeGrammar, QuirkCPClose},
		{"no QN", mustEncode(t, strings.TrimPrefix(hdr, "QN=20160801085857223;")+"CP=&&&&"), CodeField, QuirkMissingField},
		{"empty QN", mustEncode(t, "QN=;"+strings.TrimPrefix(hdr, "QN=20160801085857223;")+"CP=&&&&"), CodeField, QuirkMissingField},
		{"no Flag", mustEncode(t, strings.Replace(hdr, "Flag=5;", "", 1)+"CP=&&&&"), CodeField, QuirkMissingField},
		{"split without PNUM", mustEncode(t, strings.Replace(hdr, "Flag=5", "Flag=7", 1)+"CP=&&&&"), CodeField, QuirkMissingField},
		{"MN before PW", mustEncode(t, "QN=20160801085857223;ST=32;CN=2011;MN=X;PW=1;Flag=5;CP=&&&&"), CodeField, QuirkFieldOrder},
		{"space before name (C.x)", mustEncode(t, hdr+"CP=&& PolId=w01018&&"), CodeGrammar, QuirkSpaces},
		{"space before =", mustEncode(t, hdr+"CP=&&i12003-Info =0&&"), CodeGrammar, QuirkSpaces},
		{"space after value", mustEncode(t, hdr+"CP=&&w01018-Rtd=168.0 &&"), CodeValue, QuirkSpaces},
		{"17-digit DataTime", mustEncode(t, hdr+"CP=&&DataTime=20160801085800000&&"), CodeValue, QuirkTime17},
		{"ST of 3 digits", mustEncode(t, strings.Replace(hdr, "ST=32", "ST=101", 1)+"CP=&&&&"), CodeCode, QuirkUnknownCode},
		{"unknown CN", mustEncode(t, strings.Replace(hdr, "CN=2011", "CN=2099", 1)+"CP=&&&&"), CodeCode, QuirkUnknownCode},
		{"invented factor O3 (guocay)", mustEncode(t, hdr+"CP=&&O3-Rtd=63.4&&"), CodeCode, QuirkUnknownCode},
		{"C.14 typo 01018-Rtd", mustEncode(t, hdr+"CP=&&01018-Rtd=1&&"), CodeCode, QuirkUnknownCode},
		{"non-standard suffix", mustEncode(t, hdr+"CP=&&a01006-ValidNum=10&&"), CodeCode, QuirkUnknownCode},
		{"version bits 3", mustEncode(t, strings.Replace(hdr, "Flag=5", "Flag=13", 1)+"CP=&&&&"), CodeCode, QuirkUnknownCode},
		{"C.19 Flag=5CP=", mustEncode(t, strings.TrimSuffix(hdr, ";")+"CP=&&&&"), CodeGrammar, QuirkSeparator},
		{"C.22 QN=…,ST=", mustEncode(t, strings.Replace(hdr, "223;ST", "223,ST", 1)+"CP=&&&&"), CodeGrammar, QuirkSeparator},
		{"trailing ; before &&", mustEncode(t, hdr+"CP=&&DataTime=20160801085800;&&"), CodeGrammar, QuirkSeparator},
		{"non-numeric Rtd", mustEncode(t, hdr+"CP=&&w01018-Rtd=--&&"), CodeValue, QuirkValue},
		{"two-letter flag", mustEncode(t, hdr+"CP=&&w01018-Flag=Md&&"), CodeValue, QuirkValue},
	}
	for _, c := range cases {
		_, err := Decode([]byte(c.frame), Strict)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Code != c.strict || pe.Quirk != c.quirk {
			t.Errorf("%s: strict error %v, want code %q naming quirk %v", c.name, err, c.strict, c.quirk)
		}
		// Only this quirk allowed: accepted, with exactly this quirk.
		f, err := Decode([]byte(c.frame), Mode{Allow: c.quirk})
		if err != nil {
			t.Errorf("%s: allowing %v: %v", c.name, c.quirk, err)
			continue
		}
		for _, d := range f.Diagnostics {
			if d.Quirk != c.quirk {
				t.Errorf("%s: diagnostic %v, want only %v", c.name, d, c.quirk)
			}
		}
		if len(f.Diagnostics) == 0 {
			t.Errorf("%s: accepted without a diagnostic", c.name)
		}
	}
	if _, err := Decode([]byte(ok), Strict); err != nil {
		t.Fatalf("the base frame must be valid: %v", err)
	}
}

// Failures no mode accepts, each with its code and the offset of the fault.
func TestDecodeErrors(t *testing.T) {
	ok := mustEncode(t, hdr+"CP=&&w01018-Rtd=50.1&&")
	badCRC := strings.Replace(ok, ok[len(ok)-6:len(ok)-2], "0000", 1)
	cases := []struct {
		name   string
		frame  string
		code   string
		offset int
	}{
		{"no header", "x" + ok[1:], CodeHeader, 0},
		{"empty", "", CodeHeader, 0},
		{"only envelope", "##0000\r\n", CodeLength, 6},
		{"CRC mismatch", badCRC, CodeCRC, len(ok) - 6},
		{"CRC not hex", ok[:len(ok)-6] + "12G4\r\n", CodeCRC, len(ok) - 6},
		{"no CP", mustEncode(t, "QN=20160801085857223;ST=32;CN=2011;PW=1;MN=2;Flag=5"), CodeField, 6 + len("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=2;Flag=5")},
		{"no CN", mustEncode(t, "QN=20160801085857223;ST=32;PW=1;MN=2;Flag=5;CP=&&&&"), CodeField, 6 + len("QN=20160801085857223;ST=32;PW=1;MN=2;Flag=5;CP=")},
		{"field without =", mustEncode(t, hdr+"CP=&&DataTime;x=1&&"), CodeGrammar, 6 + len(hdr) + 5},
		{"empty name", mustEncode(t, hdr+"CP=&&=1&&"), CodeGrammar, 6 + len(hdr) + 5},
		{"Info not closed", mustEncode(t, hdr+"CP=&&i11001-Info=//abc&&"), CodeGrammar, 6 + len(hdr) + 5 + len("i11001-Info=")},
		{"duplicate header", mustEncode(t, "QN=20160801085857223;QN=20160801085857223;ST=32;CN=2011;CP=&&&&"), CodeGrammar, 6 + 21},
	}
	for _, c := range cases {
		for _, m := range []Mode{Strict, Tolerant} {
			_, err := Decode([]byte(c.frame), m)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Code != c.code || pe.Offset != c.offset {
				t.Errorf("%s (allow %v): %v; want code %s at %d", c.name, m.Allow, err, c.code, c.offset)
			}
		}
	}
}

// The length counts UTF-8 bytes (§6.3): 清洗管路 is 4 characters, 12 bytes.
func TestLengthCountsUTF8Bytes(t *testing.T) {
	data := hdr + "CP=&&i11001-Info=//清洗管路//&&"
	frame := mustEncode(t, data)
	f, err := Decode([]byte(frame), Strict)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Value("i11001", "Info"); v != "//清洗管路//" {
		t.Errorf("Info = %q", v)
	}
	chars := len([]rune(data))
	wrong := "##" + string([]byte{byte('0' + chars/1000), byte('0' + chars/100%10), byte('0' + chars/10%10), byte('0' + chars%10)}) + frame[6:]
	if _, err := Decode([]byte(wrong), Strict); !errors.Is(err, ErrLength) {
		t.Errorf("length in characters (%d, not %d bytes): %v, want ErrLength", chars, len(data), err)
	}
}

func TestInfoWithSeparators(t *testing.T) {
	// C.40-style log text holding ',' ';' and a lone "//" inside.
	frame := mustEncode(t, hdr+"CP=&&DataTime=20160801085800;PolId=w01018;i11001-Info=//a,b;c//d//,i11001-SN=1A&&")
	f, err := Decode([]byte(frame), Strict)
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{"DataTime", "20160801085800", 0}, {"PolId", "w01018", 1}, {"i11001-Info", "//a,b;c//d//", 2}, {"i11001-SN", "1A", 2}}
	if len(f.CP) != len(want) {
		t.Fatalf("CP = %+v", f.CP)
	}
	for i := range want {
		if f.CP[i] != want[i] {
			t.Errorf("field %d = %+v, want %+v", i, f.CP[i], want[i])
		}
	}
}

func TestFieldAccessors(t *testing.T) {
	fl := Field{Name: "a21026-Rtd", Value: "12.30"}
	if fl.Code() != "a21026" || fl.Suffix() != "Rtd" {
		t.Errorf("Code/Suffix = %q/%q", fl.Code(), fl.Suffix())
	}
	if v, err := fl.Float(); err != nil || v != 12.3 {
		t.Errorf("Float = %v, %v", v, err)
	}
	if _, err := (Field{Name: "x", Value: "abc"}).Float(); !errors.Is(err, ErrValue) {
		t.Errorf("Float(abc) = %v, want ErrValue", err)
	}
	if n, err := (Field{Value: "30"}).Int(); err != nil || n != 30 {
		t.Errorf("Int = %d, %v", n, err)
	}
	dt := Field{Name: "DataTime", Value: "20200101083000"}
	tm, err := dt.Time(ChinaTime)
	if err != nil || tm.UTC().Hour() != 0 || tm.UTC().Minute() != 30 {
		t.Errorf("Time = %v, %v; want 00:30 UTC (08:30 UTC+8)", tm, err)
	}
	if tm, err := ParseTime("20200101083000123", ChinaTime); err != nil || tm.Nanosecond() != 123e6 {
		t.Errorf("17-digit time = %v, %v", tm, err)
	}
	for _, bad := range []string{"2020010108300", "20201301083000", "abcdefghijklmn"} {
		if _, err := ParseTime(bad, ChinaTime); !errors.Is(err, ErrValue) {
			t.Errorf("ParseTime(%q) = %v, want ErrValue", bad, err)
		}
	}
	if q := FormatQN(tm); q != "20200101083000000" {
		t.Errorf("FormatQN = %s", q)
	}
	if f := MakeFlag(V2025, true, true); f != 11 || f.Version() != V2025 || !f.Split() || !f.Ack() {
		t.Errorf("MakeFlag(2025, split, ack) = %d; reference says 8|2|1 = 11", f)
	}
}

func TestParseQuirks(t *testing.T) {
	q, ok := ParseQuirks("lowercase-crc,terminator")
	if !ok || q != QuirkLowercaseCRC|QuirkTerminator || q.String() != "lowercase-crc|terminator" {
		t.Errorf("ParseQuirks = %v, %v", q, ok)
	}
	if q, ok := ParseQuirks(AllQuirks.String()); !ok || q != AllQuirks {
		t.Errorf("round trip of all quirks: %v", q)
	}
	if _, ok := ParseQuirks("lowercase"); ok {
		t.Error("an unknown quirk name must be refused")
	}
	if !Tolerant.Allows(QuirkModbusCRC|QuirkSpaces) || Strict.Allows(QuirkSpaces) {
		t.Error("Allows is wrong")
	}
}

// DecodeInto reuses the frame's slices: after a first decode, decoding
// again allocates only the data segment's string.
func TestDecodeIntoAllocs(t *testing.T) {
	raw := []byte(mustEncode(t, typical2011Data))
	var f Frame
	if err := DecodeInto(&f, raw, Strict); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if err := DecodeInto(&f, raw, Strict); err != nil {
			t.Fatal(err)
		}
	})
	if n > 1 {
		t.Errorf("%v allocations per decode, want at most 1", n)
	}
}
