package gateway

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"ecowatch/bus"
)

// hungEventBus is a bus whose event publishes never complete: a NATS
// cluster that was stopped before the gateway.
type hungEventBus struct{ *bus.Memory }

func (b hungEventBus) Publish(ctx context.Context, subject string, data []byte) error {
	if strings.HasPrefix(subject, "event.") {
		<-ctx.Done()
		return ctx.Err()
	}
	return b.Memory.Publish(ctx, subject, data)
}

// Events queued when the gateway shuts down are drained within one
// PublishTimeout in all, not one per event: with the bus gone, a thousand
// offline events must not hold the shutdown for a thousand timeouts.
func TestShutdownDrainsEventsWithinOneTimeout(t *testing.T) {
	m := bus.NewMemory(bus.MemoryOptions{})
	defer m.Close()
	reg := RegistryFuncs{DeviceFunc: func(context.Context, string) (Device, error) { return Device{}, ErrUnknownDevice }}
	s, err := New(Config{Bus: hungEventBus{m}, Registry: reg, PublishTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		s.event(Event{Kind: EventOffline, MN: "MN" + string(rune('A'+i%26)), At: time.Now()})
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// At most the event in hand when the shutdown began (one timeout)
	// and the drain (one more).
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v with 50 events queued and the bus unreachable", d)
	}
}
