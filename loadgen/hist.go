package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// subBits gives 2^subBits linear sub-buckets per power of two: values are
// kept to within 1/64 (1.6 %), as an HDR histogram with two significant
// digits would.
const subBits = 6

const subCount = 1 << subBits

// Histogram records durations in microseconds with bounded relative error,
// lock-free, so that many connections can record into one.
type Histogram struct {
	counts [64 * subCount]atomic.Int64
	total  atomic.Int64
	max    atomic.Int64
}

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(v) - subBits // ≥ 1
	return e*subCount + int(v>>(e-1)) - subCount
}

// lowOf is the smallest value of bucket i.
func lowOf(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	e := i / subCount
	return uint64(i%subCount+subCount) << (e - 1)
}

// Record adds one duration (negative counts as zero).
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[bucketOf(uint64(us))].Add(1)
	h.total.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() int64 { return h.total.Load() }

// Max returns the largest recorded duration.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) * time.Microsecond }

// Quantile returns the q-quantile (0 < q ≤ 1): the low edge of the bucket
// that holds the ⌈q·n⌉-th smallest value, so within 1.6 % below it.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q * float64(n))
	if float64(rank) < q*float64(n) {
		rank++
	}
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(lowOf(i)) * time.Microsecond
		}
	}
	return h.Max()
}
