package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ecowatch/store"
)

// storeDouble implements store.Store's write path with function fields;
// the embedded nil interface panics on anything else, which the sink must
// not call.
type storeDouble struct {
	store.Store
	ingest func(ctx context.Context, f store.Frame, ms []store.Measurement) (int64, error)
}

func (s storeDouble) Ingest(ctx context.Context, f store.Frame, ms []store.Measurement) (int64, error) {
	return s.ingest(ctx, f, ms)
}

type batchDouble struct {
	storeDouble
	batches [][]store.Frame
}

func (b *batchDouble) IngestBatch(ctx context.Context, fs []store.Frame, ms [][]store.Measurement) ([]int64, error) {
	b.batches = append(b.batches, fs)
	return make([]int64, len(fs)), nil
}

func recs(n int) []Record {
	out := make([]Record, n)
	for i := range out {
		out[i] = Record{Frame: store.Frame{Received: time.Unix(int64(i), 0), QN: fmt.Sprint(i)},
			Measurements: []store.Measurement{{Point: "P", Factor: "a21026"}}}
	}
	return out
}

func TestStoreSinkUsesBatchWhenAvailable(t *testing.T) {
	b := &batchDouble{storeDouble: storeDouble{ingest: func(context.Context, store.Frame, []store.Measurement) (int64, error) {
		t.Fatal("per-frame Ingest called although the store can write a batch")
		return 0, nil
	}}}
	if err := StoreSink(b).Write(context.Background(), recs(3)); err != nil {
		t.Fatal(err)
	}
	if len(b.batches) != 1 || len(b.batches[0]) != 3 {
		t.Fatalf("batches %v, want one of 3 frames", b.batches)
	}
}

func TestStoreSinkPerFrameFallback(t *testing.T) {
	var got []string
	st := storeDouble{ingest: func(ctx context.Context, f store.Frame, ms []store.Measurement) (int64, error) {
		if f.QN == "1" && len(ms) > 0 {
			return 0, fmt.Errorf("point P: %w", store.ErrNotFound)
		}
		got = append(got, fmt.Sprintf("%s/%d/%s", f.QN, len(ms), f.Diagnostics))
		return 1, nil
	}}
	if err := StoreSink(st).Write(context.Background(), recs(3)); err != nil {
		t.Fatal(err)
	}
	// Frame 1's values are refused by the store: the frame is archived
	// alone, with the reason, and frame 2 is not held up.
	if len(got) != 3 || got[0] != "0/1/" || !strings.HasPrefix(got[1], "1/0/measurements not stored: point P: not found") || got[2] != "2/1/" {
		t.Fatalf("writes %q", got)
	}
	boom := errors.New("disk I/O error")
	st.ingest = func(context.Context, store.Frame, []store.Measurement) (int64, error) { return 0, boom }
	if err := StoreSink(st).Write(context.Background(), recs(1)); !errors.Is(err, boom) {
		t.Fatalf("a storage failure must fail the batch (the bus retries it), got %v", err)
	}
}
