package hj212

import (
	"strconv"
	"strings"
)

// Limits of HJ 212-2017 Table 2 and Table 3.
const (
	// MaxDataLen is the largest data segment the standard allows (0 ≤ n ≤ 1024).
	MaxDataLen = 1024
	// MaxCPLen is the largest CP field (including its && delimiters) in
	// HJ 212-2017; HJ/T 212-2005 allowed 960.
	MaxCPLen     = 950
	maxCPLen2005 = 960
)

// Decode decodes one frame exactly as received: "##", the four length
// digits, the data segment, the four CRC digits and CRLF. Decode is pure; it
// never panics on any input. In strict mode (the zero Mode) every deviation
// from the standard is a *ParseError; a tolerant mode accepts the quirks it
// allows and records a Diagnostic for each.
func Decode(raw []byte, m Mode) (*Frame, error) {
	f := new(Frame)
	if err := DecodeInto(f, raw, m); err != nil {
		return nil, err
	}
	return f, nil
}

// DecodeInto is Decode into a caller-owned Frame, reusing the capacity of
// its CP and Diagnostics slices, so that a loop over a stream allocates only
// the one string that backs all of a frame's text. The previous contents of
// f are overwritten, including the elements of its slices: Clone a frame
// that must outlive the next call.
func DecodeInto(f *Frame, raw []byte, m Mode) error {
	f.QN, f.ST, f.CN, f.PW, f.MN = "", "", "", "", ""
	f.Flag, f.HasFlag, f.PNUM, f.PNO = 0, false, 0, 0
	f.CP, f.Diagnostics = f.CP[:0], f.Diagnostics[:0]
	d := decoder{f: f, raw: raw, m: m}
	if err := d.frame(); err != nil {
		f.CP = f.CP[:0]
		return err
	}
	return nil
}

type decoder struct {
	f    *Frame
	raw  []byte
	m    Mode
	s    string // the data segment
	base int    // offset of s[0] in raw
}

// quirk accepts q with a diagnostic if the mode allows it, or returns the
// strict error.
func (d *decoder) quirk(q Quirk, code string, off int, expected, got string) error {
	if d.m.Allow&q != 0 {
		d.f.Diagnostics = append(d.f.Diagnostics, Diagnostic{Quirk: q, Offset: off,
			Detail: "expected " + expected + ", got " + strconv.Quote(got)})
		return nil
	}
	return perr(code, off, expected, got, q)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func hexVal(c byte) (v uint16, lower, ok bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint16(c - '0'), false, true
	case 'A' <= c && c <= 'F':
		return uint16(c-'A') + 10, false, true
	case 'a' <= c && c <= 'f':
		return uint16(c-'a') + 10, true, true
	}
	return 0, false, false
}

// parseHex4 reads four hex digits; lower reports any lower-case digit.
func parseHex4(b []byte) (v uint16, lower, ok bool) {
	if len(b) != 4 {
		return 0, false, false
	}
	for _, c := range b {
		x, l, good := hexVal(c)
		if !good {
			return 0, false, false
		}
		v = v<<4 | x
		lower = lower || l
	}
	return v, lower, true
}

