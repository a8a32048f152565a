// Package bustest is the conformance suite every bus.Bus implementation must
// pass. Implementations call Run from their own tests with a constructor
// that returns a fresh, empty bus.
package bustest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ecowatch/bus"
)

// Caps says which promises an implementation makes beyond the common
// contract.
type Caps struct {
	// CommitBeforeReturn: Publish returns only after every matching durable
	// consumer's handler has succeeded (the in-process bus). A stream-backed
	// bus returns once the stream holds the message instead.
	CommitBeforeReturn bool
}

// Run runs the suite; newBus must return an empty bus that each subtest owns
// (the subtest closes it).
func Run(t *testing.T, caps Caps, newBus func(t *testing.T) bus.Bus) {
	if caps.CommitBeforeReturn {
		t.Run("PublishWaitsForCommit", func(t *testing.T) { testPublishWaitsForCommit(t, newBus(t)) })
	}
	t.Run("FailedBatchIsRedelivered", func(t *testing.T) { testRedelivery(t, newBus(t)) })
	t.Run("ConcurrentPublishersShareBatches", func(t *testing.T) { testBatches(t, newBus(t)) })
	t.Run("WorkersShareOneConsumer", func(t *testing.T) { testSharedConsumer(t, newBus(t)) })
	t.Run("EachConsumerGetsEveryMessage", func(t *testing.T) { testFanOut(t, newBus(t)) })
	t.Run("FilterSelectsSubjects", func(t *testing.T) { testFilter(t, newBus(t)) })
	t.Run("LiveSubscription", func(t *testing.T) { testSubscribe(t, newBus(t)) })
	t.Run("BadSubjects", func(t *testing.T) { testBadSubjects(t, newBus(t)) })
	t.Run("PublishBatch", func(t *testing.T) { testPublishBatch(t, caps, newBus(t)) })
}

// testPublishBatch: every bus implements bus.BatchPublisher. Each message
// gets its own result (a bad subject fails alone), all are delivered, and
// on the in-process bus they are committed before PublishBatch returns.
// (How they fall into handler batches depends on when the consumer wakes.)
func testPublishBatch(t *testing.T, caps Caps, b bus.Bus) {
	defer b.Close()
	bp, ok := b.(bus.BatchPublisher)
	if !ok {
		t.Fatalf("%T does not implement bus.BatchPublisher", b)
	}
	ctx := ctxT(t)
	var mu sync.Mutex
	got := map[string]int{}
	err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range batch {
			got[string(m.Data)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs := []bus.Msg{
		{Subject: "frame.a", Data: []byte("1")},
		{Subject: "frame..bad", Data: []byte("bad")},
		{Subject: "frame.b", Data: []byte("2")},
		{Subject: "frame.c", Data: []byte("3")},
	}
	errs := make([]error, len(msgs))
	errs[0] = errors.New("stale")
	bp.PublishBatch(ctx, msgs, errs)
	for i, err := range errs {
		if want := i == 1; (err != nil) != want {
			t.Errorf("message %d (%s): error %v, want an error: %v", i, msgs[i].Subject, err, want)
		}
	}
	if !errors.Is(errs[1], bus.ErrBadSubject) {
		t.Errorf("bad subject: %v, want ErrBadSubject", errs[1])
	}
	check := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["1"] == 1 && got["2"] == 1 && got["3"] == 1 && got["bad"] == 0
	}
	if caps.CommitBeforeReturn {
		if !check() {
			t.Fatalf("after PublishBatch returned: delivered %v", got)
		}
	}
	eventually(t, "every good message delivered once", check)
}

// eventually polls cond until it holds or 10 s pass. Stream-backed buses
// deliver after Publish returns, so every assertion on delivery waits.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testPublishWaitsForCommit: the durability contract. When Publish returns
// nil the handler has already returned nil for a batch holding the message.
func testPublishWaitsForCommit(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var mu sync.Mutex
	committed := map[string]bool{}
	err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		time.Sleep(5 * time.Millisecond) // a transaction takes time
		mu.Lock()
		for _, m := range batch {
			committed[string(m.Data)] = true
		}
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		data := fmt.Sprintf("m%d", i)
		if err := b.Publish(ctx, "frame.2011.MN1", []byte(data)); err != nil {
			t.Fatalf("publish %s: %v", data, err)
		}
		mu.Lock()
		ok := committed[data]
		mu.Unlock()
		if !ok {
			t.Fatalf("Publish of %s returned before the handler committed it", data)
		}
	}
}

