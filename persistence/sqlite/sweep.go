package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The deletes of the retention sweep. Each removes at most limit rows, the
// oldest first, through the index its migration added, so one sweep holds
// the database's writer for a bounded time.

func (s *userStore) DeleteExpiredRefreshTokens(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE rowid IN (
		SELECT rowid FROM refresh_tokens WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`,
		micros(before), boxoffice.ScanLimit(limit))
	return deleted(res, err, "refresh tokens")
}

func (s *bookingStore) DeleteIdempotencyBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE (user_id, key) IN (
		SELECT user_id, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
		micros(before), boxoffice.ScanLimit(limit))
	return deleted(res, err, "idempotency keys")
}

func (s *notificationStore) DeleteNotificationsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM notifications WHERE rowid IN (
		SELECT rowid FROM notifications WHERE delivered_at < ?
		UNION ALL
		SELECT rowid FROM notifications WHERE delivered_at IS NULL AND attempts >= ? AND created_at < ?
		LIMIT ?)`,
		micros(before), boxoffice.NotifyAttemptsMax, micros(before), boxoffice.ScanLimit(limit))
	return deleted(res, err, "notifications")
}

func deleted(res sql.Result, err error, what string) (int, error) {
	if err != nil {
		return 0, translate(err, what)
	}
	n, err := res.RowsAffected()
	return int(n), translate(err, what)
}
