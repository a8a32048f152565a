package hj212

import "strings"

// Quirk is one deviation from the standard that real data acquisition units
// show (see the reference's list of vendor quirks). Quirks form a bit set.
type Quirk uint32

// The quirks a tolerant Mode may accept. Each names what the strict check
// would have rejected and which error code strict mode reports instead.
const (
	// QuirkLowercaseCRC: CRC digits in lower case (Table 2 examples use upper
	// case). Strict error: crc.
	QuirkLowercaseCRC Quirk = 1 << iota
	// QuirkModbusCRC: the CRC field holds CRC-16/MODBUS printed low byte
	// first, as some DAUs send. Strict error: crc.
	QuirkModbusCRC
	// QuirkTerminator: LF-only or missing CRLF after the CRC. Strict error:
	// terminator.
	QuirkTerminator
	// QuirkLength: the length field is not 4 digits or does not match the
	// data segment's byte count. Strict error: length.
	QuirkLength
	// QuirkOversize: data segment over 1024 bytes or CP over 950 (960 for
	// 2005). Strict error: oversize.
	QuirkOversize
	// QuirkCPClose: CP not opened or closed with "&&". Strict error: grammar.
	QuirkCPClose
	// QuirkMissingField: QN, PW, MN or Flag absent or empty, PNUM/PNO absent
	// on a split frame or present on an unsplit one. Strict error: field.
	QuirkMissingField
	// QuirkFieldOrder: header fields out of Table 3's order (MN before PW,
	// PNO before PNUM). Strict error: field.
	QuirkFieldOrder
	// QuirkSpaces: spaces around names or values (in the standard's own
	// examples, e.g. "CP=&& PolId"). Strict error: grammar or value.
	QuirkSpaces
	// QuirkTime17: a 17-digit time (milliseconds) where N14 is required.
	// Strict error: value.
	QuirkTime17
	// QuirkUnknownCode: unknown CN, malformed ST, unknown Flag version,
	// factor code or suffix not shaped as the standard's, unknown CP key.
	// Strict error: code.
	QuirkUnknownCode
	// QuirkSeparator: ',' instead of ';' between header fields, a missing ';'
	// before CP, or an empty CP item (e.g. a trailing ';'). Strict error:
	// grammar.
	QuirkSeparator
	// QuirkValue: a value that does not fit its field's type (a non-numeric
	// Rtd, a 2-character data flag, a QN that is not 17 digits). Strict
	// error: value.
	QuirkValue

	quirkEnd
)

// AllQuirks is every quirk this package knows.
const AllQuirks = quirkEnd - 1

var quirkNames = [...]string{"lowercase-crc", "modbus-crc", "terminator", "length",
	"oversize", "cp-close", "missing-field", "field-order", "spaces", "time-17",
	"unknown-code", "separator", "value"}

// String returns the quirk's stable name, or names joined by '|' for a set.
func (q Quirk) String() string {
	if q == 0 {
		return "none"
	}
	var parts []string
	for i, n := range quirkNames {
		if q&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if q&^AllQuirks != 0 {
		parts = append(parts, "unknown")
	}
	return strings.Join(parts, "|")
}

// ParseQuirks reads a set written as names joined by '|' or ',' (as String
// prints them); "all" is every quirk and "" or "none" is the empty set.
func ParseQuirks(s string) (Quirk, bool) {
	var q Quirk
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		p = strings.TrimSpace(p)
		switch p {
		case "all":
			q |= AllQuirks
			continue
		case "none", "":
			continue
		}
		found := false
		for i, n := range quirkNames {
			if n == p {
				q |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return q, true
}

// Mode says how strictly Decode reads a frame. The zero value is strict: the
// standard as written. A Mode is a plain value so that a device registry can
// keep one per device, allowing only the quirks that device is known for.
type Mode struct {
	// Allow is the set of quirks accepted, each with a Diagnostic on the
	// frame instead of an error.
	Allow Quirk
}

// Strict is the standard as written: no quirk accepted.
var Strict = Mode{}

// Tolerant accepts every known quirk, with a diagnostic for each.
var Tolerant = Mode{Allow: AllQuirks}

// Allows reports whether every quirk in q is accepted.
func (m Mode) Allows(q Quirk) bool { return m.Allow&q == q }
