package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Faults are the misbehaviours a device injects on request.
type Faults struct {
	// Exceed raises every factor with a limit to three times its limit
	// during the first 20 minutes of every virtual 2 hours.
	Exceed bool
	// Offline drops the connection for this long at the start of every
	// virtual 6 hours (0 = never).
	Offline time.Duration
	// Flat repeats the first value of each virtual hour (a stuck analyser).
	Flat bool
	// DataFlag replaces the N data flag of every value (M maintenance, C
	// calibration, D fault: HJ 212-2017 Table 6).
	DataFlag string
	// BadCRC corrupts the CRC of every n-th frame (0 = never).
	BadCRC int
	// Split cuts every frame into parts of at most this many data bytes
	// (Flag D=1, PNUM/PNO; 0 = never).
	Split int
	// Drift offsets the device clock; a 1012 set-time clears it.
	Drift time.Duration
	// Legacy writes HJ/T 212-2005 factor codes and a Flag without version.
	Legacy bool
	// Resend sends every hourly frame a second time (补发).
	Resend bool
	// NoAckWait sends without waiting for 9014 (for loss tests).
	NoAckWait bool
}

// ParseFaults reads a comma-separated list such as
// "exceed,offline=30m,flat,flag=M,badcrc=10,split=200,drift=5m,legacy,resend".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, val, hasVal := strings.Cut(item, "=")
		var err error
		switch key {
		case "exceed":
			f.Exceed = true
		case "flat":
			f.Flat = true
		case "legacy":
			f.Legacy = true
		case "resend":
			f.Resend = true
		case "offline":
			f.Offline, err = time.ParseDuration(val)
		case "drift":
			f.Drift, err = time.ParseDuration(val)
		case "flag":
			if val != "M" && val != "C" && val != "D" && val != "T" && val != "F" && val != "B" {
				return f, fmt.Errorf("fault flag=%q: want one of M, C, D, T, F, B (HJ 212-2017 Table 6)", val)
			}
			f.DataFlag = val
		case "badcrc":
			f.BadCRC, err = strconv.Atoi(val)
			if err == nil && f.BadCRC < 1 {
				err = fmt.Errorf("must be at least 1")
			}
		case "split":
			f.Split, err = strconv.Atoi(val)
			if err == nil && (f.Split < 20 || f.Split > 1024) {
				err = fmt.Errorf("must be 20 to 1024 bytes")
			}
		default:
			return f, fmt.Errorf("unknown fault %q (want exceed, offline=D, flat, flag=M|C|D, badcrc=N, split=N, drift=D, legacy, resend)", key)
		}
		if err != nil {
			return f, fmt.Errorf("fault %s: %q: %v", key, val, err)
		}
		if !hasVal && (key == "offline" || key == "drift" || key == "flag" || key == "badcrc" || key == "split") {
			return f, fmt.Errorf("fault %s needs a value (%s=…)", key, key)
		}
	}
	return f, nil
}

// exceeding reports whether t falls in an exceedance episode.
func (f Faults) exceeding(t time.Time) bool {
	return f.Exceed && t.Sub(t.Truncate(2*time.Hour)) < 20*time.Minute
}

// offlineUntil returns the end of the offline period t falls in, if any.
func (f Faults) offlineUntil(t time.Time) (time.Time, bool) {
	if f.Offline <= 0 {
		return time.Time{}, false
	}
	start := t.Truncate(6 * time.Hour)
	if end := start.Add(f.Offline); t.Before(end) {
		return end, true
	}
	return time.Time{}, false
}
