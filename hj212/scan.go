package hj212

import (
	"bytes"
	"errors"
	"io"
)

// DefaultMaxFrame is the largest frame a Scanner buffers by default: a data
// segment of 9999 bytes (the most four length digits can say) plus the 12
// bytes of envelope. Real DAUs exceed the standard's 1024 (frames of 1025
// and 1623 bytes are on record), so framing accepts them and Decode decides.
const DefaultMaxFrame = 2 + 4 + 9999 + 4 + 2

// token kinds returned by split.
const (
	tokFrame = iota
	tokGarbage
	tokOversize
)

// split finds the next token at the start of data: a frame, or bytes that
// cannot be part of one. It returns advance 0 when it needs more data, and
// never does so once len(data) >= max, so a caller's buffer stays bounded.
//
// Framing is length-driven (HJ 212-2017 Table 2): "##", four digits n, n
// bytes, four hex digits, CRLF. A CR or LF inside Info text therefore does
// not cut a frame. When the envelope does not add up (wrong or short length
// field, missing CRLF) the frame is taken to end at the first LF, or just
// before the next "##", so that one bad frame never swallows the next.
func split(data []byte, atEOF bool, max int) (advance, kind int) {
	if len(data) == 0 {
		return 0, tokFrame
	}
	i := bytes.Index(data, []byte("##"))
	if i != 0 {
		if i < 0 {
			// Keep a trailing '#': it may be the first half of "##".
			n := len(data)
			if !atEOF && data[n-1] == '#' {
				n--
			}
			return n, tokGarbage
		}
		return i, tokGarbage
	}
	// "###0101…": the header is the last two of the run of '#'.
	if j := len(data) - len(bytes.TrimLeft(data, "#")); j > 2 {
		return j - 2, tokGarbage
	} else if j == len(data) && !atEOF {
		return 0, tokFrame
	}
	if len(data) < 6 && !atEOF {
		return 0, tokFrame
	}
	nd, n := 0, 0
	for nd < 4 && 2+nd < len(data) && isDigit(data[2+nd]) {
		n = n*10 + int(data[2+nd]-'0')
		nd++
	}
	if nd == 4 {
		need := 6 + n + 4
		if need+2 > max {
			return resync(data, atEOF), tokOversize
		}
		// A wrong length field (a device's, or garbage's "##0107" before
		// a real frame) must not swallow the next frame: a complete,
		// CRC-correct frame starting inside wins, and is found without
		// waiting for the bogus length to fill. What precedes it is
		// handed to Decode, which reports the length.
		if j := innerFrame(data, min(len(data), need)); j > 0 {
			return j, tokFrame
		}
		if len(data) < need+2 && !atEOF {
			return 0, tokFrame
		}
		if len(data) >= need && isHex4(data[6+n:need]) {
			rest := data[need:]
			switch {
			case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
				return need + 2, tokFrame
			case len(rest) >= 1 && rest[0] == '\n':
				return need + 1, tokFrame
			case len(rest) == 0, bytes.HasPrefix(rest, []byte("##")):
				return need, tokFrame
			case len(rest) == 1 && rest[0] == '\r':
				return need + 1, tokFrame
			}
		}
	}
	// The envelope does not add up: end at the first LF or next "##".
	for j := 2; j < len(data); j++ {
		switch data[j] {
		case '\n':
			return j + 1, tokFrame
		case '#':
			if j+1 < len(data) && data[j+1] == '#' {
				return j, tokFrame
			}
		}
	}
	if atEOF {
		return len(data), tokFrame
	}
	if len(data) >= max {
		return resync(data, atEOF), tokOversize
	}
	return 0, tokFrame
}

// resync skips a frame too long to buffer: up to the next "##" after its
// own header, or everything but a possible '#' half-header.
func resync(data []byte, atEOF bool) int {
	if j := bytes.Index(data[2:], []byte("##")); j >= 0 {
		return j + 2
	}
	n := len(data)
	if !atEOF && data[n-1] == '#' {
		n--
	}
	return n
}

// innerFrame returns the offset of the first "##" before limit, after
// data's own header, that starts a perfect frame (4-digit length, CRC right,
// CRLF), or 0.
func innerFrame(data []byte, limit int) int {
	for i := 2; i < limit; {
		j := bytes.Index(data[i:limit], []byte("##"))
		if j < 0 {
			return 0
		}
		i += j
		if perfectFrame(data[i:]) {
			return i
		}
		i++
	}
	return 0
}

// perfectFrame reports whether b begins with a frame whose envelope is
// exactly right: 4 length digits, that many bytes, a matching CRC and CRLF.
func perfectFrame(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	n := 0
	for _, c := range b[2:6] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	if len(b) < 6+n+6 || b[10+n] != '\r' || b[11+n] != '\n' {
		return false
	}
	v, _, ok := parseHex4(b[6+n : 10+n])
	return ok && v == CRC16(b[6:6+n])
}

func isHex4(b []byte) bool {
	_, _, ok := parseHex4(b)
	return ok
}

func isSpace(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', 0:
		default:
			return false
		}
	}
	return true
}

// ScanFrames is a bufio.SplitFunc that yields raw frames, byte-exact as
// received, and silently skips bytes outside frames. Give the bufio.Scanner
// a buffer of at least DefaultMaxFrame bytes (Scanner.Buffer). Use Scanner
// instead to see what was skipped.
func ScanFrames(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for advance < len(data) {
		n, kind := split(data[advance:], atEOF, DefaultMaxFrame)
		if n == 0 {
			return advance, nil, nil
		}
		if kind == tokFrame {
			return advance + n, data[advance : advance+n], nil
		}
		advance += n
	}
	return advance, nil, nil
}

