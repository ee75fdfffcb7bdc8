package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// With a secret every request carries Boxoffice-Signature, an HMAC of its
// timestamp and body that the receiver checks: a forged or altered body,
// another secret or an old replay fails Verify.
func TestSendSigned(t *testing.T) {
	secret := []byte("whsec-0123456789")
	sent := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	var header string
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get(webhook.SignatureHeader)
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s := webhook.New(srv.URL, webhook.WithSecret(secret), webhook.WithClock(func() time.Time { return sent }))
	t.Cleanup(s.Close)
	if err := s.Send(context.Background(), note()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(header, fmt.Sprintf("t=%d,v1=", sent.Unix())) {
		t.Fatalf("%s: %q", webhook.SignatureHeader, header)
	}
	// The receiver's side, by hand: HMAC-SHA256 of "<t>.<body>".
	h := hmac.New(sha256.New, secret)
	fmt.Fprintf(h, "%d.%s", sent.Unix(), body)
	if want := fmt.Sprintf("t=%d,v1=%x", sent.Unix(), h.Sum(nil)); header != want {
		t.Fatalf("signature %q, want %q", header, want)
	}
	tol := 5 * time.Minute
	if err := webhook.Verify(secret, header, body, sent.Add(time.Minute), tol); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for name, tc := range map[string]struct {
		secret, body []byte
		header       string
		now          time.Time
		want         error
	}{
		"altered body":  {secret, append([]byte(`{"x":1}`), body...), header, sent, webhook.ErrSignatureInvalid},
		"other secret":  {[]byte("guess"), body, header, sent, webhook.ErrSignatureInvalid},
		"replayed late": {secret, body, header, sent.Add(tol + time.Second), webhook.ErrSignatureStale},
		"no signature":  {secret, body, "", sent, webhook.ErrSignatureMissing},
		"new timestamp": {secret, body, strings.Replace(header, fmt.Sprint(sent.Unix()), fmt.Sprint(sent.Unix()+600), 1), sent.Add(10 * time.Minute), webhook.ErrSignatureInvalid},
	} {
		if err := webhook.Verify(tc.secret, tc.header, tc.body, tc.now, tol); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", name, err, tc.want)
		}
	}
}

// Without a secret no signature header is sent (nothing to sign with).
func TestSendUnsigned(t *testing.T) {
	var header []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Values(webhook.SignatureHeader)
	}))
	t.Cleanup(srv.Close)
	s := webhook.New(srv.URL)
	t.Cleanup(s.Close)
	if err := s.Send(context.Background(), note()); err != nil {
		t.Fatal(err)
	}
	if len(header) != 0 {
		t.Fatalf("unsigned sender sent %v", header)
	}
}
