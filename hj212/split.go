package hj212

import (
	"errors"
	"fmt"
	"time"
)

// Split cuts f into parts whose data segments are at most maxData bytes
// (MaxDataLen for the standard), as HJ 212-2017 Appendix C.49/C.50 shows:
// every part carries the Flag's D bit, PNUM and PNO, a QN of its own (the
// frame's QN plus the part's index in milliseconds, like C.49's …534,
// …535), every CP key without a factor (DataTime), and a share of the
// factor items. A frame that fits is returned alone and unchanged.
func Split(f *Frame, maxData int) ([]*Frame, error) {
	n, err := segmentLen(f, f.PNUM, f.PNO)
	if err != nil {
		return nil, err
	}
	if n <= maxData {
		return []*Frame{f}, nil
	}
	var common []Field
	var groups [][]Field // factor items, each a run of one Item
	for i, fl := range f.CP {
		if fl.Code() == "" {
			common = append(common, fl)
			continue
		}
		if len(groups) == 0 || i == 0 || f.CP[i-1].Item != fl.Item || f.CP[i-1].Code() == "" {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], fl)
	}
	base := *f
	base.Flag |= 2
	base.HasFlag = true
	base.Diagnostics = nil
	var parts []*Frame
	cur := &Frame{}
	*cur = base
	cur.CP = append([]Field(nil), common...)
	fresh := true
	for _, g := range groups {
		trial := append(cur.CP, g...)
		// Measure with PNUM and PNO at their widest so the final numbers fit.
		probe := base
		probe.CP = renumber(trial)
		size, err := segmentLen(&probe, 9999, 9999)
		if err != nil {
			return nil, err
		}
		if size > maxData {
			if fresh {
				return nil, fmt.Errorf("hj212: split: item %s alone needs %d bytes, limit %d: %w", g[0].Name, size, maxData, ErrOversize)
			}
			parts = append(parts, cur)
			cur = &Frame{}
			*cur = base
			cur.CP = append(append([]Field(nil), common...), g...)
			fresh = false
			continue
		}
		cur.CP = trial
		fresh = false
	}
	parts = append(parts, cur)
	qt, qerr := ParseTime(f.QN, ChinaTime)
	for i, p := range parts {
		p.CP = renumber(p.CP)
		p.PNUM, p.PNO = len(parts), i+1
		if qerr == nil && len(f.QN) == 17 {
			p.QN = FormatQN(qt.Add(time.Duration(i) * time.Millisecond))
		}
	}
	return parts, nil
}

// renumber gives a field list fresh Item numbers that keep its groupings.
func renumber(cp []Field) []Field {
	out := make([]Field, len(cp))
	item := -1
	for i, fl := range cp {
		if i == 0 || cp[i-1].Item != fl.Item || (cp[i-1].Code() == "") != (fl.Code() == "") {
			item++
		}
		fl.Item = item
		out[i] = fl
	}
	return out
}

func segmentLen(f *Frame, pnum, pno int) (int, error) {
	b, err := appendSegment(nil, f, pnum, pno)
	return len(b), err
}

// ErrReassembly reports a split part that cannot belong to any whole.
var ErrReassembly = errors.New("hj212: bad split part")

// partKey identifies one split upload. Parts have different QNs (C.49), so
// the reference keys them on what they share: MN, CN, DataTime and PNUM.
type partKey struct {
	MN, CN, DataTime string
	PNUM             int
}

type partGroup struct {
	first time.Time
	parts []*Frame // by PNO-1
	have  int
}

// Incomplete is a split upload given up on: timed out or evicted to respect
// the bound. Parts holds what arrived (nil where a part is missing), so the
// caller can still store the values it has.
type Incomplete struct {
	MN, CN, DataTime string
	PNUM             int
	Parts            []*Frame
	Reason           string // "timeout" or "evicted"
}

// Reassembler joins the parts of split uploads (Flag D=1) back into one
// frame. It has no clock: callers pass the time of each event. It holds at
// most maxParts parts; past that the oldest upload is evicted.
type Reassembler struct {
	timeout  time.Duration
	maxParts int
	groups   map[partKey]*partGroup
	held     int
	given    []Incomplete
}

