package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// bookingStore is boxoffice.BookingStore on the bookings database.
type bookingStore struct{ db *db }

var _ boxoffice.BookingStore = (*bookingStore)(nil)

const bookingColumns = `id, user_id, showtime_id, hold_id, seats, total_cents, currency, status, failure,
	failure_code, payment_id, payment_status, created_at, updated_at`

func scanBooking(row pgx.Row) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	var paymentID, paymentStatus *string
	err := row.Scan(&b.ID, &b.UserID, &b.ShowtimeID, &b.HoldID, &b.Seats, &b.TotalCents, &b.Currency,
		&b.Status, &b.Failure, &b.FailureCode, &paymentID, &paymentStatus, &b.CreatedAt, &b.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if paymentID != nil {
		b.Payment = &boxoffice.PaymentSummary{ID: *paymentID}
		if paymentStatus != nil {
			b.Payment.Status = *paymentStatus
		}
	}
	b.Seats = orEmpty(b.Seats)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return &b, nil
}

func collectBookings(rows pgx.Rows) ([]*boxoffice.Booking, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Booking, error) { return scanBooking(r) })
}

// summaryColumns splits the summary into its two nullable columns.
func summaryColumns(p *boxoffice.PaymentSummary) (id, status *string) {
	if p == nil {
		return nil, nil
	}
	return &p.ID, &p.Status
}

func (s *bookingStore) CreateBooking(ctx context.Context, b *boxoffice.Booking) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	payID, payStatus := summaryColumns(b.Payment)
	_, err := s.db.exec(ctx, `INSERT INTO bookings (`+bookingColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		b.ID, b.UserID, b.ShowtimeID, b.HoldID, orEmpty(b.Seats), b.TotalCents, b.Currency, b.Status,
		b.Failure, b.FailureCode, payID, payStatus, b.CreatedAt, b.UpdatedAt)
	if isUnique(err, "") {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "booking %q already exists", b.ID)
	}
	return s.db.translate(err)
}

func (s *bookingStore) UpdateBooking(ctx context.Context, b *boxoffice.Booking) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	payID, payStatus := summaryColumns(b.Payment)
	// One statement, so one transaction: the booking's events (the
	// outbox) are stored with the change that implies them, or neither.
	// It returns a row when the booking exists.
	args := append([]any{b.ID, b.Status, b.Failure, b.FailureCode, payID, payStatus, b.UpdatedAt},
		eventArgs(boxoffice.BookingEvents(b))...)
	tag, err := s.db.exec(ctx, `WITH b AS (
			UPDATE bookings SET status = $2, failure = $3, failure_code = $4, payment_id = $5, payment_status = $6,
			updated_at = $7 WHERE id = $1 RETURNING 1
		), e AS (`+insertEvents(8, "WHERE EXISTS (SELECT 1 FROM b)")+`)
		SELECT 1 FROM b`, args...)
	if err != nil {
		return s.db.translate(err)
	}
	if tag.RowsAffected() == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "booking %q not found", b.ID)
	}
	return nil
}

func (s *bookingStore) Booking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	b, err := scanBooking(s.db.pool.QueryRow(ctx, `SELECT `+bookingColumns+` FROM bookings WHERE id = $1`, id))
	return b, s.db.notFound(err, "booking %q not found", id)
}

// BookingsByUser pages newest first by (created_at, id) descending.
func (s *bookingStore) BookingsByUser(ctx context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Booking, string, error) {
	return newestByUser(ctx, s.db, "bookings", bookingColumns, userID, p, collectBookings,
		func(b *boxoffice.Booking) (time.Time, string) { return b.CreatedAt, b.ID })
}

// BookingsByShowtime pages oldest first by (created_at, id); no statuses
// means all of them.
func (s *bookingStore) BookingsByShowtime(ctx context.Context, showtimeID string, p boxoffice.Page, statuses ...string) ([]*boxoffice.Booking, string, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	p = p.Normalize()
	at, id, err := oldestFirstCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.pool.Query(ctx, `SELECT `+bookingColumns+` FROM bookings
		WHERE showtime_id = $1 AND (cardinality($2::text[]) = 0 OR status = ANY($2))
		AND (created_at, id) > ($3, $4)
		ORDER BY created_at, id LIMIT $5`,
		showtimeID, orEmpty(statuses), at, id, p.Limit+1)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	list, err := collectBookings(rows)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	list, next := boxoffice.TrimPage(list, p.Limit, func(b *boxoffice.Booking) string {
		return encodeCursor(timeKey(b.CreatedAt), b.ID)
	})
	return list, next, nil
}

// BookingsByStatus lists oldest first, at most limit (PageLimitMax when
// limit is not positive). No statuses match no booking.
func (s *bookingStore) BookingsByStatus(ctx context.Context, limit int, statuses ...string) ([]*boxoffice.Booking, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	if len(statuses) == 0 {
		return nil, nil
	}
	rows, err := s.db.pool.Query(ctx, `SELECT `+bookingColumns+` FROM bookings
		WHERE status = ANY($1) ORDER BY created_at, id LIMIT $2`,
		statuses, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, s.db.translate(err)
	}
	list, err := collectBookings(rows)
	return list, s.db.translate(err)
}

// PutIdempotency inserts or, when the key exists, reads the stored record.
// ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to
// commit, and the insert is answered once its own group committed, so the
// read that follows always finds it. An inserted record is returned as the
// database keeps it (its time to the microsecond, in UTC).
func (s *bookingStore) PutIdempotency(ctx context.Context, r *boxoffice.IdempotencyRecord) (*boxoffice.IdempotencyRecord, bool, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	const columns = `user_id, key, request_hash, booking_id, created_at`
	tag, err := s.db.exec(ctx,
		`INSERT INTO idempotency_keys (`+columns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, key) DO NOTHING`,
		r.UserID, r.Key, r.RequestHash, r.BookingID, r.CreatedAt)
	if err != nil {
		return nil, false, s.db.translate(err)
	}
	if tag.RowsAffected() == 1 {
		stored := *r
		stored.CreatedAt = storedTime(r.CreatedAt)
		return &stored, true, nil
	}
	stored, err := scanIdempotency(s.db.pool.QueryRow(ctx,
		`SELECT `+columns+` FROM idempotency_keys WHERE user_id = $1 AND key = $2`, r.UserID, r.Key))
	if err != nil {
		return nil, false, s.db.translate(err)
	}
	return stored, false, nil
}

// storedTime is t as a timestamptz column gives it back: pgx sends whole
// microseconds (the rest is cut off), and this package reads times in UTC.
func storedTime(t time.Time) time.Time {
	return t.Truncate(time.Microsecond).UTC()
}

func scanIdempotency(row pgx.Row) (*boxoffice.IdempotencyRecord, error) {
	var r boxoffice.IdempotencyRecord
	if err := row.Scan(&r.UserID, &r.Key, &r.RequestHash, &r.BookingID, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}
