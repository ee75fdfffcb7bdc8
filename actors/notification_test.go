package actors_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// bkDeliveredNote waits, moving the fake clock on so that backoffs pass,
// until the user's only notification is delivered, and returns it.
func bkDeliveredNote(t *testing.T, env *BookingEnv, user string) *boxoffice.Notification {
	t.Helper()
	var n *boxoffice.Notification
	testwait.Until(t, 10*time.Second, "delivery", func() bool {
		env.Clock.Advance(time.Minute)
		ns := env.Notes(t, user)
		if len(ns) == 1 && ns[0].DeliveredAt != nil {
			n = ns[0]
			return true
		}
		return false
	})
	return n
}

// A webhook that fails is tried again with backoff until it answers 2xx;
// every try carries the same Idempotency-Key so the receiver can drop
// duplicates.
func TestNotificationWebhookRetries(t *testing.T) {
	bkNoLeaks(t)
	hook, srv := bkStartHook(t, http.StatusInternalServerError, http.StatusBadGateway)
	env := MustOpenBookingEngine(t, BookingOptions{WebhookURL: srv.URL})
	b := env.MustBook(t, "u1", "A1")

	n := bkDeliveredNote(t, env, "u1")
	bodies, keys := hook.received()
	if len(bodies) != 3 || n.Attempts != 2 || n.BookingID != b.ID {
		t.Fatalf("%d posts, notification %+v", len(bodies), n)
	}
	for _, k := range keys {
		if k != n.ID {
			t.Fatalf("keys %v, want all %s", keys, n.ID)
		}
	}
}

// A webhook that never works is given up after NotifyAttemptsMax tries;
// the notification stays undelivered for the operator.
func TestNotificationGivesUp(t *testing.T) {
	fail := make([]int, 3*boxoffice.NotifyAttemptsMax)
	for i := range fail {
		fail[i] = http.StatusServiceUnavailable
	}
	hook, srv := bkStartHook(t, fail...)
	env := MustOpenBookingEngine(t, BookingOptions{WebhookURL: srv.URL})
	env.MustBook(t, "u1", "A1")

	testwait.Until(t, 10*time.Second, "the last attempt", func() bool {
		env.Clock.Advance(10 * time.Minute)
		bodies, _ := hook.received()
		return len(bodies) == boxoffice.NotifyAttemptsMax
	})
	env.Clock.Advance(time.Hour)
	// Several sweeps read the outbox an hour later, and what they started
	// has ended. A read is begun only once the one before it is handled,
	// so every read after the next one to be handled began after the
	// clock moved.
	reads, _ := actors.OutboxReads(env.Engine)
	testwait.Until(t, 10*time.Second, "several sweeps after the last attempt", func() bool {
		r, inflight := actors.OutboxReads(env.Engine)
		return r >= reads+3 && inflight == 0
	})
	bodies, _ := hook.received()
	ns := env.Notes(t, "u1")
	if len(bodies) != boxoffice.NotifyAttemptsMax || ns[0].DeliveredAt != nil || ns[0].Attempts != boxoffice.NotifyAttemptsMax {
		t.Fatalf("%d posts, notification %+v", len(bodies), ns[0])
	}
}

// A webhook that hangs on one notification does not hold up the others.
func TestNotificationSlowWebhook(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	defer close(release) // before the engine stops and waits for it
	env := MustOpenBookingEngine(t, BookingOptions{WebhookURL: srv.URL})

	env.MustBook(t, "u1", "A1")
	testwait.Until(t, 5*time.Second, "the first post", func() bool { return calls.Load() == 1 })
	env.MustBook(t, "u2", "A2")
	testwait.Until(t, 5*time.Second, "the second delivery", func() bool {
		ns := env.Notes(t, "u2")
		return len(ns) == 1 && ns[0].DeliveredAt != nil
	})
	if ns := env.Notes(t, "u1"); ns[0].DeliveredAt != nil {
		t.Fatal("the hanging delivery finished")
	}
}

// The outbox is the queue: what a stopped node left undelivered goes out
// once a node starts, to the log when no webhook is set.
func TestNotificationSweepAfterRestart(t *testing.T) {
	stores := MustOpenStores(t)
	clock := clocktest.New(time.Now())
	payload, _ := json.Marshal(map[string]string{"id": "b1"})
	n := &boxoffice.Notification{ID: boxoffice.NotifyBookingConfirmed + ":b1", UserID: "u1", Kind: boxoffice.NotifyBookingConfirmed,
		BookingID: "b1", Channel: boxoffice.ChannelLog, Payload: payload, CreatedAt: clock.Now(), NextAt: clock.Now()}
	if err := stores.Notifications.EnqueueNotification(bkCtx(t), n); err != nil {
		t.Fatal(err)
	}
	env := MustOpenBookingEngine(t, BookingOptions{Stores: stores, Clock: clock})
	testwait.Until(t, 5*time.Second, "delivery", func() bool {
		ns := env.Notes(t, "u1")
		return len(ns) == 1 && ns[0].DeliveredAt != nil
	})
}
