package hj212

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// token is what a Scanner yields, for comparisons.
type token struct {
	raw  string
	code string // "" for a frame
}

func scanAll(t testing.TB, r io.Reader, max int) []token {
	t.Helper()
	s := NewScanner(r)
	if max > 0 {
		s.SetMaxFrame(max)
	}
	var out []token
	for s.Scan() {
		out = append(out, token{string(s.Bytes()), errCode(s.FramingErr())})
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	return out
}

// validStream is the valid frames of the samples file (verdict VALID: length,
// CRC and CRLF right) back to back, one with Info text holding CR LF, ';' and
// "##"-free separators, which only length-driven framing keeps whole.
func validStream(t testing.TB) ([]string, string) {
	var frames []string
	for _, s := range readSamples(t) {
		if strings.Contains(s.verdict, "[VALID") {
			frames = append(frames, string(s.raw))
		}
	}
	info := mustEncode(t, "QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857;PolId=w01018;i11001-Info=//清洗管路;第二行\r\n,结束//&&")
	frames = append(frames, info)
	return frames, strings.Join(frames, "")
}

// mustEncode wraps a data segment in its envelope with the right length and
// CRC (computed here independently of Encode).
func mustEncode(t testing.TB, data string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("##")
	n := len(data)
	b.WriteByte(byte('0' + n/1000))
	b.WriteByte(byte('0' + n/100%10))
	b.WriteByte(byte('0' + n/10%10))
	b.WriteByte(byte('0' + n%10))
	b.WriteString(data)
	b.Write(AppendCRC(nil, bitwiseCRC([]byte(data))))
	b.WriteString("\r\n")
	return b.String()
}

func TestScannerValidStream(t *testing.T) {
	frames, stream := validStream(t)
	got := scanAll(t, strings.NewReader(stream), 0)
	if len(got) != len(frames) {
		t.Fatalf("%d tokens, want %d frames", len(got), len(frames))
	}
	for i, tok := range got {
		if tok.code != "" || tok.raw != frames[i] {
			t.Errorf("token %d = %q (%s), want frame %q", i, tok.raw, tok.code, frames[i])
		}
		if _, err := Decode([]byte(tok.raw), Tolerant); err != nil {
			t.Errorf("frame %d does not decode: %v", i, err)
		}
	}
}

// TestScannerSplitEveryOffset feeds the stream in two reads cut at every
// byte offset, and one byte per read: the frames must come out the same.
func TestScannerSplitEveryOffset(t *testing.T) {
	frames, stream := validStream(t)
	for cut := 0; cut <= len(stream); cut++ {
		r := io.MultiReader(strings.NewReader(stream[:cut]), strings.NewReader(stream[cut:]))
		got := scanAll(t, r, 0)
		if len(got) != len(frames) {
			t.Fatalf("cut %d: %d tokens, want %d", cut, len(got), len(frames))
		}
		for i := range got {
			if got[i].raw != frames[i] || got[i].code != "" {
				t.Fatalf("cut %d token %d = %q, want %q", cut, i, got[i].raw, frames[i])
			}
		}
	}
	got := scanAll(t, iotest.OneByteReader(strings.NewReader(stream)), 0)
	if len(got) != len(frames) {
		t.Fatalf("one byte per read: %d tokens, want %d", len(got), len(frames))
	}
}

func TestScannerGarbageAndResync(t *testing.T) {
	frames, _ := validStream(t)
	a, b := frames[0], frames[1]
	cases := []struct {
		name  string
		input string
		want  []token
	}{
		{"garbage before", "xx\x00yy" + a, []token{{"xx\x00yy", CodeGarbage}, {a, ""}}},
		{"whitespace between is silent", a + "\r\n\r\n" + b, []token{{a, ""}, {b, ""}}},
		{"single # is garbage", "#" + a, []token{{"#", CodeGarbage}, {a, ""}}},
		{"LF-only and no terminator", strings.TrimSuffix(a, "\r\n") + "\n" + strings.TrimSuffix(b, "\r\n") + a,
			[]token{{strings.TrimSuffix(a, "\r\n") + "\n", ""}, {strings.TrimSuffix(b, "\r\n"), ""}, {a, ""}}},
		{"wrong length ends at LF", "##9000QN=1;CP=&&&&FFFF\r\n" + a, []token{{"##9000QN=1;CP=&&&&FFFF\r\n", ""}, {a, ""}}},
		{"short length ends at next ##", "##12QN=1;CP=&&&&FFFF" + a, []token{{"##12QN=1;CP=&&&&FFFF", ""}, {a, ""}}},
		{"truncated at end", a + a[:40], []token{{a, ""}, {a[:40], CodeTruncated}}},
	}
	for _, c := range cases {
		got := scanAll(t, strings.NewReader(c.input), 0)
		if len(got) != len(c.want) {
			t.Errorf("%s: tokens %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: token %d = %q, want %q", c.name, i, got[i], c.want[i])
			}
		}
	}
}