// Scanner reads frames from a byte stream such as a TCP connection. It copes
// with frames split across reads and several frames in one read (拆包/粘包),
// skips and reports bytes between frames, and resynchronises on the next
// "##" after anything it cannot frame. Its buffer never grows past the
// maximum frame size. A framing problem never stops it: Scan goes on until
// the reader ends or fails.
//
// Scanner only cuts the stream; pass each frame to Decode.
type Scanner struct {
	r          io.Reader
	buf        []byte
	start, end int
	off        int64 // stream offset of buf[0]
	max        int
	eof        bool
	err        error
	tok        []byte
	tokOff     int64
	tokErr     error
}

// NewScanner returns a Scanner over r with DefaultMaxFrame.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r, max: DefaultMaxFrame}
}

// SetMaxFrame sets the largest frame, in bytes, the scanner buffers (at
// least 16); longer input is skipped with an ErrOversize token. Call it
// before the first Scan.
func (s *Scanner) SetMaxFrame(n int) {
	s.max = max(n, 16)
}

// Scan advances to the next token: a frame or a run of rejected bytes. It
// returns false when the stream has ended (see Err).
func (s *Scanner) Scan() bool {
	s.tok, s.tokErr = nil, nil
	empties := 0
	for {
		if s.end > s.start {
			data := s.buf[s.start:s.end]
			n, kind := split(data, s.eof, s.max)
			if n > 0 {
				tok := data[:n]
				s.tokOff = s.off + int64(s.start)
				s.start += n
				switch {
				case kind == tokOversize:
					s.tokErr = &ParseError{Code: CodeOversize, Expected: "a frame of at most " + itoa(s.max) + " bytes",
						Got: snippet(tok, 0)}
				case kind == tokGarbage:
					if isSpace(tok) {
						continue
					}
					s.tokErr = &ParseError{Code: CodeGarbage, Expected: `"##"`, Got: snippet(tok, 0)}
				case s.eof && s.start == s.end && !hasTerminator(tok):
					// The stream ended without a frame's end: report it
					// as truncated if the length field says more was due.
					if truncated(tok) {
						s.tokErr = &ParseError{Code: CodeTruncated, Offset: len(tok),
							Expected: "the rest of the frame", Got: snippet(tok, 0)}
					}
				}
				s.tok = tok
				return true
			}
		}
		if s.eof {
			return false
		}
		// Need more data: compact, grow within the bound, read.
		if s.start > 0 {
			s.off += int64(s.start)
			copy(s.buf, s.buf[s.start:s.end])
			s.end -= s.start
			s.start = 0
		}
		if s.end == len(s.buf) {
			size := min(max(2*len(s.buf), 4096), s.max+2)
			if size <= len(s.buf) {
				// Unreachable: split decides once max bytes are buffered.
				// Drop the buffer rather than grow past the bound.
				s.tok, s.tokOff = s.buf[:s.end], s.off
				s.tokErr = &ParseError{Code: CodeOversize, Expected: "a frame of at most " + itoa(s.max) + " bytes"}
				s.off += int64(s.end)
				s.end = 0
				return true
			}
			nb := make([]byte, size)
			copy(nb, s.buf[:s.end])
			s.buf = nb
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case err == io.EOF:
			s.eof = true
		case err != nil:
			s.err = err
			s.eof = true
		case n == 0:
			empties++
			if empties > 100 {
				s.err = io.ErrNoProgress
				s.eof = true
			}
		}
	}
}

// Ready reports whether the next Scan returns a token without reading:
// the bytes already received hold a whole frame or a run of rejected
// bytes. Until a Scan reads, earlier tokens stay valid, so a caller can
// take every frame a client sent back to back, handle them together, and
// only then wait for more.
func (s *Scanner) Ready() bool {
	data := s.buf[s.start:s.end]
	for len(data) > 0 {
		n, kind := split(data, s.eof, s.max)
		if n == 0 {
			return false
		}
		if kind != tokGarbage || !isSpace(data[:n]) {
			return true
		}
		data = data[n:]
	}
	return false
}

func hasTerminator(tok []byte) bool { return len(tok) > 0 && tok[len(tok)-1] == '\n' }

// truncated reports whether tok's length field promises more bytes than it has.
func truncated(tok []byte) bool {
	if len(tok) < 6 {
		return true
	}
	n := 0
	for _, c := range tok[2:6] {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return len(tok) < 6+n+4
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// Bytes returns the current token: a frame byte-exact as received, or the
// bytes rejected. It is valid until the next Scan.
func (s *Scanner) Bytes() []byte { return s.tok }

// FramingErr returns nil if the current token is a frame, or a *ParseError
// (ErrGarbage, ErrOversize or ErrTruncated) for rejected bytes.
func (s *Scanner) FramingErr() error { return s.tokErr }

// Offset returns the stream offset of the current token's first byte.
func (s *Scanner) Offset() int64 { return s.tokOff }

// Err returns the read error that ended the scan, or nil at a clean end of
// stream.
func (s *Scanner) Err() error {
	if errors.Is(s.err, io.EOF) {
		return nil
	}
	return s.err
}
