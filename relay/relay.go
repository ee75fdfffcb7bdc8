// Package relay publishes the events outbox to the message brokers: it
// claims the oldest events no broker has yet (one node at a time, for a
// lease), hands them to every configured publisher, and marks them
// published once all of them have confirmed. Delivery is at least once
// (a crash between a broker's confirm and the mark sends the events again)
// and in the order stored; consumers drop duplicates by event ID. A broker
// that is down costs the bookings nothing: the events wait in the outbox,
// the relay retries with backoff, and the backlog drains when it returns.
package relay

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Defaults of a relay.
const (
	// Lease is how long a claim keeps the other nodes off the claimed
	// events; PublishTimeout, well below it, bounds one attempt, so that a
	// node is done with its claim before another may take the events.
	LeaseDefault          = 15 * time.Second
	PublishTimeoutDefault = 10 * time.Second
	BatchDefault          = 200
	// PollDefault is how often an idle relay looks for new events.
	PollDefault = 250 * time.Millisecond
	backoffMin  = time.Second
	backoffMax  = time.Minute
)

// Config makes a relay.
type Config struct {
	Store      boxoffice.EventStore
	Publishers []boxoffice.EventPublisher // every one must take an event
	Clock      boxoffice.Clock            // default boxoffice.SystemClock{}
	Logger     *slog.Logger               // default slog.Default()

	Lease, PublishTimeout, Poll time.Duration // defaults above
	Batch                       int
}

// Relay moves events from the outbox to the brokers.
type Relay struct {
	cfg       Config
	published atomic.Uint64
	failures  atomic.Uint64

	// pending is a claimed batch not published yet, retried while its
	// claim (until leaseEnd) leaves an attempt time to finish. Run's
	// goroutine only.
	pending  []boxoffice.Event
	leaseEnd time.Time
}

// New returns a relay; Run starts it.
func New(cfg Config) *Relay {
	if cfg.Clock == nil {
		cfg.Clock = boxoffice.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Lease <= 0 {
		cfg.Lease = LeaseDefault
	}
	if cfg.PublishTimeout <= 0 || cfg.PublishTimeout >= cfg.Lease {
		cfg.PublishTimeout = min(PublishTimeoutDefault, cfg.Lease*2/3)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = PollDefault
	}
	if cfg.Batch <= 0 {
		cfg.Batch = BatchDefault
	}
	return &Relay{cfg: cfg}
}

// Published counts the events this relay has marked published.
func (r *Relay) Published() uint64 { return r.published.Load() }

// Failures counts the attempts that failed (a broker or the store).
func (r *Relay) Failures() uint64 { return r.failures.Load() }

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		n, err := r.Once(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.failures.Add(1)
			backoff = min(max(2*backoff, backoffMin), backoffMax)
			r.cfg.Logger.Warn("events: publish failed; the events stay in the outbox and are retried", "in", backoff, "err", err)
			sleep(ctx, backoff)
		case n == 0:
			backoff = 0
			sleep(ctx, r.cfg.Poll)
		default:
			backoff = 0 // more may wait: go on at once
		}
	}
}

// Once claims a batch, publishes it and marks it published; it returns how
// many events it published. After a failure the next call publishes the
// same batch again while its claim leaves an attempt time to finish; after
// that the claim lapses and any node (this one too) claims the events
// again. Not safe for concurrent use (Run calls it).
func (r *Relay) Once(ctx context.Context) (int, error) {
	now := r.cfg.Clock.Now()
	if r.pending == nil || !now.Add(r.cfg.PublishTimeout).Before(r.leaseEnd) {
		r.pending = nil
		events, err := r.cfg.Store.ClaimEvents(ctx, now, now.Add(r.cfg.Lease), r.cfg.Batch)
		if err != nil || len(events) == 0 {
			return 0, err
		}
		r.pending, r.leaseEnd = events, now.Add(r.cfg.Lease)
	}
	events := r.pending
	pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
	defer cancel()
	var errs []error
	for _, p := range r.cfg.Publishers {
		if err := p.Publish(pctx, events); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	if err := r.cfg.Store.MarkPublished(ctx, ids, r.cfg.Clock.Now()); err != nil {
		return 0, err // the brokers have them: the next claim sends them again
	}
	r.pending = nil
	r.published.Add(uint64(len(events)))
	return len(events), nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