// A frame over the scanner's limit is skipped with ErrOversize and the next
// frame still comes out; the buffer never grows past the limit.
func TestScannerOversize(t *testing.T) {
	frames, _ := validStream(t)
	a := frames[0]
	big := "##0999" + strings.Repeat("x", 999) + "0000\r\n"
	got := scanAll(t, strings.NewReader(big+a), 200)
	if len(got) < 2 || got[0].code != CodeOversize || got[len(got)-1] != (token{a, ""}) {
		t.Fatalf("tokens %q: want oversize first and the valid frame last", got)
	}
	// No length and no end at all: bounded buffering, then resync.
	junk := "##" + strings.Repeat("y", 5000)
	s := NewScanner(strings.NewReader(junk + a))
	s.SetMaxFrame(300)
	var last []byte
	var sawOversize bool
	for s.Scan() {
		if errors.Is(s.FramingErr(), ErrOversize) {
			sawOversize = true
		}
		last = append(last[:0], s.Bytes()...)
		if cap(s.buf) > 300+2 {
			t.Fatalf("buffer grew to %d bytes, limit 302", cap(s.buf))
		}
	}
	if !sawOversize || string(last) != a {
		t.Errorf("oversize seen %v, last token %q; want oversize and the valid frame", sawOversize, last)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestScannerReadError(t *testing.T) {
	boom := errors.New("boom")
	frames, _ := validStream(t)
	s := NewScanner(io.MultiReader(strings.NewReader(frames[0]), errReader{boom}))
	n := 0
	for s.Scan() {
		n++
	}
	if n != 1 || !errors.Is(s.Err(), boom) {
		t.Errorf("%d tokens, Err %v; want 1 frame then boom", n, s.Err())
	}
}

func TestScanFramesSplitFunc(t *testing.T) {
	frames, stream := validStream(t)
	sc := bufio.NewScanner(strings.NewReader("garbage" + stream))
	sc.Buffer(make([]byte, 4096), DefaultMaxFrame)
	sc.Split(ScanFrames)
	var got []string
	for sc.Scan() {
		got = append(got, sc.Text())
	}
	if sc.Err() != nil || len(got) != len(frames) {
		t.Fatalf("%d frames (err %v), want %d", len(got), sc.Err(), len(frames))
	}
	for i := range got {
		if got[i] != frames[i] {
			t.Errorf("frame %d = %q, want %q", i, got[i], frames[i])
		}
	}
	_ = bytes.MinRead
}

// countingReader hands out its chunks one per Read and counts the reads.
type countingReader struct {
	chunks []string
	reads  int
}

func (r *countingReader) Read(p []byte) (int, error) {
	r.reads++
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunks[0])
	if r.chunks[0] = r.chunks[0][n:]; r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// TestScannerReady: Ready says whether the next Scan needs a read, and
// tokens taken without a read in between stay valid together.
func TestScannerReady(t *testing.T) {
	frames, _ := validStream(t)
	a, b, c := frames[0], frames[1], frames[2]
	// Two frames and a half in one read, blank bytes between them (skipped
	// without a token), the rest of the third in the next read.
	r := &countingReader{chunks: []string{a + "\r\n " + b + c[:10], c[10:] + "\r\n"}}
	s := NewScanner(r)
	if s.Ready() {
		t.Fatal("Ready before anything was read")
	}
	if !s.Scan() || string(s.Bytes()) != a {
		t.Fatalf("first token %q", s.Bytes())
	}
	first := s.Bytes()
	if !s.Ready() {
		t.Fatal("a whole second frame is buffered, Ready says no")
	}
	reads := r.reads
	if !s.Scan() || string(s.Bytes()) != b {
		t.Fatalf("second token %q", s.Bytes())
	}
	if r.reads != reads {
		t.Fatalf("Scan read although Ready said a frame was buffered")
	}
	if string(first) != a {
		t.Fatalf("the first token changed under a Scan that did not read: %q", first)
	}
	if s.Ready() {
		t.Fatal("only part of the third frame is buffered, Ready says yes")
	}
	if !s.Scan() || string(s.Bytes()) != c {
		t.Fatalf("third token %q", s.Bytes())
	}
	if s.Ready() {
		t.Fatal("only blank bytes are left, Ready says yes")
	}
	if s.Scan() {
		t.Fatalf("token %q after the end", s.Bytes())
	}
	// Rejected bytes are a token too: Ready holds for them.
	s = NewScanner(strings.NewReader("garbage" + a))
	s.Scan() // reads everything; the first token is the garbage
	if s.FramingErr() == nil || !s.Ready() {
		t.Fatalf("after the garbage token (%v), the buffered frame is not Ready", s.FramingErr())
	}
}
