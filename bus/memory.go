package bus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryOptions tune the in-process bus. Zero values take the defaults.
type MemoryOptions struct {
	// MaxBatch bounds the messages one handler call receives (default 1000).
	// A consumer takes whatever is queued when it wakes, up to this bound,
	// so batches grow with load: this is the gateway's group commit.
	MaxBatch int
	// MaxWait is how long a consumer waits for more messages after the
	// first before it calls the handler (default 0: take what is queued).
	// A few milliseconds trade latency for larger transactions.
	MaxWait time.Duration
	// QueueLen bounds the messages waiting for one durable consumer
	// (default 65536); Publish blocks while it is full.
	QueueLen int
	// RetryBackoff is the first wait before a failed batch is delivered
	// again (default 50 ms); it doubles up to 5 s.
	RetryBackoff time.Duration
	// SubscriberBuffer bounds a live subscriber's backlog (default 4096);
	// past it messages are dropped for that subscriber.
	SubscriberBuffer int
}

func (o *MemoryOptions) defaults() {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 65536
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 50 * time.Millisecond
	}
	if o.SubscriberBuffer <= 0 {
		o.SubscriberBuffer = 4096
	}
}

// Memory is the in-process Bus. A message is durable when Publish returns
// nil because Publish waits for every matching durable consumer's handler
// to succeed; nothing is kept in memory that a publisher was told is safe.
type Memory struct {
	opt    MemoryOptions
	mu     sync.RWMutex
	groups map[string]*group
	subs   map[*subscriber]struct{}
	closed bool
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	dropped atomic.Uint64
}

type pending struct {
	msg Msg
	g   *group
	res chan error // buffered 1
}

type group struct {
	name    string
	filter  string
	queue   chan *pending
	workers int
	gone    chan struct{} // closed when the last worker has left
}

type subscriber struct {
	filter string
	ch     chan Msg
	fn     func(Msg)
	stop   chan struct{}
	once   sync.Once
}

// NewMemory returns an in-process bus.
func NewMemory(opt MemoryOptions) *Memory {
	opt.defaults()
	return &Memory{
		opt:    opt,
		groups: make(map[string]*group),
		subs:   make(map[*subscriber]struct{}),
		done:   make(chan struct{}),
	}
}

var resPool = sync.Pool{New: func() any { return make(chan error, 1) }}

// Publish implements Bus.
func (m *Memory) Publish(ctx context.Context, subject string, data []byte) error {
	return m.PublishValue(ctx, subject, data, nil)
}

// PublishValue implements ValuePublisher: durable consumers and live
// subscribers get v as Msg.Value.
func (m *Memory) PublishValue(ctx context.Context, subject string, data []byte, v any) error {
	var one [1]*pending
	ps, err := m.enqueue(ctx, Msg{Subject: subject, Data: data, Value: v}, one[:0])
	if err != nil {
		return err
	}
	return m.wait(ctx, ps)
}

// PublishBatch implements BatchPublisher: every message is queued before
// the first is waited for, so they can share one batch of each consumer.
func (m *Memory) PublishBatch(ctx context.Context, msgs []Msg, errs []error) {
	ps := make([]*pending, 0, len(msgs))
	ends := make([]int, len(msgs)) // msgs[i]'s pendings end at ps[ends[i]]
	for i := range msgs {
		var err error
		ps, err = m.enqueue(ctx, msgs[i], ps)
		errs[i] = err
		ends[i] = len(ps)
	}
	from := 0
	for i := range msgs {
		if errs[i] == nil {
			errs[i] = m.wait(ctx, ps[from:ends[i]])
		}
		from = ends[i]
	}
}

// enqueue hands msg to live subscribers and queues it for every matching
// durable consumer, appending its pendings to ps. On an error nothing of
// msg is left to wait for (what was queued may still be processed: the
// publisher must treat it as unacknowledged, and handlers are idempotent).
func (m *Memory) enqueue(ctx context.Context, msg Msg, ps []*pending) ([]*pending, error) {
	if !ValidSubject(msg.Subject) {
		return ps, ErrBadSubject
	}
	var one [1]*group
	targets := one[:0]
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ps, ErrClosed
	}
	for s := range m.subs {
		if Match(s.filter, msg.Subject) {
			select {
			case s.ch <- msg:
			default:
				m.dropped.Add(1)
			}
		}
	}
	for _, g := range m.groups {
		if Match(g.filter, msg.Subject) {
			targets = append(targets, g)
		}
	}
	m.mu.RUnlock()

	// No lock is held while waiting: a full queue must not block Close or a
	// consumer leaving.
	n := len(ps)
	for _, g := range targets {
		p := &pending{msg: msg, g: g, res: resPool.Get().(chan error)}
		var err error
		select {
		case g.queue <- p:
			ps = append(ps, p)
			continue
		case <-g.gone:
			err = ErrClosed
		case <-ctx.Done():
			err = ctx.Err()
		case <-m.done:
			err = ErrClosed
		}
		resPool.Put(p.res)
		return ps[:n], err
	}
	return ps, nil
}

