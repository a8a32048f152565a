package gateway

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"ecowatch/hj212"
)

func TestMessageRoundTrip(t *testing.T) {
	// Every field set to a distinct value, so a swapped field fails.
	m := Message{Received: time.Unix(1700000000, 123456789), Remote: "10.0.0.1:5555", MN: "MN1", CN: "2011",
		QN: "20200101000000000", Point: "P1", Verdict: VerdictOK, Detail: "d", Mode: hj212.Tolerant,
		Raw: []byte("##0026QN=1;ST=22;CN=2011;CP=&&&&53C0\r\n"), ID: "0123456789abcdef-42"}
	var got Message
	if err := got.UnmarshalBinary(m.AppendBinary(nil)); err != nil {
		t.Fatal(err)
	}
	if !got.Received.Equal(m.Received) || got.Remote != m.Remote || got.MN != m.MN || got.CN != m.CN ||
		got.QN != m.QN || got.Point != m.Point || got.Verdict != m.Verdict || got.Detail != m.Detail ||
		got.Mode != m.Mode || !bytes.Equal(got.Raw, m.Raw) || got.ID != m.ID {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
	}
}

// A version-1 message (before ID) still decodes: a stream may hold them
// when the workers are upgraded first.
func TestMessageVersion1(t *testing.T) {
	m := Message{Received: time.Unix(1700000000, 5), Remote: "r", MN: "MN1", CN: "2011", QN: "q", Point: "P1",
		Verdict: VerdictOK, Detail: "d", Raw: []byte("##raw")}
	v2 := m.AppendBinary(nil)
	// Version 1 is version 2 without the ID field (empty here: one
	// length byte 0 before Raw's length).
	idAt := len(v2) - len(m.Raw) - 2
	if v2[idAt] != 0 {
		t.Fatalf("layout changed: %x", v2)
	}
	v1 := append([]byte{1}, v2[1:idAt]...)
	v1 = append(v1, v2[idAt+1:]...)
	var got Message
	if err := got.UnmarshalBinary(v1); err != nil {
		t.Fatal(err)
	}
	if got.MN != "MN1" || got.Detail != "d" || string(got.Raw) != "##raw" || got.ID != "" {
		t.Fatalf("version 1: %+v", got)
	}
}

func TestMessageRejectsBadInput(t *testing.T) {
	good := (&Message{Raw: []byte("x")}).AppendBinary(nil)
	cases := map[string][]byte{
		"empty":    nil,
		"version":  append([]byte{9}, good[1:]...),
		"trailing": append(append([]byte(nil), good...), 0),
		"cut":      good[:len(good)-1],
	}
	for name, b := range cases {
		var m Message
		if err := m.UnmarshalBinary(b); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: got %v, want ErrBadMessage", name, err)
		}
	}
}

func FuzzMessage(f *testing.F) {
	f.Add((&Message{MN: "MN", Raw: []byte("##")}).AppendBinary(nil))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if m.UnmarshalBinary(b) != nil {
			return
		}
		// What decodes must survive encoding and decoding again
		// unchanged (byte equality would be too strict: varints have
		// several spellings).
		var m2 Message
		if err := m2.UnmarshalBinary(m.AppendBinary(nil)); err != nil {
			t.Fatal(err)
		}
		if !m2.Received.Equal(m.Received) || m2.MN != m.MN || m2.Detail != m.Detail || m2.Mode != m.Mode ||
			!bytes.Equal(m2.Raw, m.Raw) || m2.Remote != m.Remote || m2.Verdict != m.Verdict || m2.ID != m.ID {
			t.Fatalf("round trip changed the message: %+v vs %+v", m2, m)
		}
	})
}

func TestSubjectsCannotBeForged(t *testing.T) {
	// A hostile MN with subject syntax must not reach another subject.
	cases := map[[2]string]string{
		{"2011", "MN1"}:      "frame.2011.MN1",
		{"2011", "a.b"}:      "frame.2011._",
		{"20*1", "MN1"}:      "frame._.MN1",
		{"", ""}:             "frame._._",
		{"2011", "MN 1\r\n"}: "frame.2011._",
	}
	for in, want := range cases {
		if got := FrameSubject(in[0], in[1]); got != want {
			t.Errorf("FrameSubject(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}
