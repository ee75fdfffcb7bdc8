package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/webhook"
)

func note() *boxoffice.Notification {
	return &boxoffice.Notification{ID: boxoffice.NotifyBookingConfirmed + ":b1", Kind: boxoffice.NotifyBookingConfirmed,
		UserID: "u1", BookingID: "b1", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Payload: json.RawMessage(`{"id":"b1"}`)}
}

// A notification arrives as JSON with its ID as the Idempotency-Key, so
// the receiver can drop the duplicates of at-least-once delivery.
func TestSend(t *testing.T) {
	var got struct {
		header http.Header
		body   map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got.body); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s := webhook.New(srv.URL)
	t.Cleanup(s.Close)

	n := note()
	if err := s.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if s.Channel() != boxoffice.ChannelWebhook {
		t.Fatalf("channel %q", s.Channel())
	}
	if k := got.header.Get("Idempotency-Key"); k != n.ID {
		t.Fatalf("Idempotency-Key %q, want %q", k, n.ID)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	want := map[string]any{"id": n.ID, "kind": n.Kind, "user_id": "u1", "booking_id": "b1",
		"created_at": "2026-01-02T03:04:05Z", "booking": map[string]any{"id": "b1"}}
	for k, v := range want {
		if gb, _ := json.Marshal(got.body[k]); string(gb) != mustJSON(t, v) {
			t.Errorf("%s = %s, want %s", k, gb, mustJSON(t, v))
		}
	}
}

// Any answer but 2xx is a failure, and a failure never carries the URL,
// which may hold a secret.
func TestSendFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	s := webhook.New(srv.URL)
	t.Cleanup(s.Close)
	if err := s.Send(context.Background(), note()); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("err %v, want the 502", err)
	}

	const secret = "s3cret-token"
	down := webhook.New("http://127.0.0.1:1/hook?token=" + secret)
	t.Cleanup(down.Close)
	err := down.Send(context.Background(), note())
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("err %v: want a failure without the URL", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
