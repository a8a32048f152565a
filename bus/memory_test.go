package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"ecowatch/bus"
	"ecowatch/bus/bustest"
)

func TestMemoryConformance(t *testing.T) {
	bustest.Run(t, bustest.Caps{CommitBeforeReturn: true}, func(t *testing.T) bus.Bus { return bus.NewMemory(bus.MemoryOptions{}) })
}

func TestMatch(t *testing.T) {
	// NATS subject semantics (nats.io docs, "Subject-Based Messaging").
	cases := []struct {
		filter, subject string
		want            bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{">", "a", true},
		{"*", "a.b", false},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.b.d", false},
		{"a", "a.b", false},
		{"a.b", "a", false},
	}
	for _, c := range cases {
		if got := bus.Match(c.filter, c.subject); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.filter, c.subject, got, c.want)
		}
	}
}

func TestPublishWithoutConsumerReturnsAtOnce(t *testing.T) {
	b := bus.NewMemory(bus.MemoryOptions{})
	defer b.Close()
	if err := b.Publish(context.Background(), "event.x", []byte("m")); err != nil {
		t.Fatal(err)
	}
}

func TestPublishDeadlineWithStuckConsumer(t *testing.T) {
	b := bus.NewMemory(bus.MemoryOptions{})
	release := make(chan struct{})
	if err := b.Consume(context.Background(), "store", ">", func(ctx context.Context, batch []bus.Msg) error {
		<-release
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := b.Publish(ctx, "frame.x", []byte("m"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want deadline exceeded", err)
	}
	close(release)
	b.Close()
}

func TestCloseFailsWaitingPublishers(t *testing.T) {
	b := bus.NewMemory(bus.MemoryOptions{QueueLen: 1})
	if err := b.Consume(context.Background(), "store", ">", func(ctx context.Context, batch []bus.Msg) error {
		return errors.New("disk full") // never succeeds
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Publish(context.Background(), "frame.x", []byte("m")) }()
	time.Sleep(100 * time.Millisecond)
	b.Close()
	select {
	case err := <-done:
		if !errors.Is(err, bus.ErrClosed) {
			t.Fatalf("Publish after Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("publisher still waiting after Close")
	}
	if err := b.Publish(context.Background(), "frame.x", nil); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Publish on closed bus = %v", err)
	}
}

func BenchmarkMemoryPublish(b *testing.B) {
	m := bus.NewMemory(bus.MemoryOptions{})
	defer m.Close()
	if err := m.Consume(context.Background(), "store", ">", func(ctx context.Context, batch []bus.Msg) error { return nil }); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 300)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := m.Publish(ctx, "frame.2011.MN", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestMemoryPublishValue: a value published with the message reaches the
// durable consumer and live subscribers as is; Publish carries none.
func TestMemoryPublishValue(t *testing.T) {
	b := bus.NewMemory(bus.MemoryOptions{})
	defer b.Close()
	type decoded struct{ n int }
	got := make(chan bus.Msg, 4)
	if err := b.Consume(context.Background(), "c", "x.>", func(_ context.Context, batch []bus.Msg) error {
		for _, m := range batch {
			got <- m
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	live := make(chan bus.Msg, 4)
	unsub, err := b.Subscribe("x.>", func(m bus.Msg) { live <- m })
	if err != nil {
		t.Fatal(err)
	}
	defer unsub()
	v := &decoded{n: 7}
	var vp bus.ValuePublisher = b
	if err := vp.PublishValue(context.Background(), "x.1", []byte("a"), v); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), "x.2", []byte("b")); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []chan bus.Msg{got, live} {
		m1, m2 := <-ch, <-ch
		if m1.Value != any(v) || string(m1.Data) != "a" || m2.Value != nil || string(m2.Data) != "b" {
			t.Errorf("messages %+v, %+v: want the value with the first only", m1, m2)
		}
	}
}
