package sim

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Spec is one device of a fleet: identity and profile.
type Spec struct {
	MN, PW, Point string
	Kind          Kind
}

// Pattern returns n specs whose MN is prefix followed by the device number
// zero-padded to 14 characters in total (HJ 212-2017 §6.3.2 allows up to 24),
// with password pw and kinds cycling through Kinds.
func Pattern(n int, prefix, pw string) ([]Spec, error) {
	if n < 1 || n > 100000 {
		return nil, fmt.Errorf("sim: device count %d out of 1..100000", n)
	}
	if len(prefix) > 8 || strings.Trim(prefix, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		return nil, fmt.Errorf("sim: MN prefix %q must be at most 8 letters or digits", prefix)
	}
	kinds := Kinds()
	out := make([]Spec, n)
	for i := range out {
		num := fmt.Sprintf("%0*d", 14-len(prefix), i+1)
		out[i] = Spec{MN: prefix + num, PW: pw, Point: "SIM" + num[len(num)-6:], Kind: kinds[i%len(kinds)]}
	}
	return out, nil
}

// ReadSpecs reads a CSV with a header naming at least mn, password and kind
// (columns point_code optional), as written by WriteRegistry.
func ReadSpecs(r io.Reader) ([]Spec, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("sim: device CSV: %w", err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("sim: device CSV has no rows")
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimSpace(strings.ToLower(h))] = i
	}
	for _, need := range []string{"mn", "password", "kind"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("sim: device CSV: required column %q missing", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Spec
	for n, rec := range recs[1:] {
		s := Spec{MN: get(rec, "mn"), PW: get(rec, "password"), Point: get(rec, "point_code"), Kind: Kind(get(rec, "kind"))}
		if s.MN == "" || len(s.MN) > 24 {
			return nil, fmt.Errorf("sim: device CSV line %d: mn %q must be 1 to 24 characters", n+2, s.MN)
		}
		if _, ok := ProfileFor(s.Kind); !ok {
			return nil, fmt.Errorf("sim: device CSV line %d: kind %q is not one of %v", n+2, s.Kind, Kinds())
		}
		out = append(out, s)
	}
	return out, nil
}

// WriteSpecs writes specs as the CSV ReadSpecs reads.
func WriteSpecs(w io.Writer, specs []Spec) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"mn", "password", "kind", "point_code"})
	for _, s := range specs {
		_ = cw.Write([]string{s.MN, s.PW, string(s.Kind), s.Point})
	}
	cw.Flush()
	return cw.Error()
}

// Fleet runs many devices against one address.
type Fleet struct {
	Devices []*Device
}

// NewFleet builds one device per spec, seeded seed+index, sharing clk and
// faults (faulty gives how many of the first devices get the faults).
func NewFleet(specs []Spec, seed int64, clk *Clock, faults Faults, faulty int) (*Fleet, error) {
	f := &Fleet{}
	for i, s := range specs {
		cfg := DeviceConfig{MN: s.MN, PW: s.PW, Point: s.Point, Profile: s.Kind, Seed: seed + int64(i), Clock: clk}
		if i < faulty {
			cfg.Faults = faults
		}
		d, err := NewDevice(cfg)
		if err != nil {
			return nil, err
		}
		f.Devices = append(f.Devices, d)
	}
	return f, nil
}

// Run runs every device until ctx ends.
func (f *Fleet) Run(ctx context.Context, addr string) {
	var wg sync.WaitGroup
	for _, d := range f.Devices {
		wg.Add(1)
		go func() { defer wg.Done(); _ = d.Run(ctx, addr) }()
	}
	wg.Wait()
}

// Totals sums the devices' counters: sent, acked, re-sent, unacked, answered
// requests and connects.
func (f *Fleet) Totals() (sent, acked, resent, unacked, answered, connects int64) {
	for _, d := range f.Devices {
		s := d.Stats()
		sent += s.Sent.Load()
		acked += s.Acked.Load()
		resent += s.Resent.Load()
		unacked += s.Unacked.Load()
		answered += s.Answered.Load()
		connects += s.Connects.Load()
	}
	return
}
