package boxoffice

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Notification kinds.
const (
	NotifyBookingConfirmed  = "booking_confirmed"
	NotifyBookingCancelled  = "booking_cancelled"
	NotifyBookingFailed     = "booking_failed"
	NotifyShowtimeCancelled = "showtime_cancelled"
)

// Delivery limits: a notification is tried at most this often, with
// exponential backoff between tries, then given up (and kept, with its
// last error, for the operator).
const (
	NotifyAttemptsMax = 8
	NotifyBackoffMin  = time.Second
	NotifyBackoffMax  = 5 * time.Minute
)

// Notification channels, as shown in GET /notifications: where a
// notification is delivered besides the log, which gets every one.
const (
	ChannelLog     = "log"
	ChannelWebhook = "webhook"
)

// Notification is a message to a user, kept in an outbox until delivered.
// ID is derived from what it is about (kind + booking) so that a saga that
// runs twice enqueues it once.
type Notification struct {
	ID          string          `json:"id"`
	UserID      string          `json:"user_id"`
	Kind        string          `json:"kind"`
	BookingID   string          `json:"booking_id"`
	Channel     string          `json:"channel"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	DeliveredAt *time.Time      `json:"delivered_at"`
	Attempts    int             `json:"attempts"`
	NextAt      time.Time       `json:"-"`
	LastError   string          `json:"-"`
}

// NotificationStore is the outbox (the notifications service's database).
type NotificationStore interface {
	// EnqueueNotification stores n unless its ID exists (then it does
	// nothing and returns nil).
	EnqueueNotification(ctx context.Context, n *Notification) error
	// DueNotifications lists undelivered notifications with NextAt <= now
	// and Attempts below max, oldest first, at most limit.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]*Notification, error)
	// ClaimNotifications takes the due notifications DueNotifications
	// would list, at most limit, for one deliverer: it sets their NextAt
	// to until in the same write, so that no other claim returns them
	// before then, and returns them oldest first. Every node's deliverer
	// claims from one outbox, so each notification goes out from one node
	// (again after until if its deliverer died before marking it). Claims
	// running at once never wait for each other's rows.
	ClaimNotifications(ctx context.Context, now, until time.Time, limit int) ([]*Notification, error)
	// MarkDelivered sets DeliveredAt. Returns ENOTFOUND.
	MarkDelivered(ctx context.Context, id string, at time.Time) error
	// MarkAttempt records a failed try: Attempts+1, NextAt, LastError.
	MarkAttempt(ctx context.Context, id string, nextAt time.Time, lastErr string) error
	// NotificationsByUser lists a user's notifications, newest first.
	NotificationsByUser(ctx context.Context, userID string, p Page) ([]*Notification, string, error)
	// DeleteNotificationsBefore deletes at most limit finished
	// notifications: delivered before before, or given up (NotifyAttemptsMax
	// attempts) and created before before. Undelivered ones still being
	// retried are kept. It returns how many it deleted.
	DeleteNotificationsBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// SortNotifications orders ns oldest first: by CreatedAt, then ID.
func SortNotifications(ns []*Notification) {
	slices.SortFunc(ns, func(a, b *Notification) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// NotificationService lists what the notification actor has sent.
type NotificationService interface {
	Notifications(ctx context.Context, userID string, p Page) ([]*Notification, string, error)
}

// NotificationSender delivers notifications outside the product (a
// webhook). The notification actor keeps the outbox and calls Send for each
// notification that is due, again with backoff after a failure, so
// delivery is at least once: Notification.ID lets a receiver drop
// duplicates.
type NotificationSender interface {
	// Channel names where Send delivers, as stored in Notification.Channel.
	Channel() string
	// Send delivers n within ctx; an error means it was not delivered.
	Send(ctx context.Context, n *Notification) error
}
