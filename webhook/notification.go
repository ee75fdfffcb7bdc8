// Package webhook delivers notifications as JSON POSTs to a URL the
// operator sets (BOXOFFICE_NOTIFY_WEBHOOK_URL). It implements
// boxoffice.NotificationSender; the notification actor decides when to
// send and how often to retry.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Timeout bounds one POST, whatever the caller's context allows.
const Timeout = 5 * time.Second

// bodyMax bounds how much of a webhook's answer is read (and thrown away)
// so the connection can be reused.
const bodyMax = 64 << 10

// Sender POSTs notifications to one URL. Safe for concurrent use.
type Sender struct {
	url    string
	client *http.Client
	secret []byte           // signs each request when set (SignatureHeader)
	now    func() time.Time // the signature's timestamp
}

// Option configures a Sender.
type Option func(*Sender)

// WithSecret signs every request with secret (see SignatureHeader), so
// that the receiver can tell it comes from this install and is fresh.
func WithSecret(secret []byte) Option { return func(s *Sender) { s.secret = secret } }

// WithClock sets the clock of the signature's timestamp (tests).
func WithClock(now func() time.Time) Option { return func(s *Sender) { s.now = now } }

var _ boxoffice.NotificationSender = (*Sender)(nil)

// New returns a sender to url.
func New(url string, opts ...Option) *Sender {
	// Its own transport, so Close can close its idle connections.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	s := &Sender{url: url, client: &http.Client{Timeout: Timeout, Transport: transport}, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Channel is boxoffice.ChannelWebhook.
func (s *Sender) Channel() string { return boxoffice.ChannelWebhook }

// Close closes the idle connections to the webhook. The sender still
// works afterwards, on new connections.
func (s *Sender) Close() { s.client.CloseIdleConnections() }

// body is what the webhook receives. ID lets the receiver drop duplicates:
// delivery is at least once.
type body struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	UserID    string          `json:"user_id"`
	BookingID string          `json:"booking_id"`
	CreatedAt time.Time       `json:"created_at"`
	Booking   json.RawMessage `json:"booking,omitempty"`
}

// Send posts n, with its ID as the Idempotency-Key and, with a secret, its
// signature; any answer but 2xx is a failure. Each attempt is signed anew,
// so a retry carries a fresh timestamp.
func (s *Sender) Send(ctx context.Context, n *boxoffice.Notification) error {
	b, err := json.Marshal(body{ID: n.ID, Kind: n.Kind, UserID: n.UserID,
		BookingID: n.BookingID, CreatedAt: n.CreatedAt, Booking: n.Payload})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	if len(s.secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(s.secret, s.now(), b))
	}
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
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, bodyMax))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", res.StatusCode)
	}
	return nil
}
