package hj212

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

// sample is one packet of testdata/public-samples.txt with the verdict
// comment above it.
type sample struct {
	line    int
	verdict string
	raw     []byte // with the terminator the verdict says the source had
}

// readSamples reads the samples file. Its header says packets are stored
// without their CRLF and the verdict says whether the source had one; we
// restore exactly that ending ("no CRLF" → none, "LF-only" → LF).
func readSamples(t testing.TB) []sample {
	t.Helper()
	fh, err := os.Open("testdata/public-samples.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	var out []sample
	verdict := ""
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# ["):
			verdict = l
		case strings.HasPrefix(l, "##"):
			end := "\r\n"
			switch {
			case strings.Contains(verdict, "no CRLF"):
				end = ""
			case strings.Contains(verdict, "LF-only"):
				end = "\n"
			}
			out = append(out, sample{line: n, verdict: verdict, raw: []byte(l + end)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleWant is our verdict on each sample in file order: the error code in
// strict mode ("" = accepted), the error code in tolerant mode, and the
// quirks tolerant mode must report. Each row's reason is in its comment; the
// file's own verdict (CRC and length, computed by the reference's script)
// is checked separately in TestSamplesFileVerdicts.
var sampleWant = []struct {
	strict, tolerant string
	quirks           Quirk
}{
	{"", "", 0},           // App. A example: valid
	{CodeCRC, CodeCRC, 0}, // README, CRC 4980 but computed 3C00
	{CodeCRC, "", QuirkLowercaseCRC | QuirkMissingField},                    // lowercase CRC; 2005-style upload without QN/Flag
	{CodeField, "", QuirkMissingField | QuirkTime17},                        // no QN/Flag; 17-digit DataTime
	{CodeTerminator, "", QuirkTerminator | QuirkMissingField | QuirkTime17}, // LF only
	{CodeCRC, CodeCRC, 0},                               // 4981 vs computed 4980
	{CodeCRC, "", QuirkLowercaseCRC},                    // lowercase cc01
	{CodeCRC, CodeCRC, 0},                               // 1100 vs 2D00
	{CodeCRC, CodeCRC, 0},                               // f9c1 vs 7340
	{CodeCRC, "", QuirkLowercaseCRC | QuirkUnknownCode}, // lowercase; a2106 is not a 6-character code
	{CodeCode, "", QuirkUnknownCode},                    // a214 …: invented codes
	{CodeCRC, CodeCRC, 0},                               // 2800 vs D801
	{"", "", 0},                                         // libem: valid (l01001 is shaped like a code)
	{CodeField, "", QuirkFieldOrder | QuirkMissingField | QuirkUnknownCode}, // PNO before PNUM, no Flag, -ValidNum
	{"", "", 0},                      // IceCoffee README: valid
	{CodeCRC, "", QuirkLowercaseCRC}, // lowercase 7d00 (Flag=8: version 2025)
	{CodeCRC, "", QuirkLowercaseCRC | QuirkMissingField | QuirkTime17 | QuirkUnknownCode}, // 8c41, ele01
	{CodeTerminator, "", QuirkTerminator},                                                 // no CRLF
	{"", "", 0},                                                                           // liruoyu 2011
	{"", "", 0},                                                                           // liruoyu 9011
	{"", "", 0},                                                                           // liruoyu 2081
	{"", "", 0},                                                                           // liruoyu 2011
	{CodeTerminator, "", QuirkTerminator | QuirkMissingField},                                  // 2005 upload, no CRLF
	{CodeTerminator, "", QuirkTerminator | QuirkMissingField | QuirkUnknownCode},               // ST=101, ua19004
	{CodeTerminator, "", QuirkTerminator | QuirkModbusCRC | QuirkMissingField},                 // Modbus CRC A6EC
	{CodeTerminator, "", QuirkTerminator | QuirkOversize | QuirkModbusCRC | QuirkMissingField}, // 1025 bytes
	{CodeTerminator, "", QuirkTerminator},                                                      // no CRLF
	{CodeTerminator, "", QuirkTerminator | QuirkOversize | QuirkModbusCRC | QuirkMissingField}, // 1623 bytes
	{CodeTerminator, "", QuirkTerminator | QuirkUnknownCode},                                   // bare Flag=N key
	{CodeTerminator, "", QuirkTerminator | QuirkLength | QuirkCPClose | QuirkUnknownCode},      // missing &&, 0121 vs 119
	{CodeTerminator, "", QuirkTerminator | QuirkLength | QuirkMissingField | QuirkTime17},      // ##81, QN=
	{CodeLength, CodeCRC, 0}, // issue #6: 0215 vs 271, CRC wrong
	{CodeTerminator, "", QuirkTerminator | QuirkLength | QuirkLowercaseCRC | QuirkMissingField | QuirkUnknownCode | QuirkSeparator}, // ##453, LA-td, trailing ;
	{"", "", 0}, // csdn hex dump: valid
}

func errCode(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func TestPublicSamples(t *testing.T) {
	samples := readSamples(t)
	if len(samples) != 34 || len(sampleWant) != len(samples) {
		t.Fatalf("%d samples, %d expectations; the file holds 34", len(samples), len(sampleWant))
	}
	for i, s := range samples {
		w := sampleWant[i]
		f, err := Decode(s.raw, Strict)
		if got := errCode(err); got != w.strict {
			t.Errorf("sample %d (line %d) strict: error %q, want %q (%v)", i, s.line, got, w.strict, err)
		}
		if err == nil && len(f.Diagnostics) != 0 {
			t.Errorf("sample %d strict: diagnostics %v", i, f.Diagnostics)
		}
		f, err = Decode(s.raw, Tolerant)
		if got := errCode(err); got != w.tolerant {
			t.Errorf("sample %d (line %d) tolerant: error %q, want %q (%v)", i, s.line, got, w.tolerant, err)
			continue
		}
		if err != nil {
			continue
		}
		var q Quirk
		for _, d := range f.Diagnostics {
			q |= d.Quirk
		}
		if q != w.quirks {
			t.Errorf("sample %d (line %d) tolerant quirks %v, want %v", i, s.line, q, w.quirks)
		}
		// A strict failure that tolerant mode accepts names its quirk.
		if w.strict != "" {
			_, err := Decode(s.raw, Strict)
			var pe *ParseError
			if errors.As(err, &pe) && pe.Quirk&w.quirks == 0 {
				t.Errorf("sample %d: strict error's quirk %v not among %v", i, pe.Quirk, w.quirks)
			}
		}
	}
}

// TestSamplesFileVerdicts checks our CRC against the verdict the reference's
// script wrote above each packet: "CRC MISMATCH given X computed Y" must give
// Y, and every other packet's CRC must match.
func TestSamplesFileVerdicts(t *testing.T) {
	for i, s := range readSamples(t) {
		raw := strings.TrimRight(string(s.raw), "\r\n")
		data := raw[2 : len(raw)-4]
		for len(data) > 0 && isDigit(data[0]) && len(raw)-len(data) < 6+4 {
			data = data[1:]
		}
		got := string(AppendCRC(nil, CRC16([]byte(data))))
		if j := strings.Index(s.verdict, "computed "); j >= 0 {
			if want := s.verdict[j+9 : j+13]; got != want {
				t.Errorf("sample %d: CRC %s, verdict says computed %s", i, got, want)
			}
		} else if given := raw[len(raw)-4:]; !strings.EqualFold(got, given) {
			t.Errorf("sample %d: CRC %s, frame carries %s and the verdict says it matches", i, got, given)
		}
	}
}
