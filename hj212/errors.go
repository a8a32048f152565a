package hj212

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every *ParseError wraps exactly one of them, so callers can
// test the class of failure with errors.Is and read the details from the
// ParseError itself.
var (
	ErrHeader     = errors.New("hj212: frame does not start with ##")
	ErrLength     = errors.New("hj212: bad data length field")
	ErrOversize   = errors.New("hj212: data segment over the limit")
	ErrCRC        = errors.New("hj212: CRC mismatch")
	ErrTerminator = errors.New("hj212: frame not terminated by CRLF")
	ErrGrammar    = errors.New("hj212: data segment grammar")
	ErrField      = errors.New("hj212: missing or misplaced field")
	ErrCode       = errors.New("hj212: unknown code")
	ErrValue      = errors.New("hj212: malformed value")
	ErrGarbage    = errors.New("hj212: bytes outside any frame")
	ErrTruncated  = errors.New("hj212: stream ended inside a frame")
)

// Error codes: the stable words ParseError.Code takes, one per sentinel. The
// command line prints them in its "error" member, so they never change.
const (
	CodeHeader     = "header"
	CodeLength     = "length"
	CodeOversize   = "oversize"
	CodeCRC        = "crc"
	CodeTerminator = "terminator"
	CodeGrammar    = "grammar"
	CodeField      = "field"
	CodeCode       = "code"
	CodeValue      = "value"
	CodeGarbage    = "garbage"
	CodeTruncated  = "truncated"
)

var sentinelByCode = map[string]error{
	CodeHeader: ErrHeader, CodeLength: ErrLength, CodeOversize: ErrOversize,
	CodeCRC: ErrCRC, CodeTerminator: ErrTerminator, CodeGrammar: ErrGrammar,
	CodeField: ErrField, CodeCode: ErrCode, CodeValue: ErrValue,
	CodeGarbage: ErrGarbage, CodeTruncated: ErrTruncated,
}

// ErrorCodes lists every ParseError.Code word, in a fixed order.
func ErrorCodes() []string {
	return []string{CodeHeader, CodeLength, CodeOversize, CodeCRC, CodeTerminator,
		CodeGrammar, CodeField, CodeCode, CodeValue, CodeGarbage, CodeTruncated}
}

// ParseError says which check failed on a frame, where and what was expected.
// Offset counts bytes from the first '#' of the frame (or, for scanner
// errors, from the start of the rejected bytes).
type ParseError struct {
	Code     string // one of the Code* words
	Offset   int    // byte offset of the failure within the frame
	Expected string // what the standard requires there
	Got      string // what was found, truncated to a short snippet
	// Quirk is the tolerated quirk that would have accepted the frame, or 0
	// if no mode accepts it. A device registry can use it to suggest a
	// per-device setting.
	Quirk Quirk
}

// Error says the code, the offset, what was expected and what was found.
func (e *ParseError) Error() string {
	msg := "hj212: " + e.Code + " at byte " + strconv.Itoa(e.Offset)
	if e.Expected != "" {
		msg += ": expected " + e.Expected
	}
	if e.Got != "" || e.Expected != "" {
		msg += ", got " + strconv.Quote(e.Got)
	}
	if e.Quirk != 0 {
		msg += " (tolerated by quirk " + e.Quirk.String() + ")"
	}
	return msg
}

// Unwrap returns the sentinel for e.Code.
func (e *ParseError) Unwrap() error { return sentinelByCode[e.Code] }

// snippet returns at most 32 bytes of b starting at i, for error messages.
func snippet(b []byte, i int) string {
	if i < 0 {
		i = 0
	}
	if i >= len(b) {
		return ""
	}
	end := min(i+32, len(b))
	return string(b[i:end])
}

func perr(code string, off int, expected, got string, q Quirk) *ParseError {
	return &ParseError{Code: code, Offset: off, Expected: expected, Got: got, Quirk: q}
}

// Diagnostic records one quirk a tolerant decode accepted.
type Diagnostic struct {
	Quirk  Quirk
	Offset int    // byte offset within the frame
	Detail string // what was seen, in a few words
}

// String formats the diagnostic as "quirk at byte N: detail".
func (d Diagnostic) String() string {
	return fmt.Sprintf("%s at byte %d: %s", d.Quirk, d.Offset, d.Detail)
}
