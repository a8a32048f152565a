package hj212

import (
	"fmt"
	"strconv"
	"strings"
)

// Encode writes f as a frame: "##", the data segment's length in UTF-8
// bytes, the data segment, its CRC in upper case, and CRLF. Header fields
// come in Table 3 order; empty QN, PW and MN and an absent Flag are left
// out (as 2005 uploads do); PNUM and PNO are written when the Flag's D bit
// is set or they are non-zero. CP fields of the same Item are joined by ','
// and items by ';'.
//
// Encode refuses names and values that Decode would read back differently
// (separators, CR or LF outside //…// Info text, spaces at a value's ends)
// and a data segment longer than four digits can state. It does not refuse a segment over the
// standard's 1024 bytes: use Split for that.
func Encode(f *Frame) ([]byte, error) {
	return AppendEncode(make([]byte, 0, 128+24*len(f.CP)), f)
}

// AppendEncode is Encode appending to dst.
func AppendEncode(dst []byte, f *Frame) ([]byte, error) {
	start := len(dst)
	dst = append(dst, "##0000"...)
	ds := len(dst)
	dst, err := appendSegment(dst, f, f.PNUM, f.PNO)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - ds
	if n > 9999 {
		return dst[:start], fmt.Errorf("hj212: encode: data segment of %d bytes does not fit 4 length digits: %w", n, ErrOversize)
	}
	dst[start+2] = byte('0' + n/1000)
	dst[start+3] = byte('0' + n/100%10)
	dst[start+4] = byte('0' + n/10%10)
	dst[start+5] = byte('0' + n%10)
	dst = AppendCRC(dst, CRC16(dst[ds:]))
	return append(dst, '\r', '\n'), nil
}

// Byte classes for Encode's checks, one table look-up per byte.
const (
	badInHeader = 1 << iota // ; = CR LF
	badInName               // ; , = & CR LF space
	badInValue              // ; , CR LF
)

var encodeClass = func() (t [256]uint8) {
	for _, c := range []byte(";=\r\n") {
		t[c] |= badInHeader
	}
	for _, c := range []byte(";,=&\r\n ") {
		t[c] |= badInName
	}
	for _, c := range []byte(";,\r\n") {
		t[c] |= badInValue
	}
	return t
}()

func hasClass(v string, class uint8) bool {
	for i := 0; i < len(v); i++ {
		if encodeClass[v[i]]&class != 0 {
			return true
		}
	}
	return false
}

// spaced reports spaces (or other blanks) at either end of v.
func spaced(v string) bool { return len(v) > 0 && (v[0] <= ' ' || v[len(v)-1] <= ' ') }

// badHeaderValue reports a header value Decode would read differently:
// one holding ';', '=', CR or LF, or with spaces at its ends.
func badHeaderValue(v string) bool { return hasClass(v, badInHeader) || spaced(v) }

func encodeErr(what, v string) error {
	return fmt.Errorf("hj212: encode: %s %q: %w", what, v, ErrValue)
}

// appendSegment writes the data segment with the given PNUM/PNO.
func appendSegment(dst []byte, f *Frame, pnum, pno int) ([]byte, error) {
	if f.ST == "" || f.CN == "" {
		return dst, fmt.Errorf("hj212: encode: ST and CN are required: %w", ErrField)
	}
	for _, h := range [...]struct{ name, v string }{{"QN", f.QN}, {"ST", f.ST}, {"CN", f.CN}, {"PW", f.PW}, {"MN", f.MN}} {
		if h.v == "" {
			continue
		}
		if badHeaderValue(h.v) {
			return dst, encodeErr(h.name, h.v)
		}
		dst = append(dst, h.name...)
		dst = append(dst, '=')
		dst = append(dst, h.v...)
		dst = append(dst, ';')
	}
	if f.HasFlag {
		dst = append(dst, "Flag="...)
		dst = strconv.AppendUint(dst, uint64(f.Flag), 10)
		dst = append(dst, ';')
	}
	if f.Flag.Split() || pnum > 0 || pno > 0 {
		if pnum < 0 || pnum > 9999 || pno < 0 || pno > 9999 {
			return dst, fmt.Errorf("hj212: encode: PNUM %d, PNO %d out of 0-9999: %w", pnum, pno, ErrValue)
		}
		dst = append(dst, "PNUM="...)
		dst = strconv.AppendInt(dst, int64(pnum), 10)
		dst = append(dst, ";PNO="...)
		dst = strconv.AppendInt(dst, int64(pno), 10)
		dst = append(dst, ';')
	}
	dst = append(dst, "CP=&&"...)
	for i, fl := range f.CP {
		if fl.Name == "" || hasClass(fl.Name, badInName) {
			return dst, encodeErr("CP name", fl.Name)
		}
		if (hasClass(fl.Value, badInValue) || strings.HasPrefix(fl.Value, "//") || spaced(fl.Value)) &&
			!isInfoText(fl.Value) {
			return dst, encodeErr("value of "+fl.Name, fl.Value)
		}
		if i > 0 {
			if fl.Item == f.CP[i-1].Item {
				dst = append(dst, ',')
			} else {
				dst = append(dst, ';')
			}
		}
		dst = append(dst, fl.Name...)
		dst = append(dst, '=')
		dst = append(dst, fl.Value...)
	}
	return append(dst, "&&"...), nil
}

// isInfoText reports whether v is //…// text whose inner "//" never sits
// before a separator, so Decode finds the same end.
func isInfoText(v string) bool {
	if len(v) < 4 || !strings.HasPrefix(v, "//") || !strings.HasSuffix(v, "//") {
		return false
	}
	inner := v[2 : len(v)-2]
	return !strings.Contains(inner, "//,") && !strings.Contains(inner, "//;")
}
