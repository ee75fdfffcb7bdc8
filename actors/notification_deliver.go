package actors

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// notifier enqueues notifications for sagas and delivers them for the
// notification actor: every delivery goes to the log, and to the sender
// when one is configured.
type notifier struct {
	store      boxoffice.NotificationStore
	clock      boxoffice.Clock
	log        *slog.Logger
	sender     boxoffice.NotificationSender // nil: the log only
	sweepEvery time.Duration
	metrics    *Metrics // nil: not counted

	wg     sync.WaitGroup // deliveries and outbox reads in flight
	system atomic.Pointer[actor.ActorSystem]
	pid    atomic.Pointer[actor.PID]
}

func newNotifier(cfg Config) *notifier {
	sweep := cfg.NotifySweepEvery
	if sweep <= 0 {
		sweep = notifySweepDefault
	}
	return &notifier{
		store: cfg.Stores.Notifications, clock: cfg.Clock, log: cfg.Logger.With("actor", "notifications"),
		sender: cfg.NotificationSender, sweepEvery: sweep, metrics: cfg.Metrics,
	}
}

// channel is where new notifications go.
func (s *notifier) channel() string {
	if s.sender != nil {
		return s.sender.Channel()
	}
	return boxoffice.ChannelLog
}

// enqueue stores a notification about a booking in the outbox. Its ID is
// the kind and the booking, so a saga that runs twice enqueues it once.
func (s *notifier) enqueue(ctx context.Context, kind string, b *boxoffice.Booking) error {
	payload, err := json.Marshal(b)
	if err != nil {
		return err
	}
	now := storedNow(s.clock)
	return s.store.EnqueueNotification(ctx, &boxoffice.Notification{
		ID: kind + ":" + b.ID, UserID: b.UserID, Kind: kind, BookingID: b.ID,
		Channel: s.channel(), Payload: payload, CreatedAt: now, NextAt: now,
	})
}

// poke tells the notification actor that something was enqueued. Without
// a running actor the sweep of the next start delivers it.
func (s *notifier) poke() {
	if system, pid := s.system.Load(), s.pid.Load(); system != nil && pid != nil {
		system.Root.Send(pid, &notifyPoke{})
	}
}

// claim takes up to limit notifications whose time has come for this
// node to deliver. The outbox is shared by every node: a claim moves the
// rows' next attempt notifyClaimLease on, so that the other nodes' claims
// skip them while this node delivers; if it dies first, they are due
// again after the lease.
func (s *notifier) claim(limit int) ([]*boxoffice.Notification, error) {
	ctx, cancel := context.WithTimeout(context.Background(), notifyStoreWait)
	defer cancel()
	now := storedNow(s.clock)
	return s.store.ClaimNotifications(ctx, now, now.Add(notifyClaimLease), limit)
}

// deliver sends one notification and records the outcome: delivered, or
// one more failed attempt with the time of the next one.
func (s *notifier) deliver(n *boxoffice.Notification) {
	s.log.Info("notification", "channel", boxoffice.ChannelLog, "id", n.ID, "kind", n.Kind,
		"user", n.UserID, "booking", n.BookingID, "attempt", n.Attempts+1)
	err := s.send(n)
	ctx, cancel := context.WithTimeout(context.Background(), notifyStoreWait)
	defer cancel()
	now := storedNow(s.clock)
	if err == nil {
		s.metrics.notification(notifyDelivered)
		if err := s.store.MarkDelivered(ctx, n.ID, now); err != nil {
			s.log.Error("notification delivered but not marked; it will be sent again", "id", n.ID, "err", err)
		}
		return
	}
	next := now.Add(notifyBackoff(n.Attempts))
	if n.Attempts+1 >= boxoffice.NotifyAttemptsMax {
		s.metrics.notification(notifyDropped)
		s.log.Error("notification failed for the last time; giving up", "id", n.ID, "attempts", n.Attempts+1, "err", err)
	} else {
		s.metrics.notification(notifyRetry)
		s.log.Warn("notification failed; will retry", "id", n.ID, "attempts", n.Attempts+1, "next_at", next, "err", err)
	}
	if err := s.store.MarkAttempt(ctx, n.ID, next, err.Error()); err != nil {
		s.log.Error("notification attempt not recorded", "id", n.ID, "err", err)
	}
}

// notifyBackoff is the wait after the failed attempt number attempts+1:
// doubling from NotifyBackoffMin up to NotifyBackoffMax.
func notifyBackoff(attempts int) time.Duration {
	d := boxoffice.NotifyBackoffMin
	for i := 0; i < attempts && d < boxoffice.NotifyBackoffMax; i++ {
		d *= 2
	}
	return min(d, boxoffice.NotifyBackoffMax)
}

// send hands n to the sender, if any, within notifySendTimeout.
func (s *notifier) send(n *boxoffice.Notification) error {
	if s.sender == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifySendTimeout)
	defer cancel()
	return s.sender.Send(ctx, n)
}
