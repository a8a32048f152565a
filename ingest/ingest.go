// Package ingest is the store's writer on the bus: a durable consumer of the
// frames the gateway publishes ("frame.>") that archives each one
// byte-exact with its verdict and stores the measurements of the accepted
// ones, a whole bus batch at a time. Because the in-process bus's Publish
// returns only after this consumer's handler returned nil, the gateway's
// acknowledgement to a device follows the commit here: group commit is the
// bus batch.
//
// Example:
//
//	c := &ingest.Consumer{Sink: ingest.StoreSink(st)}
//	if err := c.Start(ctx, b); err != nil {
//		return err
//	}
//	// gateway.Server publishes; c writes. Registering a device later:
//	n, err := ingest.Replay(ctx, st, "MN123", "P001", hj212.Strict)
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"ecowatch/bus"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/store"
)

// Record is one frame to archive and the measurements decoded from it.
type Record struct {
	Frame        store.Frame
	Measurements []store.Measurement
}

// Sink stores records durably. Write returns nil only when every record of
// the call is committed; on error the bus delivers the batch again, so a
// Sink must tolerate a repeat (measurements are idempotent by key; the raw
// archive may hold a frame twice, which is evidence, not data).
type Sink interface {
	Write(ctx context.Context, recs []Record) error
}

// SinkFunc is a Sink made of a function (tests, adapters).
type SinkFunc func(ctx context.Context, recs []Record) error

// Write implements Sink.
func (f SinkFunc) Write(ctx context.Context, recs []Record) error { return f(ctx, recs) }

// BatchIngester is the store method that writes many frames and their
// measurements in one transaction. A store that has it gets group commit;
// measurement slices are parallel to frames.
type BatchIngester interface {
	IngestBatch(ctx context.Context, frames []store.Frame, ms [][]store.Measurement) ([]int64, error)
}

