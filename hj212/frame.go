package hj212

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Version is the protocol edition a frame claims in its Flag's version bits
// (HJ 212-2017 §6.3.4 Table 3, Flag = V5..V0 D A).
type Version uint8

// The known editions. HJ/T 212-2005 had no version bits, so a frame without
// Flag, or with version bits 0, is 2005. The value 2 for HJ 212-2025 is
// second-hand (see the reference, §1.12).
const (
	V2005 Version = 0
	V2017 Version = 1
	V2025 Version = 2
)

// String returns the edition's year, or "v<n>" for an unknown version.
func (v Version) String() string {
	switch v {
	case V2005:
		return "2005"
	case V2017:
		return "2017"
	case V2025:
		return "2025"
	}
	return "v" + strconv.Itoa(int(v))
}

// Flag is the Flag field: bits V5..V0 (version), D (split) and A (ack).
type Flag uint8

// MakeFlag builds a Flag from its parts.
func MakeFlag(v Version, split, ack bool) Flag {
	f := Flag(v) << 2
	if split {
		f |= 2
	}
	if ack {
		f |= 1
	}
	return f
}

// Version returns the version bits.
func (f Flag) Version() Version { return Version(f >> 2) }

// Split reports the D bit: the payload is split and PNUM/PNO are present.
func (f Flag) Split() bool { return f&2 != 0 }

// Ack reports the A bit: the receiver must answer.
func (f Flag) Ack() bool { return f&1 != 0 }

// Field is one Name=Value pair of the CP data area. Per-factor fields are
// named <code>-<suffix> (a21026-Rtd); keys without a factor are plain names
// (DataTime).
type Field struct {
	Name  string // exactly as sent
	Value string // exactly as sent; Info values keep their // delimiters
	// Item numbers the ';'-separated CP item the field belongs to, from 0.
	// Fields of one item are ','-separated siblings (one monitored object).
	Item int
}

// Code returns the factor code of a per-factor field (the part before the
// first '-'), or "" for a key without a factor.
func (f Field) Code() string {
	if i := strings.IndexByte(f.Name, '-'); i >= 0 {
		return f.Name[:i]
	}
	return ""
}

// Suffix returns the part after the first '-' (Rtd, Avg, Flag, …), or "" for
// a key without a factor.
func (f Field) Suffix() string {
	if i := strings.IndexByte(f.Name, '-'); i >= 0 {
		return f.Name[i+1:]
	}
	return ""
}

// Float parses the value as a decimal number. The exact text stays in Value;
// parse on demand so that no precision is lost before a caller wants it.
func (f Field) Float() (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(f.Value), 64)
	if err != nil {
		return 0, &ParseError{Code: CodeValue, Expected: "a decimal number for " + f.Name, Got: f.Value}
	}
	return v, nil
}

// Int parses the value as a decimal integer.
func (f Field) Int() (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(f.Value))
	if err != nil {
		return 0, &ParseError{Code: CodeValue, Expected: "an integer for " + f.Name, Got: f.Value}
	}
	return v, nil
}

// Text returns an Info value without its // delimiters (C.40: i11001-Info=//清洗管路//),
// or the value unchanged.
func (f Field) Text() string {
	v := f.Value
	if len(v) >= 4 && strings.HasPrefix(v, "//") && strings.HasSuffix(v, "//") {
		return v[2 : len(v)-2]
	}
	return v
}

// Time parses an N14 time (YYYYMMDDhhmmss) or, for the 17-digit form some
// devices send, one with milliseconds, in loc. The standard names no time
// zone; Chinese platforms use UTC+8 (see ChinaTime).
func (f Field) Time(loc *time.Location) (time.Time, error) {
	return ParseTime(f.Value, loc)
}

// ChinaTime is the fixed UTC+8 zone HJ 212 times are written in practice.
var ChinaTime = time.FixedZone("UTC+8", 8*3600)

// ParseTime parses YYYYMMDDhhmmss or YYYYMMDDhhmmsszzz in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	layout := "20060102150405"
	switch len(s) {
	case 14:
	case 17:
		s = s[:14] + "." + s[14:]
		layout = "20060102150405.000"
	default:
		return time.Time{}, &ParseError{Code: CodeValue, Expected: "14 or 17 digits", Got: s}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, &ParseError{Code: CodeValue, Expected: "a valid YYYYMMDDhhmmss time", Got: s}
	}
	return t, nil
}

// FormatTime writes t as N14 (YYYYMMDDhhmmss) in t's location.
func FormatTime(t time.Time) string { return t.Format("20060102150405") }

// FormatQN writes t as a QN: the 17-digit YYYYMMDDhhmmsszzz timestamp that
// identifies one exchange (HJ 212-2017 Table 3).
func FormatQN(t time.Time) string {
	return t.Format("20060102150405") + strconv.Itoa(1000 + t.Nanosecond()/1e6)[1:]
}

// Frame is one decoded communication packet (HJ 212-2017 Table 2/3). Absent
// header fields are empty strings; HasFlag tells an absent Flag from Flag=0.
type Frame struct {
	QN      string // request id, YYYYMMDDhhmmsszzz
	ST      string // system code (Table 5)
	CN      string // command code (Table 9)
	PW      string // access password
	MN      string // device id
	Flag    Flag
	HasFlag bool
	PNUM    int // total packets, only when Flag.Split()
	PNO     int // this packet's number from 1, only when Flag.Split()
	CP      []Field
	// Diagnostics lists the quirks a tolerant decode accepted, in the order
	// met. Empty for a frame that follows the standard.
	Diagnostics []Diagnostic
}

// Version returns the edition the frame claims: its Flag's version bits, or
// 2005 when Flag is absent.
func (f *Frame) Version() Version {
	if !f.HasFlag {
		return V2005
	}
	return f.Flag.Version()
}

// Param returns the value of the first CP key without a factor named name
// (DataTime, QnRtn, …).
func (f *Frame) Param(name string) (string, bool) {
	for i := range f.CP {
		if f.CP[i].Name == name {
			return f.CP[i].Value, true
		}
	}
	return "", false
}

// Value returns the value of factor code's field suffix (a21026, Rtd).
func (f *Frame) Value(code, suffix string) (string, bool) {
	for i := range f.CP {
		n := f.CP[i].Name
		if len(n) == len(code)+1+len(suffix) && n[len(code)] == '-' &&
			strings.HasPrefix(n, code) && strings.HasSuffix(n, suffix) {
			return f.CP[i].Value, true
		}
	}
	return "", false
}

// DataTime returns the CP DataTime parsed in loc.
func (f *Frame) DataTime(loc *time.Location) (time.Time, error) {
	v, ok := f.Param("DataTime")
	if !ok {
		return time.Time{}, errors.New("hj212: frame has no DataTime")
	}
	return ParseTime(v, loc)
}

// Clone returns a deep copy of f. Decoded strings share no memory with the
// input buffer, so copying the slices is enough.
func (f *Frame) Clone() *Frame {
	c := *f
	c.CP = append([]Field(nil), f.CP...)
	c.Diagnostics = append([]Diagnostic(nil), f.Diagnostics...)
	return &c
}
