package sqlite

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// paymentStore keeps payments in payments.db.
type paymentStore struct{ db *db }

var _ boxoffice.PaymentStore = (*paymentStore)(nil)

const paymentColumns = `id, booking_id, user_id, amount_cents, currency, method, status,
	provider_ref, failure, created_at, updated_at`

func scanPayment(s scanner) (*boxoffice.Payment, error) {
	var p boxoffice.Payment
	var created, updated int64
	if err := s.Scan(&p.ID, &p.BookingID, &p.UserID, &p.AmountCents, &p.Currency, &p.Method,
		&p.Status, &p.ProviderRef, &p.Failure, &created, &updated); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}

// CreatePayment stores a new payment. Returns ECONFLICT if the booking
// already has one (or the ID exists).
func (s *paymentStore) CreatePayment(ctx context.Context, p *boxoffice.Payment) error {
	_, err := s.db.db.ExecContext(ctx,
		`INSERT INTO payments (`+paymentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.BookingID, p.UserID, p.AmountCents, p.Currency, p.Method, p.Status,
		p.ProviderRef, p.Failure, micros(p.CreatedAt), micros(p.UpdatedAt))
	if isUnique(err) {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "booking %s already has a payment", p.BookingID)
	}
	return translate(err, "payment "+p.ID)
}

// UpdatePayment stores Status, ProviderRef, Failure, UpdatedAt. Returns
// ENOTFOUND.
func (s *paymentStore) UpdatePayment(ctx context.Context, p *boxoffice.Payment) error {
	res, err := s.db.db.ExecContext(ctx,
		`UPDATE payments SET status = ?, provider_ref = ?, failure = ?, updated_at = ? WHERE id = ?`,
		p.Status, p.ProviderRef, p.Failure, micros(p.UpdatedAt), p.ID)
	return notFoundIfNone(res, err, "payment "+p.ID)
}

// PaymentByBooking returns ENOTFOUND.
func (s *paymentStore) PaymentByBooking(ctx context.Context, bookingID string) (*boxoffice.Payment, error) {
	p, err := scanPayment(s.db.db.QueryRowContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE booking_id = ?`, bookingID))
	return p, translate(err, "payment of booking "+bookingID)
}

// PaymentsByStatus lists payments in a status, oldest first, at most limit
// (PageLimitMax if limit <= 0).
func (s *paymentStore) PaymentsByStatus(ctx context.Context, status string, limit int) ([]*boxoffice.Payment, error) {
	rows, err := s.db.db.QueryContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE status = ? ORDER BY created_at, id LIMIT ?`,
		status, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, translate(err, "payments")
	}
	payments, err := collect(rows, scanPayment)
	return payments, translate(err, "payments")
}
