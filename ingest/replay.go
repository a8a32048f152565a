package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/store"
)

// Archive is what Replay needs of the store.
type Archive interface {
	Frames(ctx context.Context, q store.FrameQuery) ([]store.Frame, error)
	WriteMeasurements(ctx context.Context, ms []store.Measurement) error
}

// Replay turns the archived frames a device sent while it was unregistered
// into measurements of point, decoding them in mode (the device's mode now
// that it is registered): frames archived as unregistered, and frames
// archived with a decode error that the device's allowed quirks accept. It pages through the archive in ID order and
// writes a page's measurements in one transaction; each measurement keeps
// its frame's id and receive time, so a value received since registration
// is never overwritten by an older archived one (store.Wins). It returns
// the number of frames replayed. Running it twice changes nothing.
func Replay(ctx context.Context, a Archive, mn, point string, mode hj212.Mode, loc *time.Location) (int, error) {
	if loc == nil {
		loc = hj212.ChinaTime
	}
	var after int64
	n := 0
	for {
		page, err := a.Frames(ctx, store.FrameQuery{MN: mn, AfterID: after, Limit: 1000})
		if err != nil {
			return n, fmt.Errorf("ingest: replay %s: %w", mn, err)
		}
		if len(page) == 0 {
			return n, nil
		}
		var ms []store.Measurement
		var ends []int // where each replayed frame's measurements end in ms
		for _, fr := range page {
			after = fr.ID
			switch fr.Verdict {
			case gateway.VerdictOK, gateway.VerdictWrongPassword, gateway.VerdictSuspended:
				// Ingested already, or refused for a reason
				// registration does not change.
				continue
			}
			// Unregistered frames, and frames the gateway could not
			// decode strictly before it knew the device's quirks.
			f, err := hj212.Decode(fr.Raw, mode)
			if err != nil {
				continue
			}
			got, _ := Measurements(f, point, loc)
			for i := range got {
				got[i].Frame, got[i].Received = fr.ID, fr.Received
			}
			if len(got) > 0 {
				ms = append(ms, got...)
				ends = append(ends, len(ms))
			}
		}
		if len(ms) == 0 {
			continue
		}
		err = a.WriteMeasurements(ctx, ms)
		if errors.Is(err, store.ErrInvalid) {
			// A frame the store refuses (a device clock reset to a time
			// the store cannot key) must not keep the rest of the page
			// out: frame by frame, the refused ones stay archive-only.
			err = nil
			start := 0
			for _, end := range ends {
				werr := a.WriteMeasurements(ctx, ms[start:end])
				start = end
				if errors.Is(werr, store.ErrInvalid) {
					continue
				}
				if werr != nil {
					err = werr
					break
				}
				n++
			}
		} else if err == nil {
			n += len(ends)
		}
		if err != nil {
			return n, fmt.Errorf("ingest: replay %s: %w", mn, err)
		}
	}
}