func testRedelivery(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var calls atomic.Int32
	var got atomic.Value
	err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		if calls.Add(1) <= 2 {
			return errors.New("database is locked")
		}
		got.Store(string(batch[0].Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "frame.x", []byte("hello")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	eventually(t, "redelivery after two failures", func() bool { return got.Load() != nil })
	time.Sleep(50 * time.Millisecond) // a fourth call would show here
	if calls.Load() != 3 {
		t.Fatalf("handler called %d times, want 3 (two failures then success)", calls.Load())
	}
	if got.Load() != "hello" {
		t.Fatalf("redelivered %v, want hello", got.Load())
	}
}

func testBatches(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var maxBatch, total atomic.Int64
	err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		time.Sleep(2 * time.Millisecond)
		total.Add(int64(len(batch)))
		for {
			cur := maxBatch.Load()
			if int64(len(batch)) <= cur || maxBatch.CompareAndSwap(cur, int64(len(batch))) {
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const publishers, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := b.Publish(ctx, fmt.Sprintf("frame.p%d", p), []byte("x")); err != nil {
					errs <- err
					return
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	eventually(t, "every message handled", func() bool { return total.Load() >= publishers*each })
	// With 50 publishers waiting on a 2 ms handler, group commit must put
	// several messages in one batch.
	if maxBatch.Load() < 2 {
		t.Fatalf("largest batch %d: concurrent publishes were not grouped", maxBatch.Load())
	}
}

func testSharedConsumer(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var mu sync.Mutex
	seen := map[string]int{}
	workers := map[int]int{}
	for w := 0; w < 2; w++ {
		w := w
		err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
			time.Sleep(time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			for _, m := range batch {
				seen[string(m.Data)]++
				workers[w]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for p := 0; p < 10; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if err := b.Publish(ctx, "frame.a", []byte(fmt.Sprint(p*20+i))); err != nil {
					t.Error(err)
				}
			}
		}(p)
	}
	wg.Wait()
	eventually(t, "200 messages handled", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) >= 200
	})
	time.Sleep(50 * time.Millisecond) // a duplicate delivery would show here
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 200 {
		t.Fatalf("%d distinct messages handled, want 200", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("message %s handled %d times by one consumer name, want 1", k, n)
		}
	}
	if len(workers) != 2 {
		t.Fatalf("work went to %d workers, want both of 2: %v", len(workers), workers)
	}
}

func testFanOut(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var store, alarm atomic.Int32
	if err := b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
		store.Add(int32(len(batch)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Consume(ctx, "alarm", "frame.*", func(ctx context.Context, batch []bus.Msg) error {
		alarm.Add(int32(len(batch)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := b.Publish(ctx, "frame.x", []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "both consumers to get 10", func() bool { return store.Load() >= 10 && alarm.Load() >= 10 })
	if store.Load() != 10 || alarm.Load() != 10 {
		t.Fatalf("store got %d, alarm got %d; want 10 each", store.Load(), alarm.Load())
	}
}

func testFilter(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	var got atomic.Int32
	if err := b.Consume(ctx, "events", "event.device.*", func(ctx context.Context, batch []bus.Msg) error {
		got.Add(int32(len(batch)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"event.device.online", "event.alarm.new", "event.device.offline", "frame.x"} {
		if err := b.Publish(ctx, s, []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "two matching messages", func() bool { return got.Load() >= 2 })
	time.Sleep(100 * time.Millisecond) // a non-matching delivery would show here
	if got.Load() != 2 {
		t.Fatalf("consumer of event.device.* got %d messages, want 2", got.Load())
	}
}

func testSubscribe(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	ch := make(chan string, 10)
	unsub, err := b.Subscribe("event.>", func(m bus.Msg) { ch <- m.Subject })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "event.device.online", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-ch:
		if s != "event.device.online" {
			t.Fatalf("got subject %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("live subscriber got nothing")
	}
	unsub()
	unsub() // twice is harmless
	if err := b.Publish(ctx, "event.device.offline", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-ch:
		t.Fatalf("got %q after unsubscribe", s)
	case <-time.After(200 * time.Millisecond):
	}
}

func testBadSubjects(t *testing.T, b bus.Bus) {
	defer b.Close()
	ctx := ctxT(t)
	for _, s := range []string{"", "a..b", "a.*", "a.>", ".a"} {
		if err := b.Publish(ctx, s, nil); !errors.Is(err, bus.ErrBadSubject) {
			t.Errorf("Publish(%q) = %v, want ErrBadSubject", s, err)
		}
	}
	for _, f := range []string{"", "a.>.b", "a..b"} {
		if _, err := b.Subscribe(f, func(bus.Msg) {}); !errors.Is(err, bus.ErrBadSubject) {
			t.Errorf("Subscribe(%q) = %v, want ErrBadSubject", f, err)
		}
	}
}