// wait returns the first error of the consumers' results for ps.
func (m *Memory) wait(ctx context.Context, ps []*pending) error {
	var firstErr error
	for _, p := range ps {
		select {
		case err := <-p.res:
			resPool.Put(p.res)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		case <-p.g.gone:
			return ErrClosed
		case <-ctx.Done():
			// The consumer may still commit the message; the publisher must
			// treat it as unacknowledged, and idempotent handlers make a
			// repeat harmless.
			return ctx.Err()
		}
	}
	return firstErr
}

// Consume implements Bus.
func (m *Memory) Consume(ctx context.Context, name, filter string, h Handler) error {
	if !ValidFilter(filter) || name == "" {
		return ErrBadSubject
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	g := m.groups[name]
	if g == nil {
		g = &group{name: name, filter: filter, queue: make(chan *pending, m.opt.QueueLen), gone: make(chan struct{})}
		m.groups[name] = g
	}
	g.workers++
	m.wg.Add(1)
	m.mu.Unlock()
	go m.work(ctx, g, h)
	return nil
}

func (m *Memory) work(ctx context.Context, g *group, h Handler) {
	defer m.wg.Done()
	defer func() {
		m.mu.Lock()
		g.workers--
		last := g.workers == 0
		if last {
			delete(m.groups, g.name)
		}
		m.mu.Unlock()
		if last {
			close(g.gone)
			// Nobody will process what is queued: tell its publishers.
			for {
				select {
				case p := <-g.queue:
					p.res <- ErrClosed
				default:
					return
				}
			}
		}
	}()
	batch := make([]*pending, 0, m.opt.MaxBatch)
	msgs := make([]Msg, 0, m.opt.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-g.queue:
			batch = append(batch, p)
		case <-ctx.Done():
			return
		case <-m.done:
			return
		}
		m.fill(g, &batch)
		msgs = msgs[:0]
		for _, p := range batch {
			msgs = append(msgs, p.msg)
		}
		err := m.deliver(ctx, h, msgs)
		for _, p := range batch {
			p.res <- err
		}
	}
}

// fill takes what is queued, up to MaxBatch, waiting at most MaxWait.
func (m *Memory) fill(g *group, batch *[]*pending) {
	var timer <-chan time.Time
	if m.opt.MaxWait > 0 {
		t := time.NewTimer(m.opt.MaxWait)
		defer t.Stop()
		timer = t.C
	}
	for len(*batch) < m.opt.MaxBatch {
		select {
		case p := <-g.queue:
			*batch = append(*batch, p)
			continue
		default:
		}
		if timer == nil {
			return
		}
		select {
		case p := <-g.queue:
			*batch = append(*batch, p)
		case <-timer:
			return
		}
	}
}

// deliver calls h until it succeeds, backing off between tries; it gives up
// only when the consumer or the bus stops.
func (m *Memory) deliver(ctx context.Context, h Handler, msgs []Msg) error {
	backoff := m.opt.RetryBackoff
	for {
		err := h(ctx, msgs)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-m.done:
			return ErrClosed
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > 5*time.Second {
			backoff = 5 * time.Second
		}
	}
}

// Subscribe implements Bus.
func (m *Memory) Subscribe(filter string, fn func(Msg)) (func(), error) {
	if !ValidFilter(filter) {
		return nil, ErrBadSubject
	}
	s := &subscriber{filter: filter, ch: make(chan Msg, m.opt.SubscriberBuffer), fn: fn, stop: make(chan struct{})}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, ErrClosed
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	go func() {
		for {
			select {
			case msg := <-s.ch:
				fn(msg)
			case <-s.stop:
				return
			}
		}
	}()
	return func() {
		s.once.Do(func() {
			m.mu.Lock()
			delete(m.subs, s)
			m.mu.Unlock()
			close(s.stop)
		})
	}, nil
}

// Dropped counts messages live subscribers lost because they were slow.
func (m *Memory) Dropped() uint64 { return m.dropped.Load() }

// Close implements Bus. It stops consumers after their current batch and
// waits for them.
func (m *Memory) Close() error {
	// done is closed before the lock is taken so that nothing waiting
	// under the lock's protection can hold Close up.
	m.once.Do(func() { close(m.done) })
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	subs := m.subs
	m.subs = map[*subscriber]struct{}{}
	m.mu.Unlock()
	for s := range subs {
		s.once.Do(func() { close(s.stop) })
	}
	m.wg.Wait()
	return nil
}