// frame checks the envelope (Table 2) and hands the data segment on.
func (d *decoder) frame() error {
	raw := d.raw
	if len(raw) < 2 || raw[0] != '#' || raw[1] != '#' {
		return perr(CodeHeader, 0, `"##"`, snippet(raw, 0), 0)
	}
	nd := 0
	declared := 0
	for nd < 4 && 2+nd < len(raw) && isDigit(raw[2+nd]) {
		declared = declared*10 + int(raw[2+nd]-'0')
		nd++
	}
	end := len(raw)
	switch {
	case end >= 2 && raw[end-2] == '\r' && raw[end-1] == '\n':
		end -= 2
	case end >= 1 && raw[end-1] == '\n':
		end--
		if err := d.quirk(QuirkTerminator, CodeTerminator, end, "CRLF", "\n"); err != nil {
			return err
		}
	default:
		if err := d.quirk(QuirkTerminator, CodeTerminator, end, "CRLF", snippet(raw, end-2)); err != nil {
			return err
		}
	}
	start := 2 + nd
	if end-4 < start {
		return perr(CodeLength, start, "data segment and 4 CRC digits", snippet(raw, start), 0)
	}
	data := raw[start : end-4]
	if nd != 4 {
		if err := d.quirk(QuirkLength, CodeLength, 2, "4 length digits", string(raw[2:start])); err != nil {
			return err
		}
	} else if declared != len(data) {
		if err := d.quirk(QuirkLength, CodeLength, 2, "length "+strconv.Itoa(len(data)),
			string(raw[2:6])); err != nil {
			return err
		}
	}
	if len(data) > MaxDataLen {
		if err := d.quirk(QuirkOversize, CodeOversize, start, "at most 1024 bytes",
			strconv.Itoa(len(data))+" bytes"); err != nil {
			return err
		}
	}
	crcText := raw[end-4 : end]
	given, lower, ok := parseHex4(crcText)
	if !ok {
		return perr(CodeCRC, end-4, "4 hex CRC digits", string(crcText), 0)
	}
	want := CRC16(data)
	switch {
	case given == want:
		if lower {
			if err := d.quirk(QuirkLowercaseCRC, CodeCRC, end-4, "upper-case CRC", string(crcText)); err != nil {
				return err
			}
		}
	case given == swapBytes(CRC16Modbus(data)):
		if err := d.quirk(QuirkModbusCRC, CodeCRC, end-4, "HJ 212 CRC "+string(AppendCRC(nil, want)),
			string(crcText)); err != nil {
			return err
		}
	default:
		return perr(CodeCRC, end-4, string(AppendCRC(nil, want)), string(crcText), 0)
	}
	// The one allocation of a decode: every string of the frame is a
	// substring of this copy, so the frame never aliases the caller's buffer.
	d.s = string(data)
	d.base = start
	return d.segment()
}

func swapBytes(v uint16) uint16 { return v<<8 | v>>8 }

// Header field indexes in the order of HJ 212-2017 Table 3.
const (
	hQN = iota
	hST
	hCN
	hPW
	hMN
	hFlag
	hPNUM
	hPNO
	hCP
)

var headerNames = [...]string{"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO", "CP"}

func headerIndex(name string) int {
	switch name {
	case "QN":
		return hQN
	case "ST":
		return hST
	case "CN":
		return hCN
	case "PW":
		return hPW
	case "MN":
		return hMN
	case "Flag":
		return hFlag
	case "PNUM":
		return hPNUM
	case "PNO":
		return hPNO
	case "CP":
		return hCP
	}
	return -1
}

// startsWithHeader reports whether s begins with a header name and '='.
func startsWithHeader(s string) bool {
	eq := strings.IndexByte(s, '=')
	return eq > 0 && eq <= 4 && headerIndex(s[:eq]) >= 0
}

