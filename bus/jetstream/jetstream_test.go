package jetstream_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"ecowatch/bus"
	"ecowatch/bus/bustest"
	"ecowatch/bus/jetstream"
)

// natsURL returns the NATS server the tests use: ECOWATCH_TEST_NATS, or the
// one this kind of machine runs on 127.0.0.1:4222. Without a server the tests
// skip, except in CI (CI=true), where a missing server is a failure.
func natsURL(t *testing.T) string {
	url := os.Getenv("ECOWATCH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	b, err := jetstream.Open(ctx, jetstream.Options{URL: url, Prefix: "probe" + randID(t), Stream: "PROBE" + randID(t)})
	if err != nil {
		msg := "NATS JetStream at " + url + " is unreachable (" + err.Error() + "); set ECOWATCH_TEST_NATS to a server started with -js to run these tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	_ = b.DeleteStream(ctx)
	b.Close()
	return url
}

func randID(t *testing.T) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// open gives each test its own stream and subject prefix, deleted at the end.
func open(t *testing.T, url string, opt jetstream.Options) *jetstream.Bus {
	id := randID(t)
	opt.URL = url
	opt.Prefix = "test" + id
	opt.Stream = "TEST" + id
	if opt.FetchWait == 0 {
		opt.FetchWait = 20 * time.Millisecond
	}
	opt.RetryBackoff = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := jetstream.Open(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// A second bus on the same stream deletes it after the test's own
		// bus has closed.
		b2, err := jetstream.Open(ctx, opt)
		if err == nil {
			_ = b2.DeleteStream(ctx)
			b2.Close()
		}
	})
	return b
}

func TestJetStreamConformance(t *testing.T) {
	url := natsURL(t)
	bustest.Run(t, bustest.Caps{}, func(t *testing.T) bus.Bus { return open(t, url, jetstream.Options{}) })
}

// A message published while no worker runs is delivered when one starts:
// the stream, not the process, holds it.
func TestJetStreamKeepsMessagesForLaterConsumer(t *testing.T) {
	url := natsURL(t)
	b := open(t, url, jetstream.Options{})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Create the durable consumer first so it exists, then stop it.
	cctx, stop := context.WithCancel(ctx)
	if err := b.Consume(cctx, "store", "frame.>", func(context.Context, []bus.Msg) error { return nil }); err != nil {
		t.Fatal(err)
	}
	stop()
	time.Sleep(100 * time.Millisecond)
	for _, s := range []string{"a", "b", "c"} {
		if err := b.Publish(ctx, "frame."+s, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 10)
	if err := b.Consume(ctx, "store", "frame.>", func(_ context.Context, batch []bus.Msg) error {
		for _, m := range batch {
			got <- m.Subject + "=" + string(m.Data)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"frame.a=a": true, "frame.b=b": true, "frame.c=c": true}
	for len(want) > 0 {
		select {
		case s := <-got:
			if !want[s] {
				t.Fatalf("unexpected delivery %q", s)
			}
			delete(want, s)
		case <-ctx.Done():
			t.Fatalf("still missing %v", want)
		}
	}
}

// A worker that takes a batch and dies without acknowledging it (here: its
// handler blocks past AckWait) does not lose the batch: another worker gets it.
func TestJetStreamRedeliversUnackedBatch(t *testing.T) {
	url := natsURL(t)
	b := open(t, url, jetstream.Options{AckWait: 500 * time.Millisecond})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	took := make(chan struct{}, 1)
	hung := make(chan struct{})
	defer close(hung)
	if err := b.Consume(ctx, "store", "frame.>", func(c context.Context, batch []bus.Msg) error {
		took <- struct{}{}
		<-hung // hangs like a dead process: neither ack nor nak
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "frame.x", []byte("evidence")); err != nil {
		t.Fatal(err)
	}
	<-took
	got := make(chan string, 1)
	if err := b.Consume(ctx, "store", "frame.>", func(_ context.Context, batch []bus.Msg) error {
		got <- string(batch[0].Data)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "evidence" {
			t.Fatalf("redelivered %q", s)
		}
	case <-ctx.Done():
		t.Fatal("the unacknowledged message was never redelivered")
	}
}
