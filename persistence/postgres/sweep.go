package postgres

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The deletes of the retention sweep. Each removes at most limit rows, the
// oldest first, through the index its migration added; SKIP LOCKED lets
// the sweeps of several nodes run at once without waiting on each other.
// They go straight to the pool, not through the group commit: a sweep is
// never on a request's path.

func (s *userStore) DeleteExpiredRefreshTokens(ctx context.Context, before time.Time, limit int) (int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM refresh_tokens WHERE hash IN (
		SELECT hash FROM refresh_tokens WHERE expires_at < $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before, boxoffice.ScanLimit(limit))
	return int(tag.RowsAffected()), s.db.translate(err)
}

func (s *bookingStore) DeleteIdempotencyBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE (user_id, key) IN (
		SELECT user_id, key FROM idempotency_keys WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before, boxoffice.ScanLimit(limit))
	return int(tag.RowsAffected()), s.db.translate(err)
}

// DeleteNotificationsBefore deletes the delivered ones first, then, with
// what is left of limit, the given up ones (two statements: FOR UPDATE
// does not combine with UNION).
func (s *notificationStore) DeleteNotificationsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	limit = boxoffice.ScanLimit(limit)
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM notifications WHERE id IN (
		SELECT id FROM notifications WHERE delivered_at < $1 ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before, limit)
	n := int(tag.RowsAffected())
	if err != nil || n >= limit {
		return n, s.db.translate(err)
	}
	tag, err = s.db.pool.Exec(ctx, `DELETE FROM notifications WHERE id IN (
		SELECT id FROM notifications WHERE delivered_at IS NULL AND attempts >= $2 AND created_at < $1
		ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)`,
		before, boxoffice.NotifyAttemptsMax, limit-n)
	return n + int(tag.RowsAffected()), s.db.translate(err)
}