// segment parses the data segment (Table 3): header fields, then CP.
func (d *decoder) segment() error {
	s := d.s
	pos, last := 0, -1
	var seen uint16
	for {
		for pos < len(s) && s[pos] == ' ' {
			if err := d.quirk(QuirkSpaces, CodeGrammar, d.base+pos, "a field name", " "); err != nil {
				return err
			}
			pos++
		}
		if pos >= len(s) {
			return perr(CodeField, d.base+len(s), "CP=&&…&&", "end of data segment", 0)
		}
		eq := 0
		for rest := s[pos:]; eq < len(rest) && rest[eq] != '='; eq++ {
		}
		if pos+eq == len(s) {
			return perr(CodeGrammar, d.base+pos, "name=value", snippet([]byte(s), pos), 0)
		}
		name := s[pos : pos+eq]
		idx := headerIndex(name)
		if idx < 0 {
			tn := strings.TrimSpace(name)
			switch {
			case tn != name && headerIndex(tn) >= 0:
				if err := d.quirk(QuirkSpaces, CodeGrammar, d.base+pos, "no spaces", name); err != nil {
					return err
				}
				idx = headerIndex(tn)
			case strings.ContainsAny(name, ";,&"):
				return perr(CodeGrammar, d.base+pos, "name=value", name, 0)
			default:
				if err := d.quirk(QuirkUnknownCode, CodeCode, d.base+pos, "a Table 3 field", name); err != nil {
					return err
				}
			}
		}
		vs := pos + eq + 1
		if idx == hCP {
			if seen&(1<<hCP) != 0 {
				return perr(CodeGrammar, d.base+pos, "one CP", name, 0)
			}
			return d.cp(vs, seen)
		}
		// Header values are short: one pass finds the ';' and any '='.
		rest, k, hasEq := s[vs:], 0, false
		for ; k < len(rest); k++ {
			if c := rest[k]; c == ';' {
				break
			} else if c == '=' {
				hasEq = true
			}
		}
		ve := vs + k
		next := ve + 1
		// A value never holds '='; if this one does, a separator is missing
		// (C.19 "Flag=5CP=") or is a comma (C.22 "QN=…534,ST=32").
		if hasEq {
			v := s[vs:ve]
			if c := strings.Index(v, "CP="); c >= 0 && !strings.Contains(v[:c], "=") {
				if err := d.quirk(QuirkSeparator, CodeGrammar, d.base+vs+c, `";" before CP`, v[:c+3]); err != nil {
					return err
				}
				ve, next = vs+c, vs+c
			} else if c := strings.IndexByte(v, ','); c >= 0 && startsWithHeader(v[c+1:]) {
				if err := d.quirk(QuirkSeparator, CodeGrammar, d.base+vs+c, `";"`, ","); err != nil {
					return err
				}
				ve, next = vs+c, vs+c+1
			} else {
				return perr(CodeGrammar, d.base+vs, "a value without '='", snippet([]byte(s), vs), 0)
			}
		}
		value := s[vs:ve]
		if idx >= 0 {
			if seen&(1<<idx) != 0 {
				return perr(CodeGrammar, d.base+pos, "each header field once", name, 0)
			}
			seen |= 1 << idx
			if idx < last {
				if err := d.quirk(QuirkFieldOrder, CodeField, d.base+pos,
					"Table 3 order QN;ST;CN;PW;MN;Flag;PNUM;PNO;CP", name+" after "+headerNames[last]); err != nil {
					return err
				}
			} else {
				last = idx
			}
			if err := d.header(idx, value, d.base+vs); err != nil {
				return err
			}
		}
		pos = next
	}
}

// header stores and checks one header field.
func (d *decoder) header(idx int, v string, off int) error {
	f := d.f
	if len(v) > 0 && (v[0] <= ' ' || v[len(v)-1] <= ' ') {
		if t := strings.TrimSpace(v); t != v {
			if err := d.quirk(QuirkSpaces, CodeValue, off, "no spaces", v); err != nil {
				return err
			}
			v = t
		}
	}
	switch idx {
	case hQN:
		f.QN = v
		if v == "" {
			return d.quirk(QuirkMissingField, CodeField, off, "a 17-digit QN", "")
		}
		if len(v) != 17 || !allDigits(v) {
			return d.quirk(QuirkValue, CodeValue, off, "a 17-digit QN", v)
		}
	case hST:
		f.ST = v
		if len(v) != 2 || !isSTChar(v[0]) || !isSTChar(v[1]) {
			return d.quirk(QuirkUnknownCode, CodeCode, off, "a 2-character ST", v)
		}
	case hCN:
		f.CN = v
		if _, ok := LookupCommand(v); !ok {
			return d.quirk(QuirkUnknownCode, CodeCode, off, "a Table 9 CN", v)
		}
	case hPW:
		f.PW = v
		if v == "" {
			return d.quirk(QuirkMissingField, CodeField, off, "a PW", "")
		}
	case hMN:
		f.MN = v
		if v == "" {
			return d.quirk(QuirkMissingField, CodeField, off, "an MN", "")
		}
	case hFlag:
		n, err := uint64(0), error(nil)
		if len(v) == 1 && isDigit(v[0]) {
			n = uint64(v[0] - '0') // the usual 4-7: skip strconv
		} else {
			n, err = strconv.ParseUint(v, 10, 8)
		}
		if err != nil {
			if qerr := d.quirk(QuirkValue, CodeValue, off, "Flag 0-255", v); qerr != nil {
				return qerr
			}
			return nil
		}
		f.Flag, f.HasFlag = Flag(n), true
		if f.Flag.Version() > V2025 {
			return d.quirk(QuirkUnknownCode, CodeCode, off, "version bits 0 (2005), 1 (2017) or 2 (2025)", v)
		}
	case hPNUM, hPNO:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || len(v) > 4 {
			if qerr := d.quirk(QuirkValue, CodeValue, off, "a packet number 1-9999", v); qerr != nil {
				return qerr
			}
		}
		if idx == hPNUM {
			f.PNUM = n
		} else {
			f.PNO = n
		}
	}
	return nil
}

