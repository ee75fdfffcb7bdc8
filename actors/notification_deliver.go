package actors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// Notification channels, as shown in GET /notifications.
const (
	ChannelLog     = "log"
	ChannelWebhook = "webhook"
)

// EnvWebhookURL names the environment variable that sets Config.WebhookURL.
const EnvWebhookURL = "BOXOFFICE_NOTIFY_WEBHOOK_URL"

// webhookBodyMax bounds how much of a webhook's answer is read (and
// thrown away) so the connection can be reused.
const webhookBodyMax = 64 << 10

// notifier enqueues notifications for sagas and delivers them for the
// notification actor: every delivery goes to the log, and to the webhook
// when one is configured.
type notifier struct {
	store      boxoffice.NotificationStore
	clock      boxoffice.Clock
	log        *slog.Logger
	webhookURL string
	client     *http.Client
	sweepEvery time.Duration

	wg     sync.WaitGroup // deliveries and outbox reads in flight
	system atomic.Pointer[actor.ActorSystem]
	pid    atomic.Pointer[actor.PID]
}

func newNotifier(cfg Config) *notifier {
	sweep := cfg.NotifySweepEvery
	if sweep <= 0 {
		sweep = notifySweepDefault
	}
	// Its own transport, so Engine.Stop can close its idle connections.
	client := &http.Client{Timeout: notifyWebhookTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	return &notifier{
		store: cfg.Stores.Notifications, clock: cfg.Clock, log: cfg.Logger.With("actor", "notifications"),
		webhookURL: cfg.WebhookURL, client: client, sweepEvery: sweep,
	}
}

// channel is where new notifications go.
func (s *notifier) channel() string {
	if s.webhookURL != "" {
		return ChannelWebhook
	}
	return ChannelLog
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

// due reads the notifications whose time has come.
func (s *notifier) due() ([]*boxoffice.Notification, error) {
	ctx, cancel := context.WithTimeout(context.Background(), notifyStoreWait)
	defer cancel()
	return s.store.DueNotifications(ctx, s.clock.Now(), notifyBatchMax)
}

// deliver sends one notification and records the outcome: delivered, or
// one more failed attempt with the time of the next one.
func (s *notifier) deliver(n *boxoffice.Notification) {
	s.log.Info("notification", "channel", ChannelLog, "id", n.ID, "kind", n.Kind,
		"user", n.UserID, "booking", n.BookingID, "attempt", n.Attempts+1)
	var err error
	if s.webhookURL != "" {
		err = s.post(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyStoreWait)
	defer cancel()
	now := storedNow(s.clock)
	if err == nil {
		if err := s.store.MarkDelivered(ctx, n.ID, now); err != nil {
			s.log.Error("notification delivered but not marked; it will be sent again", "id", n.ID, "err", err)
		}
		return
	}
	next := now.Add(notifyBackoff(n.Attempts))
	if n.Attempts+1 >= boxoffice.NotifyAttemptsMax {
		s.log.Error("notification failed for the last time; giving up", "id", n.ID, "attempts", n.Attempts+1, "err", err)
	} else {
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

// webhookBody is what the webhook receives. ID lets the receiver drop
// duplicates: delivery is at least once.
type webhookBody struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	UserID    string          `json:"user_id"`
	BookingID string          `json:"booking_id"`
	CreatedAt time.Time       `json:"created_at"`
	Booking   json.RawMessage `json:"booking,omitempty"`
}

// post sends n to the webhook; any answer but 2xx is a failure.
func (s *notifier) post(n *boxoffice.Notification) error {
	body, err := json.Marshal(webhookBody{ID: n.ID, Kind: n.Kind, UserID: n.UserID,
		BookingID: n.BookingID, CreatedAt: n.CreatedAt, Booking: n.Payload})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyWebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.webhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	res, err := s.client.Do(req)
	if err != nil {
		// The URL may carry a secret: keep it out of the stored error.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("webhook: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, webhookBodyMax))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", res.StatusCode)
	}
	return nil
}
