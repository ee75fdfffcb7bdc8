package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// bookingStore keeps bookings and Idempotency-Keys in bookings.db.
type bookingStore struct{ db *db }

var _ boxoffice.BookingStore = (*bookingStore)(nil)

const bookingColumns = `id, user_id, showtime_id, hold_id, seats, total_cents, currency, status,
	failure, failure_code, payment_id, payment_status, created_at, updated_at`

func scanBooking(s scanner) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	var seats string
	var paymentID, paymentStatus sql.NullString
	var created, updated int64
	if err := s.Scan(&b.ID, &b.UserID, &b.ShowtimeID, &b.HoldID, &seats, &b.TotalCents,
		&b.Currency, &b.Status, &b.Failure, &b.FailureCode, &paymentID, &paymentStatus, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(seats), &b.Seats); err != nil {
		return nil, err
	}
	if paymentID.Valid {
		b.Payment = &boxoffice.PaymentSummary{ID: paymentID.String, Status: paymentStatus.String}
	}
	b.CreatedAt = fromMicros(created)
	b.UpdatedAt = fromMicros(updated)
	return &b, nil
}

// summaryColumns splits a payment summary into its two nullable columns.
func summaryColumns(p *boxoffice.PaymentSummary) (id, status any) {
	if p == nil {
		return nil, nil
	}
	return p.ID, p.Status
}

// CreateBooking stores a new booking. Returns ECONFLICT if the ID exists.
func (s *bookingStore) CreateBooking(ctx context.Context, b *boxoffice.Booking) error {
	seats, err := json.Marshal(b.Seats)
	if err != nil {
		return translate(err, "booking "+b.ID)
	}
	payID, payStatus := summaryColumns(b.Payment)
	_, err = s.db.db.ExecContext(ctx,
		`INSERT INTO bookings (`+bookingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.UserID, b.ShowtimeID, b.HoldID, string(seats), b.TotalCents, b.Currency,
		b.Status, b.Failure, b.FailureCode, payID, payStatus, micros(b.CreatedAt), micros(b.UpdatedAt))
	return translate(err, "booking "+b.ID)
}

// UpdateBooking stores b's Status, Failure, FailureCode, Payment and
// UpdatedAt. Returns ENOTFOUND.
// The booking's events (the outbox) are stored in the same transaction,
// so neither is kept without the other.
func (s *bookingStore) UpdateBooking(ctx context.Context, b *boxoffice.Booking) error {
	payID, payStatus := summaryColumns(b.Payment)
	events := boxoffice.BookingEvents(b)
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		// Once its turn has come the transaction runs to the end (withTx).
		ctx := context.WithoutCancel(ctx)
		res, err := tx.ExecContext(ctx,
			`UPDATE bookings SET status = ?, failure = ?, failure_code = ?, payment_id = ?,
			 payment_status = ?, updated_at = ? WHERE id = ?`,
			b.Status, b.Failure, b.FailureCode, payID, payStatus, micros(b.UpdatedAt), b.ID)
		if err := notFoundIfNone(res, err, "booking "+b.ID); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
	return translate(err, "booking "+b.ID)
}

// Booking returns ENOTFOUND.
func (s *bookingStore) Booking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	b, err := scanBooking(s.db.db.QueryRowContext(ctx,
		`SELECT `+bookingColumns+` FROM bookings WHERE id = ?`, id))
	return b, translate(err, "booking "+id)
}

// BookingsByUser lists a user's bookings, newest first (by creation time,
// then ID). The cursor is the last creation time and ID.
func (s *bookingStore) BookingsByUser(ctx context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Booking, string, error) {
	return newestByUser(ctx, s.db, "bookings", bookingColumns, userID, p, scanBooking,
		func(b *boxoffice.Booking) (time.Time, string) { return b.CreatedAt, b.ID })
}

// BookingsByShowtime lists a showtime's bookings with one of the statuses
// (all statuses when none are given), oldest first (by creation time, then
// ID). The cursor is the last creation time and ID.
func (s *bookingStore) BookingsByShowtime(ctx context.Context, showtimeID string, p boxoffice.Page, statuses ...string) ([]*boxoffice.Booking, string, error) {
	p = p.Normalize()
	where := []string{`showtime_id = ?`}
	args := []any{showtimeID}
	if len(statuses) > 0 {
		where = append(where, `status IN (`+marks(len(statuses))+`)`)
		args = appendStrings(args, statuses)
	}
	if p.Cursor != "" {
		created, id, err := decodeTimeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `(created_at, id) > (?, ?)`)
		args = append(args, created, id)
	}
	list, err := s.query(ctx, whereClause(where)+` ORDER BY created_at, id LIMIT ?`, append(args, p.Limit+1)...)
	if err != nil {
		return nil, "", err
	}
	list, next := boxoffice.TrimPage(list, p.Limit, func(b *boxoffice.Booking) string {
		return encodeTimeCursor(micros(b.CreatedAt), b.ID)
	})
	return list, next, nil
}

// BookingsByStatus lists bookings with one of the statuses, oldest first,
// at most limit (PageLimitMax if limit <= 0). No status matches nothing.
func (s *bookingStore) BookingsByStatus(ctx context.Context, limit int, statuses ...string) ([]*boxoffice.Booking, error) {
	if len(statuses) == 0 {
		return nil, nil
	}
	args := appendStrings(nil, statuses)
	return s.query(ctx, ` WHERE status IN (`+marks(len(statuses))+`) ORDER BY created_at, id LIMIT ?`,
		append(args, boxoffice.ScanLimit(limit))...)
}

// query selects bookings with the rest of a SELECT statement.
func (s *bookingStore) query(ctx context.Context, rest string, args ...any) ([]*boxoffice.Booking, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT `+bookingColumns+` FROM bookings`+rest, args...)
	if err != nil {
		return nil, translate(err, "bookings")
	}
	bookings, err := collect(rows, scanBooking)
	return bookings, translate(err, "bookings")
}

// PutIdempotency stores r unless (UserID, Key) exists; it returns the
// stored record either way, and created tells which. Insert and read share a
// transaction, so the answer is the record that won.
func (s *bookingStore) PutIdempotency(ctx context.Context, r *boxoffice.IdempotencyRecord) (*boxoffice.IdempotencyRecord, bool, error) {
	var stored boxoffice.IdempotencyRecord
	var created bool
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`INSERT INTO idempotency_keys (user_id, key, request_hash, booking_id, created_at)
			 VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING`,
			r.UserID, r.Key, r.RequestHash, r.BookingID, micros(r.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		var at int64
		err = tx.QueryRowContext(ctx,
			`SELECT user_id, key, request_hash, booking_id, created_at FROM idempotency_keys
			 WHERE user_id = ? AND key = ?`, r.UserID, r.Key).
			Scan(&stored.UserID, &stored.Key, &stored.RequestHash, &stored.BookingID, &at)
		stored.CreatedAt = fromMicros(at)
		return err
	})
	if err != nil {
		return nil, false, translate(err, "idempotency key")
	}
	return &stored, created, nil
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func appendStrings(args []any, ss []string) []any {
	for _, s := range ss {
		args = append(args, s)
	}
	return args
}