func isSTChar(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'Z' }

// cp checks the header as a whole, then parses CP=&&…&& from s[vs:].
func (d *decoder) cp(vs int, seen uint16) error {
	s, f := d.s, d.f
	off := d.base + vs
	for _, h := range [...]int{hST, hCN} {
		if seen&(1<<h) == 0 {
			return perr(CodeField, off, headerNames[h]+" before CP", "", 0)
		}
	}
	for _, h := range [...]int{hQN, hPW, hMN, hFlag} {
		if seen&(1<<h) == 0 {
			if err := d.quirk(QuirkMissingField, CodeField, d.base, headerNames[h]+" field", ""); err != nil {
				return err
			}
		}
	}
	hasParts := seen&(1<<hPNUM|1<<hPNO) == 1<<hPNUM|1<<hPNO
	switch {
	case f.Flag.Split() && !hasParts:
		if err := d.quirk(QuirkMissingField, CodeField, off, "PNUM and PNO with Flag D=1", ""); err != nil {
			return err
		}
	case !f.Flag.Split() && seen&(1<<hPNUM|1<<hPNO) != 0:
		if err := d.quirk(QuirkMissingField, CodeField, off, "no PNUM/PNO without Flag D=1", ""); err != nil {
			return err
		}
	case hasParts && f.PNO > f.PNUM:
		if err := d.quirk(QuirkValue, CodeValue, off, "PNO ≤ PNUM", strconv.Itoa(f.PNO)); err != nil {
			return err
		}
	}
	limit := MaxCPLen
	if f.Version() == V2005 {
		limit = maxCPLen2005
	}
	if len(s)-vs > limit {
		if err := d.quirk(QuirkOversize, CodeOversize, off, "CP at most "+strconv.Itoa(limit)+" bytes",
			strconv.Itoa(len(s)-vs)); err != nil {
			return err
		}
	}
	bs, be := vs, len(s)
	if strings.HasPrefix(s[vs:], "&&") {
		bs += 2
	} else if err := d.quirk(QuirkCPClose, CodeGrammar, off, `"&&" opening CP`, snippet([]byte(s), vs)); err != nil {
		return err
	}
	if be-2 >= bs && s[be-2] == '&' && s[be-1] == '&' {
		be -= 2
	} else if err := d.quirk(QuirkCPClose, CodeGrammar, d.base+be, `"&&" closing CP`, snippet([]byte(s), be-4)); err != nil {
		return err
	}
	return d.body(bs, be)
}

