package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under hj212/testdata/golden")

// runCLI runs ecowatch with args and stdin, returning stdout, stderr and
// the exit status.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return out.String(), errb.String(), code
}

func samplesInput(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../hj212/testdata/public-samples.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "##") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// The golden files hold the decode output for the 34 public samples, one
// JSON line each, reviewed by hand against the verdicts in the samples file
// (regenerate with go test ./cmd/ecowatch -run Golden -update and review the
// diff). The verdicts themselves are asserted in hj212's own tests.
func TestHJ212DecodeGolden(t *testing.T) {
	in := samplesInput(t)
	for _, c := range []struct{ file, flag string }{
		{"decode-strict.jsonl", ""},
		{"decode-tolerant.jsonl", "--tolerant"},
	} {
		args := []string{"hj212", "decode", "--lines"}
		if c.flag != "" {
			args = append(args, c.flag)
		}
		out, stderr, code := runCLI(t, in, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %s", args, code, stderr)
		}
		if n := strings.Count(out, "\n"); n != 34 {
			t.Errorf("%v: %d lines, want one per sample (34)", args, n)
		}
		path := filepath.Join("../../hj212/testdata/golden", c.file)
		if *updateGolden {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if out != string(want) {
			t.Errorf("%v differs from %s:\n%s", args, path, firstDiff(out, string(want)))
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n got " + al[i] + "\nwant " + bl[i]
		}
	}
	return "different line counts"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// decode | encode round-trips: every frame that decodes re-encodes, the
// strictly valid ones byte for byte, and decoding the result gives the same
// JSON (minus the diagnostics of quirks that encode repairs).
func TestHJ212DecodeEncodeRoundTrip(t *testing.T) {
	in := samplesInput(t)
	for _, mode := range []string{"", "--tolerant"} {
		args := []string{"hj212", "decode", "--lines"}
		if mode != "" {
			args = append(args, mode)
		}
		dec, _, _ := runCLI(t, in, args...)
		enc, stderr, code := runCLI(t, dec, "hj212", "encode")
		if code != 0 {
			t.Fatalf("encode: exit %d: %s", code, stderr)
		}
		again, _, _ := runCLI(t, enc, "hj212", "decode", "--tolerant")
		var okLines []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(dec), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			if m["ok"] == true {
				okLines = append(okLines, m)
			}
		}
		got := strings.Split(strings.TrimSpace(again), "\n")
		if len(got) != len(okLines) {
			t.Fatalf("%s: %d frames re-decoded, want %d", mode, len(got), len(okLines))
		}
		for i, l := range got {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"diagnostics", "version"} {
				delete(m, k)
				delete(okLines[i], k)
			}
			a, _ := json.Marshal(m)
			b, _ := json.Marshal(okLines[i])
			if string(a) != string(b) {
				t.Errorf("%s frame %d: re-decoded %s, want %s", mode, i, a, b)
			}
		}
		if mode == "" {
			// Strictly valid input comes back byte for byte.
			var valid []string
			for _, l := range strings.Split(in, "\n") {
				if l == "" {
					continue
				}
				o, _, _ := runCLI(t, l+"\r\n", "hj212", "decode")
				if strings.HasPrefix(o, `{"ok":true`) {
					valid = append(valid, l+"\r\n")
				}
			}
			if enc != strings.Join(valid, "") {
				t.Errorf("strict round trip not byte-exact:\n got %q\nwant %q", enc, strings.Join(valid, ""))
			}
		}
	}
}

func TestHJ212Reply(t *testing.T) {
	// 2011 with Flag=5 (A=1) from App. C's layout: the platform owes 9014
	// echoing QN, PW and MN with ST=91, Flag=4 (reference §1.5).
	up := "##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&F441\r\n"
	out, stderr, code := runCLI(t, up, "hj212", "reply")
	if code != 0 || !strings.HasPrefix(out, "##0087QN=20231008123340461;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&") {
		t.Errorf("reply = %q (exit %d, %s)", out, code, stderr)
	}
	// The 9011 answer in the same source owes nothing.
	ans := "##0094QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&CC01\r\n"
	if out, _, code := runCLI(t, ans, "hj212", "reply"); out != "" || code != 0 {
		t.Errorf("reply to 9011 = %q, want nothing", out)
	}
	// A bad CRC is dropped, never answered (Table 2).
	bad := strings.Replace(up, "F441", "F440", 1)
	if out, _, _ := runCLI(t, bad, "hj212", "reply"); out != "" {
		t.Errorf("reply to a bad CRC = %q, want nothing", out)
	}
}

// A receiver log (tonyxia2016's rx.log style): timestamps before frames and
// lines without frames are the log's own text, skipped with --lines, and
// reported as garbage when the input is read as a raw byte stream.
func TestHJ212DecodeLog(t *testing.T) {
	frame := "##0094QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&CC01"
	log := "2020-09-21 17:40:57 RX: " + frame + "\nconnection closed\n"
	out, _, _ := runCLI(t, log, "hj212", "decode", "--lines")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"ok":true`) {
		t.Errorf("--lines: %q; want one decoded frame", out)
	}
	out, _, _ = runCLI(t, log, "hj212", "decode")
	if n := strings.Count(out, `"error":"garbage"`); n != 2 || !strings.Contains(out, `"error":"terminator"`) {
		t.Errorf("byte stream: %q; want 2 garbage reports and the LF-only frame refused", out)
	}
}

func TestHJ212Usage(t *testing.T) {
	if _, _, code := runCLI(t, "", "hj212"); code != 2 {
		t.Errorf("no subcommand: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t, "", "hj212", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
	if _, stderr, code := runCLI(t, "", "hj212", "decode", "--quirks", "nonsense"); code != 2 || !strings.Contains(stderr, "unknown quirk") {
		t.Errorf("bad quirk: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, `{"ok":true,"st":"32"}`, "hj212", "encode"); code != 1 || !strings.Contains(stderr, "CN") {
		t.Errorf("encode without CN: exit %d, %q; want a clear error", code, stderr)
	}
	if _, stderr, code := runCLI(t, `{"ok":true,"st":"32","cn":"2011","values":{"a21026":{"Rtd":12.3}}}`, "hj212", "encode"); code != 1 || !strings.Contains(stderr, "exact strings") {
		t.Errorf("numeric value: exit %d, %q; want a clear error", code, stderr)
	}
	// A per-device quirk set: only lowercase CRC allowed.
	lower := "##0094QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&cc01\r\n"
	out, _, _ := runCLI(t, lower+strings.TrimSuffix(lower, "\r\n")+"\n", "hj212", "decode", "--quirks", "lowercase-crc")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"ok":true`) || !strings.Contains(lines[1], `"error":"terminator"`) {
		t.Errorf("--quirks lowercase-crc: %q; want the first accepted, the LF-only one refused", out)
	}
}