// StoreSink writes records to st: in one transaction per batch when st
// implements BatchIngester, otherwise with one Ingest (one transaction)
// per record, which is correct but pays a durable commit per frame.
func StoreSink(st store.Store) Sink {
	if bi, ok := st.(BatchIngester); ok {
		return SinkFunc(func(ctx context.Context, recs []Record) error {
			fs := make([]store.Frame, len(recs))
			ms := make([][]store.Measurement, len(recs))
			for i := range recs {
				fs[i], ms[i] = recs[i].Frame, recs[i].Measurements
			}
			_, err := bi.IngestBatch(ctx, fs, ms)
			return err
		})
	}
	return SinkFunc(func(ctx context.Context, recs []Record) error {
		for i := range recs {
			r := &recs[i]
			_, err := st.Ingest(ctx, r.Frame, r.Measurements)
			if err != nil && len(r.Measurements) > 0 && (errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound)) {
				// The values cannot be stored (a point deleted since the
				// device was registered, a value the store refuses); the
				// frame is evidence and is archived alone, or one bad
				// frame would block every frame behind it forever.
				f := r.Frame
				f.Diagnostics = strings.TrimPrefix(f.Diagnostics+"; measurements not stored: "+err.Error(), "; ")
				_, err = st.Ingest(ctx, f, nil)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ConsumerName is the durable consumer's name on the bus.
const ConsumerName = "ingest"

// Consumer turns gateway messages into stored frames and measurements.
type Consumer struct {
	Sink    Sink
	Logger  *slog.Logger // default slog.Default()
	Metrics *metrics.Set // default: no metrics kept
	// Location is the zone of DataTime (default hj212.ChinaTime).
	Location *time.Location
	// Keyed stores each frame with its message's ID as store.Frame.Key,
	// so that the store keeps one copy of a message delivered twice. Set
	// it on a bus that may deliver a message again after the handler
	// returned nil (JetStream: a worker dies between its commit and its
	// acknowledgement); the in-process bus never does, and saves the
	// key's insert.
	Keyed bool

	batchSize *metrics.Histogram
	writeTime *metrics.PrometheusHistogram
	written   *metrics.Counter
	bad       *metrics.Counter
}

// Start registers the durable consumer on b; it runs until ctx ends or b
// closes.
func (c *Consumer) Start(ctx context.Context, b bus.Bus) error {
	if c.Sink == nil {
		return fmt.Errorf("ingest: Consumer needs a Sink")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Location == nil {
		c.Location = hj212.ChinaTime
	}
	set := c.Metrics
	if set == nil {
		set = metrics.NewSet()
	}
	c.batchSize = set.GetOrCreateHistogram("ecowatch_ingest_batch_frames")
	c.writeTime = set.GetOrCreatePrometheusHistogram("ecowatch_ingest_write_seconds")
	c.written = set.GetOrCreateCounter("ecowatch_ingest_frames_total")
	c.bad = set.GetOrCreateCounter("ecowatch_ingest_bad_messages_total")
	return b.Consume(ctx, ConsumerName, gateway.FrameSubjectPrefix+">", c.Handle)
}

// Handle is the bus handler: it decodes a batch of gateway messages and
// writes them in one Sink call.
func (c *Consumer) Handle(ctx context.Context, batch []bus.Msg) error {
	recs := make([]Record, 0, len(batch))
	var m gateway.Message
	// One frame decoded into again and again: its CP slice is reused, and
	// the measurements keep only strings, which DecodeInto allocates anew.
	var f hj212.Frame
	for _, msg := range batch {
		if v, ok := msg.Value.(*gateway.Message); ok {
			// From a gateway in this process: already decoded.
			m = *v
		} else if err := m.UnmarshalBinary(msg.Data); err != nil {
			if errors.Is(err, gateway.ErrNewerMessage) {
				// A gateway newer than this worker: the frame was
				// acknowledged, so it stays on the bus (the batch comes
				// back) until an upgraded worker stores it.
				c.logger().Error("ingest: message from a newer gateway, upgrade this worker; the batch stays on the bus", "subject", msg.Subject, "err", err)
				return err
			}
			// Not from a gateway this build understands: keeping it would
			// block the batch forever, so it is logged and skipped.
			if c.bad != nil {
				c.bad.Inc()
			}
			c.logger().Error("ingest: bad message skipped", "subject", msg.Subject, "err", err)
			continue
		}
		r := recordOf(&m, c.loc(), &f)
		if c.Keyed {
			r.Frame.Key = m.ID
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil
	}
	start := time.Now()
	if err := c.Sink.Write(ctx, recs); err != nil {
		c.logger().Error("ingest: write failed, the bus will deliver again", "frames", len(recs), "err", err)
		return err
	}
	if c.writeTime != nil {
		c.writeTime.UpdateDuration(start)
		c.batchSize.Update(float64(len(recs)))
		c.written.Add(len(recs))
	}
	return nil
}

func (c *Consumer) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

func (c *Consumer) loc() *time.Location {
	if c.Location == nil {
		return hj212.ChinaTime
	}
	return c.Location
}

// RecordOf builds the record of a gateway message: always its frame, and
// measurements when the gateway accepted it for a registered point.
func RecordOf(m *gateway.Message, loc *time.Location) Record {
	return recordOf(m, loc, new(hj212.Frame))
}

// recordOf is RecordOf decoding into f.
func recordOf(m *gateway.Message, loc *time.Location, f *hj212.Frame) Record {
	r := Record{Frame: store.Frame{Received: m.Received, Remote: m.Remote, MN: m.MN, CN: m.CN, QN: m.QN,
		Raw: m.Raw, Verdict: m.Verdict, Diagnostics: m.Detail}}
	if m.Verdict != gateway.VerdictOK || m.Point == "" {
		return r
	}
	if m.Decoded != nil {
		f = m.Decoded
	} else if err := hj212.DecodeInto(f, m.Raw, m.Mode); err != nil {
		// The gateway decoded it in this mode; a failure here means the
		// codec changed between them. The frame is still archived.
		r.Frame.Diagnostics += "; ingest decode: " + err.Error()
		return r
	}
	ms, err := Measurements(f, m.Point, loc)
	if err != nil {
		r.Frame.Diagnostics += "; " + err.Error()
	}
	r.Measurements = ms
	return r
}