// body parses the CP items s[bs:be] (§6.3.3: items separated by ';', sibling
// fields of one object by ',', each Name=Value; Info text between // may
// hold separators).
func (d *decoder) body(bs, be int) error {
	s := d.s
	// A local slice stays in registers; f.CP is set once at the end (on
	// error DecodeInto empties it anyway).
	cp := d.f.CP
	defer func() { d.f.CP = cp }()
	if cap(cp) == 0 {
		// A fresh frame (Decode): size CP once, from the separators,
		// instead of growing it by doubling (a 2011 upload of ten factors
		// has 21 fields: 2.5 KB in six allocations, against 0.8 KB in one).
		cp = make([]Field, 0, 1+strings.Count(s[bs:be], ";")+strings.Count(s[bs:be], ","))
	}
	item, pos := 0, bs
	for pos < be {
		switch s[pos] {
		case ';', ',':
			if err := d.quirk(QuirkSeparator, CodeGrammar, d.base+pos, "a field", s[pos:pos+1]); err != nil {
				return err
			}
			if s[pos] == ';' {
				item++
			}
			pos++
			continue
		case ' ':
			if err := d.quirk(QuirkSpaces, CodeGrammar, d.base+pos, "a field name", " "); err != nil {
				return err
			}
			pos++
			continue
		}
		// Name: up to '='; note the first '-' on the way (code-suffix).
		// Ranging over the rest lets the compiler drop bounds checks.
		rest, dash := s[pos:be], -1
		k, codeOK := 0, false
		if len(rest) > 7 && rest[6] == '-' && codeShape(rest[:6]) {
			// The common case: a 2017 factor code, then its suffix.
			dash, k, codeOK = 6, 7, true
			for ; k < len(rest); k++ {
				if c := rest[k]; c == '=' || c == ';' || c == ',' {
					break
				}
			}
		} else {
			for ; k < len(rest); k++ {
				c := rest[k]
				if nameStop[c] {
					if c != '-' {
						break
					}
					if dash < 0 {
						dash = k
					}
				}
			}
		}
		j := pos + k
		if j == be || s[j] != '=' || j == pos {
			return perr(CodeGrammar, d.base+pos, "name=value", snippet([]byte(s), pos), 0)
		}
		name := s[pos:j]
		if name[len(name)-1] == ' ' {
			if err := d.quirk(QuirkSpaces, CodeGrammar, d.base+pos, "no spaces", name); err != nil {
				return err
			}
			name = strings.TrimRight(name, " ")
			dash = strings.IndexByte(name, '-')
			codeOK = false
		}
		var kind int
		if dash >= 0 {
			kind = suffixKind(name[dash+1:])
			if kind == kUnknown || !codeOK && !codeShape(name[:dash]) {
				if err := d.quirk(QuirkUnknownCode, CodeCode, d.base+pos, "an Appendix B code and a Table 4 suffix", name); err != nil {
					return err
				}
			}
		} else if kind = keyKind(name); kind == kUnknown {
			if err := d.quirk(QuirkUnknownCode, CodeCode, d.base+pos, "a CP key", name); err != nil {
				return err
			}
		}
		vs, ve := j+1, j+1
		numOK := false // set by the fast path for numbers
		switch {
		case be-vs >= 2 && s[vs] == '/' && s[vs+1] == '/':
			// Info text: closed by the "//" that is followed by a separator
			// or the end of CP; the text itself may hold ',' and ';'.
			k := vs + 2
			for {
				x := strings.Index(s[k:be], "//")
				if x < 0 {
					return perr(CodeGrammar, d.base+vs, `closing "//" of Info text`, snippet([]byte(s), vs), 0)
				}
				e := k + x + 2
				if e == be || s[e] == ',' || s[e] == ';' {
					ve = e
					break
				}
				k += x + 1
			}
		case kind == kNum:
			// The common case, scanned and checked in one pass.
			if ve < be && (s[ve] == '-' || s[ve] == '+') {
				ve++
			}
			v := s[ve:be]
			digits, dots, k := 0, 0, 0
			for ; k < len(v); k++ {
				c := v[k]
				if c-'0' <= 9 {
					digits++
				} else if c == '.' {
					dots++
				} else {
					break
				}
			}
			if k == len(v) || valueStop[v[k]] {
				ve += k
				numOK = digits > 0 && dots <= 1
				break
			}
			// Not a plain number: find its end, checkValue reports it.
			for ; k < len(v) && !valueStop[v[k]]; k++ {
			}
			ve += k
		default:
			v := s[ve:be]
			k := 0
			for ; k < len(v) && !valueStop[v[k]]; k++ {
			}
			ve += k
		}
		value := s[vs:ve]
		if len(value) > 0 && (value[0] == ' ' || value[len(value)-1] == ' ') {
			if err := d.quirk(QuirkSpaces, CodeValue, d.base+vs, "no spaces", value); err != nil {
				return err
			}
			value = strings.TrimSpace(value)
			numOK = false
		}
		if kind == kFlag && len(value) == 1 && dataFlagChar[value[0]] {
			numOK = true // the other common case: a one-letter data flag
		}
		if !numOK {
			if err := d.checkValue(kind, name, value, d.base+pos); err != nil {
				return err
			}
		}
		// Grow by one and set the fields one by one: cheaper than
		// appending a struct literal while the GC's write barrier is on.
		if n := len(cp); n < cap(cp) {
			cp = cp[:n+1]
		} else {
			cp = append(cp, Field{})
		}
		fl := &cp[len(cp)-1]
		fl.Name, fl.Value, fl.Item = name, value, item
		pos = ve
		if ve < be {
			if s[ve] == ';' {
				item++
			}
			pos = ve + 1
			if pos == be {
				if err := d.quirk(QuirkSeparator, CodeGrammar, d.base+ve, `"&&" after the last field`, s[ve:ve+1]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// nameStop marks the bytes a CP name scan stops at: '=' ends the name,
// ';' and ',' mean a field without '=', '-' splits code and suffix.
// valueStop marks the separators that end a value.
var nameStop, valueStop = func() (n, v [256]bool) {
	n['='], n[';'], n[','], n['-'] = true, true, true, true
	v[';'], v[','] = true, true
	return n, v
}()

// dataFlagChar marks the data flags of HJ 212-2017 Table 8 and HJ/T
// 212-2005 (N F M S D C T B, P), and the 2005 air stations' 0-3.
var dataFlagChar = func() (t [256]bool) {
	for _, c := range []byte("NFMSDCTBP0123") {
		t[c] = true
	}
	return t
}()

// Value kinds of CP fields (Table 4 and the field table of §6.6).
const (
	kUnknown = iota
	kText
	kNum
	kInt
	kTime
	kFlag
	kEFlag
)

// keyKind classifies the CP keys without a factor.
func keyKind(name string) int {
	switch name {
	case "DataTime", "SystemTime", "RestartTime", "BeginTime", "EndTime",
		"AlarmTime", "SKCreateTime":
		return kTime
	case "QnRtn", "ExeRtn", "RtdInterval", "MinInterval", "OverTime", "ReCount", "VaseNo":
		return kInt
	case "PolId", "InfoId", "NewPW", "CstartTime", "Ctime", "Stime",
		"AlarmType", "ReportTime", "ReportTarget", "AlarmTarget", "NewSK":
		return kText
	}
	return kUnknown
}

// suffixKind classifies per-factor suffixes (Table 4; Ala, UpValue and
// LowValue are HJ/T 212-2005's alarm and threshold fields).
func suffixKind(s string) int {
	// The suffixes of nearly every upload first, before the full switch.
	if len(s) == 3 && (s == "Rtd" || s == "Avg" || s == "Min" || s == "Max" || s == "Cou") {
		return kNum
	}
	if s == "Flag" {
		return kFlag
	}
	switch s {
	case "Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax",
		"Data", "DayData", "NightData", "RT", "Ala", "UpValue", "LowValue":
		return kNum
	case "Flag":
		return kFlag
	case "EFlag":
		return kEFlag
	case "SampleTime":
		return kTime
	case "RS":
		return kInt
	case "Info", "SN":
		return kText
	}
	return kUnknown
}

// codeShape reports whether code is shaped as a factor code of Appendix B:
// 2017 "x00000" (a letter and five digits: a, w, e, g, i …), 2005 "000",
// "00" (gas) or "B01"/"S01", the noise codes of B.3, or a facility "SBn".
func codeShape(c string) bool {
	switch len(c) {
	case 6:
		return 'a' <= c[0] && c[0] <= 'z' && c[1]-'0' <= 9 && c[2]-'0' <= 9 &&
			c[3]-'0' <= 9 && c[4]-'0' <= 9 && c[5]-'0' <= 9
	case 3:
		if allDigits(c) || ('A' <= c[0] && c[0] <= 'Z' && allDigits(c[1:])) {
			return true
		}
	case 2:
		if allDigits(c) { // 2005 gas codes: 01 smoke, 02 SO2 …
			return true
		}
	}
	switch c {
	case "LA", "L5", "L10", "L50", "L90", "L95", "Leq", "Ldn", "Ld", "Ln", "LMx", "LMn":
		return true
	}
	return len(c) > 2 && c[0] == 'S' && c[1] == 'B' && allDigits(c[2:])
}

func isNumber(v string) bool {
	i := 0
	if i < len(v) && (v[i] == '-' || v[i] == '+') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case isDigit(c):
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// checkValue checks a CP value against its field's kind.
func (d *decoder) checkValue(kind int, name, value string, off int) error {
	ok := true
	switch kind {
	case kNum:
		ok = isNumber(value)
	case kInt:
		ok = allDigits(value)
	case kFlag:
		ok = len(value) == 1 && dataFlagChar[value[0]]
	case kEFlag:
		ok = len(value) <= 4
	case kTime:
		if len(value) == 17 && allDigits(value) {
			return d.quirk(QuirkTime17, CodeValue, off, "N14 time (YYYYMMDDhhmmss) for "+name, value)
		}
		ok = len(value) == 14 && allDigits(value)
	}
	if !ok {
		return d.quirk(QuirkValue, CodeValue, off, "a valid value for "+name, value)
	}
	return nil
}
