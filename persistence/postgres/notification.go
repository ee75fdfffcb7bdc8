package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// notificationStore is boxoffice.NotificationStore on the notifications
// database: the outbox.
type notificationStore struct{ db *db }

var _ boxoffice.NotificationStore = (*notificationStore)(nil)

const notificationColumns = `id, user_id, kind, booking_id, channel, payload, created_at, delivered_at,
	attempts, next_at, last_error`

func scanNotification(row pgx.Row) (*boxoffice.Notification, error) {
	var n boxoffice.Notification
	var payload []byte
	err := row.Scan(&n.ID, &n.UserID, &n.Kind, &n.BookingID, &n.Channel, &payload, &n.CreatedAt,
		&n.DeliveredAt, &n.Attempts, &n.NextAt, &n.LastError)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		n.Payload = json.RawMessage(payload)
	}
	n.CreatedAt, n.NextAt, n.DeliveredAt = n.CreatedAt.UTC(), n.NextAt.UTC(), utc(n.DeliveredAt)
	return &n, nil
}

func collectNotifications(rows pgx.Rows) ([]*boxoffice.Notification, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Notification, error) {
		return scanNotification(r)
	})
}

// EnqueueNotification ignores a second notification with the same ID: IDs
// are derived from what the notification is about, so a saga that runs
// twice enqueues once.
func (s *notificationStore) EnqueueNotification(ctx context.Context, n *boxoffice.Notification) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var payload any // NULL for an empty payload; the column is json
	if len(n.Payload) > 0 {
		payload = string(n.Payload)
	}
	_, err := s.db.exec(ctx, `INSERT INTO notifications (`+notificationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
		n.ID, n.UserID, n.Kind, n.BookingID, n.Channel, payload, n.CreatedAt, n.DeliveredAt,
		n.Attempts, n.NextAt, n.LastError)
	return s.db.translate(err)
}

// dueNotifications selects the due rows, oldest first, from the partial
// index of undelivered ones: $1 now, $2 NotifyAttemptsMax, $3 the limit.
// DueNotifications reads them and ClaimNotifications claims them.
const dueNotifications = `notifications
	WHERE delivered_at IS NULL AND next_at <= $1 AND attempts < $2
	ORDER BY created_at, id LIMIT $3`

// DueNotifications lists oldest first from the partial index of
// undelivered rows.
func (s *notificationStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Notification, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.pool.Query(ctx, `SELECT `+notificationColumns+` FROM `+dueNotifications,
		now, boxoffice.NotifyAttemptsMax, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, s.db.translate(err)
	}
	list, err := collectNotifications(rows)
	return list, s.db.translate(err)
}

// ClaimNotifications moves the claimed rows' next_at in one statement
// outside the group commit: rows locked by another claim are skipped, not
// waited for, and the claim's locks last only as long as its own commit.
func (s *notificationStore) ClaimNotifications(ctx context.Context, now, until time.Time, limit int) ([]*boxoffice.Notification, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.pool.Query(ctx, `UPDATE notifications SET next_at = $4
		WHERE id IN (SELECT id FROM `+dueNotifications+` FOR UPDATE SKIP LOCKED)
		RETURNING `+notificationColumns,
		now, boxoffice.NotifyAttemptsMax, boxoffice.ScanLimit(limit), until)
	if err != nil {
		return nil, s.db.translate(err)
	}
	list, err := collectNotifications(rows)
	if err != nil {
		return nil, s.db.translate(err)
	}
	boxoffice.SortNotifications(list)
	return list, nil
}

func (s *notificationStore) MarkDelivered(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	return s.update(ctx, id, `UPDATE notifications SET delivered_at = $2 WHERE id = $1`, at)
}

// MarkAttempt returns ENOTFOUND like MarkDelivered.
func (s *notificationStore) MarkAttempt(ctx context.Context, id string, nextAt time.Time, lastErr string) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	return s.update(ctx, id,
		`UPDATE notifications SET attempts = attempts + 1, next_at = $2, last_error = $3 WHERE id = $1`,
		nextAt, lastErr)
}

func (s *notificationStore) update(ctx context.Context, id, sql string, args ...any) error {
	tag, err := s.db.exec(ctx, sql, append([]any{id}, args...)...)
	if err != nil {
		return s.db.translate(err)
	}
	if tag.RowsAffected() == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "notification %q not found", id)
	}
	return nil
}

// NotificationsByUser pages newest first by (created_at, id) descending.
func (s *notificationStore) NotificationsByUser(ctx context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Notification, string, error) {
	return newestByUser(ctx, s.db, "notifications", notificationColumns, userID, p, collectNotifications,
		func(n *boxoffice.Notification) (time.Time, string) { return n.CreatedAt, n.ID })
}
