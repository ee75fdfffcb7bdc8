package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/boxoffice/boxoffice"
)

// notificationStore is the outbox in notifications.db.
type notificationStore struct{ db *db }

var _ boxoffice.NotificationStore = (*notificationStore)(nil)

const notificationColumns = `id, user_id, kind, booking_id, channel, payload, created_at,
	delivered_at, attempts, next_at, last_error`

func scanNotification(s scanner) (*boxoffice.Notification, error) {
	var n boxoffice.Notification
	var payload []byte
	var created, next int64
	var delivered sql.NullInt64
	if err := s.Scan(&n.ID, &n.UserID, &n.Kind, &n.BookingID, &n.Channel, &payload, &created,
		&delivered, &n.Attempts, &next, &n.LastError); err != nil {
		return nil, err
	}
	if payload != nil {
		n.Payload = json.RawMessage(payload)
	}
	n.CreatedAt = fromMicros(created)
	n.DeliveredAt = fromNullMicros(delivered)
	n.NextAt = fromMicros(next)
	return &n, nil
}

// EnqueueNotification stores n unless its ID exists (then it does nothing
// and returns nil): a saga that runs twice enqueues once.
func (s *notificationStore) EnqueueNotification(ctx context.Context, n *boxoffice.Notification) error {
	var payload any
	if len(n.Payload) > 0 {
		payload = []byte(n.Payload)
	}
	_, err := s.db.db.ExecContext(ctx,
		`INSERT INTO notifications (`+notificationColumns+`)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		n.ID, n.UserID, n.Kind, n.BookingID, n.Channel, payload, micros(n.CreatedAt),
		nullMicros(n.DeliveredAt), n.Attempts, micros(n.NextAt), n.LastError)
	return translate(err, "notification "+n.ID)
}

// dueNotifications selects the due rows, oldest first; its parameters are
// now, NotifyAttemptsMax and the limit. DueNotifications reads them and
// ClaimNotifications claims them.
const dueNotifications = `notifications
	WHERE delivered_at IS NULL AND next_at <= ? AND attempts < ?
	ORDER BY created_at, id LIMIT ?`

// DueNotifications lists undelivered notifications with NextAt <= now and
// Attempts below NotifyAttemptsMax, oldest first, at most limit
// (PageLimitMax if limit <= 0).
func (s *notificationStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Notification, error) {
	rows, err := s.db.db.QueryContext(ctx,
		`SELECT `+notificationColumns+` FROM `+dueNotifications,
		micros(now), boxoffice.NotifyAttemptsMax, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, translate(err, "notifications")
	}
	ns, err := collect(rows, scanNotification)
	return ns, translate(err, "notifications")
}

// ClaimNotifications moves the claimed rows' next_at to until in the one
// statement that selects them, a transaction of the file's group commit
// (SQLite has one writer at a time, so no other claim sees them due).
func (s *notificationStore) ClaimNotifications(ctx context.Context, now, until time.Time, limit int) ([]*boxoffice.Notification, error) {
	var ns []*boxoffice.Notification
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		// Once its turn has come the statement runs to the end (withTx).
		rows, err := tx.QueryContext(context.WithoutCancel(ctx),
			`UPDATE notifications SET next_at = ?
			 WHERE id IN (SELECT id FROM `+dueNotifications+`)
			 RETURNING `+notificationColumns,
			micros(until), micros(now), boxoffice.NotifyAttemptsMax, boxoffice.ScanLimit(limit))
		if err != nil {
			return err
		}
		ns, err = collect(rows, scanNotification)
		return err
	})
	if err != nil {
		return nil, translate(err, "notifications")
	}
	boxoffice.SortNotifications(ns)
	return ns, nil
}

// MarkDelivered sets DeliveredAt. Returns ENOTFOUND.
func (s *notificationStore) MarkDelivered(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.db.ExecContext(ctx,
		`UPDATE notifications SET delivered_at = ? WHERE id = ?`, micros(at), id)
	return notFoundIfNone(res, err, "notification "+id)
}

// MarkAttempt records a failed try: Attempts+1, NextAt, LastError. Returns
// ENOTFOUND.
func (s *notificationStore) MarkAttempt(ctx context.Context, id string, nextAt time.Time, lastErr string) error {
	res, err := s.db.db.ExecContext(ctx,
		`UPDATE notifications SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?`,
		micros(nextAt), lastErr, id)
	return notFoundIfNone(res, err, "notification "+id)
}

// NotificationsByUser lists a user's notifications, newest first (by
// creation time, then ID: notification IDs name what they are about, so they
// are not time-ordered). The cursor is the last creation time and ID.
func (s *notificationStore) NotificationsByUser(ctx context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Notification, string, error) {
	return newestByUser(ctx, s.db, "notifications", notificationColumns, userID, p, scanNotification,
		func(n *boxoffice.Notification) (time.Time, string) { return n.CreatedAt, n.ID })
}
