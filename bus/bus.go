// Package bus carries frames and events between ecowatch's parts: from the
// gateway to the store writer and the alarm engine, and from them to the web
// application's live feeds.
//
// Two kinds of delivery share one interface:
//
//   - Durable consumers (Consume) process every message at least once, in
//     batches, and the publisher learns when the message is safe. This is the
//     path of frames: the gateway acknowledges a device only after Publish
//     returns nil.
//   - Live subscriptions (Subscribe) get a best-effort copy of each message,
//     for dashboards; a slow subscriber loses messages, never slows the bus.
//
// Subjects are dot-separated tokens as in NATS ("frame.2011.MN123"); filters
// may use "*" for one token and a trailing ">" for one or more tokens. The
// in-process implementation here is the default of a one-node installation;
// a NATS JetStream implementation satisfies the same contract.
//
// Example:
//
//	b := bus.NewMemory(bus.MemoryOptions{})
//	defer b.Close()
//	b.Consume(ctx, "store", "frame.>", func(ctx context.Context, batch []bus.Msg) error {
//		return store.WriteFrames(ctx, batch) // one transaction for the batch
//	})
//	err := b.Publish(ctx, "frame.2011.MN1", data) // returns after the batch committed
package bus

import (
	"context"
	"errors"
	"strings"
)

// Msg is one message on the bus. Data belongs to the receiver once delivered;
// a handler that keeps it after returning must copy it only if the bus
// implementation says buffers are reused (the in-process bus never reuses them).
type Msg struct {
	Subject string
	Data    []byte
	// Value is what the publisher passed to PublishValue on an in-process
	// bus (nil otherwise): the publisher's own decoded form of Data, so a
	// consumer in the same process need not decode Data again. Receivers
	// must not modify it, and must work from Data alone when it is nil (a
	// bus between processes never carries it).
	Value any
}

// ValuePublisher is implemented by a bus that can hand a publisher's value
// to receivers in the same process along with the encoded message.
type ValuePublisher interface {
	// PublishValue is Publish, with v delivered as Msg.Value.
	PublishValue(ctx context.Context, subject string, data []byte, v any) error
}

// BatchPublisher is implemented by a bus that can publish several messages
// in one call: all are handed over before the first is waited for, so a
// consumer can commit them together and the publisher waits for one
// commit instead of one per message. The gateway uses it for the frames a
// device sent back to back.
type BatchPublisher interface {
	// PublishBatch publishes msgs (Subject, Data, and Value on an
	// in-process bus) and sets errs[i] (len(errs) == len(msgs)) to what
	// Publish would have returned for msgs[i]. It returns when every
	// message has its result.
	PublishBatch(ctx context.Context, msgs []Msg, errs []error)
}

// Handler processes a batch of messages for a durable consumer. Returning nil
// acknowledges every message of the batch; returning an error causes the
// whole batch to be delivered again later, so handlers must be idempotent.
type Handler func(ctx context.Context, batch []Msg) error

// Bus is the contract both implementations meet.
type Bus interface {
	// Publish hands a message to the bus. A nil error means the message is as
	// durable as the implementation promises: in process, every durable
	// consumer whose filter matches has processed it successfully; on
	// JetStream, the stream has acknowledged it. A non-nil error means the
	// publisher must assume the message is lost (and, for a device frame,
	// not acknowledge it). Publish honours ctx's deadline.
	Publish(ctx context.Context, subject string, data []byte) error

	// Consume starts a durable consumer called name for subjects matching
	// filter. Several calls with the same name share the work; the handler
	// runs on the bus's goroutines until ctx is done or the bus closes.
	Consume(ctx context.Context, name, filter string, h Handler) error

	// Subscribe delivers a best-effort copy of every message matching filter
	// to fn, in order, on a goroutine of the subscription. The returned
	// function ends the subscription.
	Subscribe(filter string, fn func(Msg)) (unsubscribe func(), err error)

	// Close stops delivery; messages in flight get ErrClosed.
	Close() error
}

// ErrClosed is returned by a Bus that has been closed.
var ErrClosed = errors.New("bus: closed")

// ErrBadSubject is returned for an empty subject or filter, or one with empty
// tokens, or a ">" that is not the last token.
var ErrBadSubject = errors.New("bus: bad subject")

// ValidSubject reports whether s is a publishable subject: non-empty tokens
// and no wildcards.
func ValidSubject(s string) bool {
	if s == "" {
		return false
	}
	for _, t := range strings.Split(s, ".") {
		if t == "" || t == "*" || t == ">" || strings.ContainsAny(t, " \t\r\n") {
			return false
		}
	}
	return true
}

// ValidFilter reports whether f is a well-formed filter.
func ValidFilter(f string) bool {
	if f == "" {
		return false
	}
	toks := strings.Split(f, ".")
	for i, t := range toks {
		if t == "" || strings.ContainsAny(t, " \t\r\n") {
			return false
		}
		if t == ">" && i != len(toks)-1 {
			return false
		}
	}
	return true
}

// Match reports whether subject matches filter, with NATS semantics: "*"
// matches exactly one token, a final ">" matches one or more tokens.
func Match(filter, subject string) bool {
	for filter != "" {
		ft, frest, _ := strings.Cut(filter, ".")
		if ft == ">" {
			return subject != ""
		}
		if subject == "" {
			return false
		}
		st, srest, _ := strings.Cut(subject, ".")
		if ft != "*" && ft != st {
			return false
		}
		filter, subject = frest, srest
	}
	return subject == ""
}
