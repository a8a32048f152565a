package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"ecowatch/hj212"
)

// Verdicts the gateway gives received bytes, besides the hj212 error code
// words (crc, grammar, length, garbage, oversize, truncated, …) it uses for
// bytes that fail framing or decoding.
const (
	// VerdictOK: decoded, registered, password right: archive and ingest.
	VerdictOK = "ok"
	// VerdictUnregistered: decoded, but the MN is not in the registry.
	// Archived and acknowledged so the device does not flood the line with
	// re-sends; ingested when an operator registers the device (replay).
	VerdictUnregistered = "unregistered"
	// VerdictWrongPassword: the PW differs from the registry's. Archived,
	// never ingested, not acknowledged (the standard's QnRtn=3 "PW 错误"
	// makes a wrong password a refusal), and a device event.
	VerdictWrongPassword = "wrong-password"
	// VerdictSuspended: the device is registered but suspended by an
	// operator. Archived and acknowledged, not ingested.
	VerdictSuspended = "suspended"
)

// Message is what the gateway publishes on the bus for every frame (and
// every run of rejected bytes) it receives: the raw bytes exactly as
// received plus what the gateway found out about them. The store's writer
// (package ingest) archives every Message and turns those with VerdictOK
// into measurements.
type Message struct {
	Received time.Time
	Remote   string // the connection's remote address
	MN       string // best effort for bad frames; "" when unknown
	CN       string
	QN       string
	Point    string // the registered device's monitoring point, or ""
	Verdict  string // one of the Verdict constants or an hj212 error code
	Detail   string // the decode error, or the tolerated quirks' diagnostics
	// Mode is the decode mode the gateway accepted the frame in, so that a
	// consumer decodes it the same way.
	Mode hj212.Mode
	Raw  []byte
	// Decoded is Raw decoded in Mode, when the gateway decoded it. It is
	// not encoded: only a consumer in the gateway's process (bus.Msg.Value)
	// sees it and is spared decoding the frame again. Read-only.
	Decoded *hj212.Frame
	// ID identifies this receipt uniquely across gateways and restarts
	// (the gateway's random instance id and a counter). A bus that may
	// deliver a message twice (JetStream) lets the store writer keep one
	// copy by it (store.Frame.Key). Empty in messages of version 1.
	ID string
}

// Frame decodes Raw in the mode the gateway accepted it in: what a consumer
// of the bus (the store writer, the alarm engine) reads values from. It
// fails for messages whose Verdict is a decode error.
func (m *Message) Frame() (*hj212.Frame, error) {
	if m.Decoded != nil {
		return m.Decoded, nil
	}
	return hj212.Decode(m.Raw, m.Mode)
}

// messageVersion is the first byte of an encoded Message; a consumer
// refuses versions it does not know instead of misreading them. Version 2
// added ID after Detail; version 1 is still read (a worker upgraded before
// the gateways, or a stream holding older messages).
const messageVersion = 2

// ErrBadMessage is returned by UnmarshalBinary for bytes that are not an
// encoded Message.
var ErrBadMessage = errors.New("gateway: bad message encoding")

// ErrNewerMessage is returned by UnmarshalBinary for a message of a later
// format version than this build reads (a gateway upgraded before the
// workers): the consumer must leave it on the bus for an upgraded worker,
// not drop a frame whose device was acknowledged. It wraps ErrBadMessage.
var ErrNewerMessage = fmt.Errorf("%w: newer format than this build reads", ErrBadMessage)

// AppendBinary appends m's encoding to b. The format is a version byte,
// then varint-length-prefixed fields in a fixed order; it is private to the
// gateway and its consumers, and versioned so both ends can evolve.
func (m *Message) AppendBinary(b []byte) []byte {
	b = append(b, messageVersion)
	b = binary.AppendVarint(b, m.Received.UnixNano())
	b = binary.AppendUvarint(b, uint64(m.Mode.Allow))
	for _, s := range [...]string{m.Remote, m.MN, m.CN, m.QN, m.Point, m.Verdict, m.Detail, m.ID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Raw)))
	return append(b, m.Raw...)
}

// UnmarshalBinary decodes what AppendBinary wrote. Raw is a copy, so b may
// be reused afterwards.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) > 0 && b[0] > messageVersion && b[0] < 16 {
		return fmt.Errorf("%w: version %d", ErrNewerMessage, b[0])
	}
	if len(b) == 0 || (b[0] != messageVersion && b[0] != 1) {
		return fmt.Errorf("%w: unknown version", ErrBadMessage)
	}
	nfields := 9
	if b[0] == 1 {
		nfields = 8 // no ID
	}
	b = b[1:]
	ns, n := binary.Varint(b)
	if n <= 0 {
		return fmt.Errorf("%w: received time", ErrBadMessage)
	}
	b = b[n:]
	mode, n := binary.Uvarint(b)
	if n <= 0 || mode > uint64(hj212.AllQuirks) {
		return fmt.Errorf("%w: mode", ErrBadMessage)
	}
	b = b[n:]
	var fields [9][]byte
	for i := range nfields {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return fmt.Errorf("%w: field %d", ErrBadMessage, i)
		}
		fields[i] = b[n : n+int(l)]
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadMessage, len(b))
	}
	raw, id := fields[8], fields[7]
	if nfields == 8 {
		raw, id = fields[7], nil
	}
	*m = Message{
		Received: time.Unix(0, ns),
		Mode:     hj212.Mode{Allow: hj212.Quirk(mode)},
		Remote:   string(fields[0]), MN: string(fields[1]), CN: string(fields[2]),
		QN: string(fields[3]), Point: string(fields[4]), Verdict: string(fields[5]),
		Detail: string(fields[6]), ID: string(id), Raw: append([]byte(nil), raw...),
	}
	return nil
}

// FrameSubjectPrefix starts every subject the gateway publishes frames on:
// "frame.<CN>.<MN>". A consumer of every frame filters on "frame.>".
const FrameSubjectPrefix = "frame."

// FrameSubject returns the bus subject of a frame: "frame.<CN>.<MN>". A CN
// or MN that is not a plain token of letters and digits (a hostile or
// broken frame) becomes "_", so no device can forge another subject.
func FrameSubject(cn, mn string) string {
	return FrameSubjectPrefix + token(cn) + "." + token(mn)
}

// EventSubject returns the subject of a device event:
// "event.device.<kind>.<MN>".
func EventSubject(kind, mn string) string {
	return "event.device." + token(kind) + "." + token(mn)
}

func token(s string) string {
	if s == "" || len(s) > 64 {
		return "_"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return "_"
		}
	}
	return s
}

// diagnostics joins a tolerant decode's diagnostics for Message.Detail.
func diagnostics(ds []hj212.Diagnostic) string {
	if len(ds) == 0 {
		return ""
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}