// NewReassembler returns a Reassembler that gives up on an upload timeout
// after its first part and holds at most maxParts parts (at least 1).
func NewReassembler(timeout time.Duration, maxParts int) *Reassembler {
	return &Reassembler{timeout: timeout, maxParts: max(maxParts, 1), groups: map[partKey]*partGroup{}}
}

// Add takes one decoded frame received at now. A frame that is not split
// (or is split into one part) comes straight back. A part is kept, and when
// the last part of its upload arrives Add returns the joined frame: the
// first part's header without D, PNUM and PNO, its keys without a factor,
// then every part's factor items in PNO order. Until then Add returns nil.
// A part that arrives again replaces the earlier copy (a resend after a lost
// 9014). Add keeps f: do not reuse it (Decode, not DecodeInto).
func (r *Reassembler) Add(f *Frame, now time.Time) (*Frame, error) {
	if !f.Flag.Split() || f.PNUM <= 1 && f.PNO <= 1 {
		return f, nil
	}
	if f.PNO < 1 || f.PNO > f.PNUM {
		return nil, fmt.Errorf("hj212: part PNO=%d of PNUM=%d: %w", f.PNO, f.PNUM, ErrReassembly)
	}
	dt, _ := f.Param("DataTime")
	k := partKey{f.MN, f.CN, dt, f.PNUM}
	g := r.groups[k]
	if g == nil {
		g = &partGroup{first: now, parts: make([]*Frame, f.PNUM)}
		r.groups[k] = g
	}
	if g.parts[f.PNO-1] == nil {
		g.have++
		r.held++
	}
	g.parts[f.PNO-1] = f
	if g.have == f.PNUM {
		delete(r.groups, k)
		r.held -= g.have
		return join(g.parts), nil
	}
	for r.held > r.maxParts {
		r.evictOldest(k)
	}
	return nil, nil
}

func (r *Reassembler) evictOldest(keep partKey) {
	var oldest partKey
	var og *partGroup
	for k, g := range r.groups {
		if k != keep && (og == nil || g.first.Before(og.first)) {
			oldest, og = k, g
		}
	}
	if og == nil { // only the newest upload is left: drop it
		oldest, og = keep, r.groups[keep]
	}
	r.drop(oldest, og, "evicted")
}

func (r *Reassembler) drop(k partKey, g *partGroup, reason string) {
	delete(r.groups, k)
	r.held -= g.have
	r.given = append(r.given, Incomplete{MN: k.MN, CN: k.CN, DataTime: k.DataTime, PNUM: k.PNUM,
		Parts: g.parts, Reason: reason})
}

// Expire gives up on uploads whose first part arrived more than the timeout
// before now, and returns them together with any evicted since the last
// call.
func (r *Reassembler) Expire(now time.Time) []Incomplete {
	for k, g := range r.groups {
		if now.Sub(g.first) > r.timeout {
			r.drop(k, g, "timeout")
		}
	}
	out := r.given
	r.given = nil
	return out
}

// Pending returns the number of parts held.
func (r *Reassembler) Pending() int { return r.held }

func join(parts []*Frame) *Frame {
	first := parts[0]
	out := &Frame{QN: first.QN, ST: first.ST, CN: first.CN, PW: first.PW, MN: first.MN,
		Flag: first.Flag &^ 2, HasFlag: first.HasFlag}
	seen := map[string]bool{}
	item := 0
	for _, p := range parts {
		base := item
		for _, fl := range p.CP {
			if fl.Code() == "" {
				if seen[fl.Name] {
					continue
				}
				seen[fl.Name] = true
			}
			fl.Item += base
			item = max(item, fl.Item+1)
			out.CP = append(out.CP, fl)
		}
		out.Diagnostics = append(out.Diagnostics, p.Diagnostics...)
	}
	out.CP = renumber(out.CP)
	return out
}
