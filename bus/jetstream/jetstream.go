// Package jetstream implements bus.Bus on a NATS JetStream cluster, for
// deployments where gateways, workers and web servers run as separate,
// replicable processes.
//
// Every bus subject is placed under a prefix (default "ecowatch"), and one
// stream holds "<prefix>.>". Publish returns when the stream has acknowledged
// the message: with Replicas=3 that means a quorum of the cluster holds it in
// memory and will write it to disk within the server's sync interval (default
// two minutes); only a server configured with `sync_interval: always` has
// synced it to disk. Durable consumers are JetStream pull consumers with
// explicit acknowledgement, so a worker that dies mid-batch causes
// redelivery after AckWait, and several workers with the same consumer name
// share the work. Live subscriptions are plain NATS subscriptions, which see
// the same messages without being durable.
package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"ecowatch/bus"

	"github.com/nats-io/nats.go"
	njs "github.com/nats-io/nats.go/jetstream"
)

// Options configure the bus. URL is required; the rest have defaults.
type Options struct {
	URL string // nats://host:port[,nats://…]
	// Prefix namespaces every subject, so several installations (or tests)
	// can share one cluster. Default "ecowatch".
	Prefix string
	// Stream is the JetStream stream's name. Default "ECOWATCH".
	Stream string
	// Replicas of the stream: 1 on a single server, 3 in the documented
	// cluster deployment.
	Replicas int
	// MaxAge bounds how long messages stay in the stream after every
	// consumer has them (default 7 days); the store is the system of record.
	MaxAge time.Duration
	// MaxBatch bounds the messages one handler call receives (default 1000).
	MaxBatch int
	// FetchWait is how long a consumer waits to fill a batch (default 50 ms).
	FetchWait time.Duration
	// AckWait is how long a delivered batch may take before JetStream
	// redelivers it to another worker (default 30 s).
	AckWait time.Duration
	// RetryBackoff is the delay before a batch the handler refused is
	// delivered again (default 200 ms).
	RetryBackoff time.Duration
	// Name identifies this process to the NATS server (monitoring).
	Name string
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "ecowatch"
	}
	if o.Stream == "" {
		o.Stream = "ECOWATCH"
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.FetchWait <= 0 {
		o.FetchWait = 50 * time.Millisecond
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 200 * time.Millisecond
	}
}

// Bus is the JetStream implementation of bus.Bus.
type Bus struct {
	opt    Options
	nc     *nats.Conn
	js     njs.JetStream
	stream njs.Stream

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

var _ bus.Bus = (*Bus)(nil)

// Open connects to NATS and creates or updates the stream.
func Open(ctx context.Context, opt Options) (*Bus, error) {
	opt.defaults()
	if opt.URL == "" {
		return nil, errors.New("jetstream: no NATS URL")
	}
	if !bus.ValidSubject(opt.Prefix) {
		return nil, fmt.Errorf("jetstream: bad prefix %q", opt.Prefix)
	}
	nc, err := nats.Connect(opt.URL,
		nats.Name(opt.Name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(false),
	)
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect %s: %w", opt.URL, err)
	}
	js, err := njs.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	st, err := js.CreateOrUpdateStream(ctx, njs.StreamConfig{
		Name:      opt.Stream,
		Subjects:  []string{opt.Prefix + ".>"},
		Storage:   njs.FileStorage,
		Replicas:  opt.Replicas,
		Retention: njs.LimitsPolicy,
		MaxAge:    opt.MaxAge,
		// Duplicate detection by Nats-Msg-Id within this window lets a
		// publisher retry after a lost acknowledgement without a copy.
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: stream %s: %w", opt.Stream, err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	return &Bus{opt: opt, nc: nc, js: js, stream: st, ctx: bctx, cancel: cancel}, nil
}

func (b *Bus) full(subject string) string { return b.opt.Prefix + "." + subject }

func (b *Bus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// Publish implements bus.Bus: nil means the stream acknowledged the message.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if !bus.ValidSubject(subject) {
		return bus.ErrBadSubject
	}
	if b.isClosed() {
		return bus.ErrClosed
	}
	if _, err := b.js.Publish(ctx, b.full(subject), data); err != nil {
		return fmt.Errorf("jetstream: publish %s: %w", subject, err)
	}
	return nil
}

// PublishBatch implements bus.BatchPublisher: the messages go out as
// asynchronous publishes and their stream acknowledgements are awaited
// together, one round trip for the batch instead of one per message.
func (b *Bus) PublishBatch(ctx context.Context, msgs []bus.Msg, errs []error) {
	futs := make([]njs.PubAckFuture, len(msgs))
	for i := range msgs {
		errs[i] = nil
		switch {
		case !bus.ValidSubject(msgs[i].Subject):
			errs[i] = bus.ErrBadSubject
		case b.isClosed():
			errs[i] = bus.ErrClosed
		default:
			f, err := b.js.PublishAsync(b.full(msgs[i].Subject), msgs[i].Data)
			if err != nil {
				errs[i] = fmt.Errorf("jetstream: publish %s: %w", msgs[i].Subject, err)
			}
			futs[i] = f
		}
	}
	for i, f := range futs {
		if f == nil {
			continue
		}
		select {
		case <-f.Ok():
		case err := <-f.Err():
			errs[i] = fmt.Errorf("jetstream: publish %s: %w", msgs[i].Subject, err)
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
	}
}

// Consume implements bus.Bus with a durable pull consumer.
func (b *Bus) Consume(ctx context.Context, name, filter string, h bus.Handler) error {
	if !bus.ValidFilter(filter) || name == "" || strings.ContainsAny(name, ".*> ") {
		return bus.ErrBadSubject
	}
	if b.isClosed() {
		return bus.ErrClosed
	}
	cons, err := b.stream.CreateOrUpdateConsumer(ctx, njs.ConsumerConfig{
		Durable:       name,
		FilterSubject: b.full(filter),
		AckPolicy:     njs.AckExplicitPolicy,
		AckWait:       b.opt.AckWait,
		MaxAckPending: 4 * b.opt.MaxBatch * 8,
		DeliverPolicy: njs.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("jetstream: consumer %s: %w", name, err)
	}
	b.wg.Add(1)
	go b.loop(ctx, cons, h)
	return nil
}

func (b *Bus) loop(ctx context.Context, cons njs.Consumer, h bus.Handler) {
	defer b.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-b.ctx.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	var raw []njs.Msg
	var msgs []bus.Msg
	prefix := len(b.opt.Prefix) + 1
	for ctx.Err() == nil {
		batch, err := cons.Fetch(b.opt.MaxBatch, njs.FetchMaxWait(b.opt.FetchWait))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			sleep(ctx, b.opt.RetryBackoff)
			continue
		}
		raw, msgs = raw[:0], msgs[:0]
		for m := range batch.Messages() {
			raw = append(raw, m)
			msgs = append(msgs, bus.Msg{Subject: m.Subject()[prefix:], Data: m.Data()})
		}
		if len(raw) == 0 {
			continue
		}
		if err := h(ctx, msgs); err != nil {
			for _, m := range raw {
				_ = m.NakWithDelay(b.opt.RetryBackoff)
			}
			continue
		}
		for _, m := range raw {
			// A lost ack means redelivery, which idempotent handlers absorb.
			_ = m.Ack()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Subscribe implements bus.Bus with a plain NATS subscription.
func (b *Bus) Subscribe(filter string, fn func(bus.Msg)) (func(), error) {
	if !bus.ValidFilter(filter) {
		return nil, bus.ErrBadSubject
	}
	if b.isClosed() {
		return nil, bus.ErrClosed
	}
	prefix := len(b.opt.Prefix) + 1
	sub, err := b.nc.Subscribe(b.full(filter), func(m *nats.Msg) {
		fn(bus.Msg{Subject: m.Subject[prefix:], Data: m.Data})
	})
	if err != nil {
		return nil, fmt.Errorf("jetstream: subscribe %s: %w", filter, err)
	}
	// The subscription must be registered with the server before a
	// publish that follows Subscribe's return can be expected to reach it.
	if err := b.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("jetstream: subscribe %s: %w", filter, err)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = sub.Unsubscribe() }) }, nil
}

// Conn is the bus's NATS connection, for request/reply beside the bus
// (the web role reaching the gateways, package gateway/remote).
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Prefix is the subject prefix of this installation.
func (b *Bus) Prefix() string { return b.opt.Prefix }

// DeleteStream removes the stream and its consumers; tests use it to clean
// up, operators to reset an installation.
func (b *Bus) DeleteStream(ctx context.Context) error {
	return b.js.DeleteStream(ctx, b.opt.Stream)
}

// Close implements bus.Bus: it stops the consumers after their current batch
// and drains the connection.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	b.wg.Wait()
	b.nc.Close()
	return nil
}
