package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// paymentStore is boxoffice.PaymentStore on the payments database.
type paymentStore struct{ db *db }

var _ boxoffice.PaymentStore = (*paymentStore)(nil)

const paymentColumns = `id, booking_id, user_id, amount_cents, currency, method, status, provider_ref,
	failure, created_at, updated_at`

func scanPayment(row pgx.Row) (*boxoffice.Payment, error) {
	var p boxoffice.Payment
	err := row.Scan(&p.ID, &p.BookingID, &p.UserID, &p.AmountCents, &p.Currency, &p.Method, &p.Status,
		&p.ProviderRef, &p.Failure, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// CreatePayment refuses a second payment for a booking (the unique
// booking_id), which is what keeps a saga that runs twice from charging
// twice.
func (s *paymentStore) CreatePayment(ctx context.Context, p *boxoffice.Payment) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.exec(ctx, `INSERT INTO payments (`+paymentColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, p.BookingID, p.UserID, p.AmountCents, p.Currency, p.Method, p.Status, p.ProviderRef,
		p.Failure, p.CreatedAt, p.UpdatedAt)
	switch {
	case isUnique(err, "payments_booking_id_key"):
		return boxoffice.Errorf(boxoffice.ECONFLICT, "booking %q already has a payment", p.BookingID)
	case isUnique(err, ""):
		return boxoffice.Errorf(boxoffice.ECONFLICT, "payment %q already exists", p.ID)
	}
	return s.db.translate(err)
}

func (s *paymentStore) UpdatePayment(ctx context.Context, p *boxoffice.Payment) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	tag, err := s.db.exec(ctx,
		`UPDATE payments SET status = $2, provider_ref = $3, failure = $4, updated_at = $5 WHERE id = $1`,
		p.ID, p.Status, p.ProviderRef, p.Failure, p.UpdatedAt)
	if err != nil {
		return s.db.translate(err)
	}
	if tag.RowsAffected() == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "payment %q not found", p.ID)
	}
	return nil
}

func (s *paymentStore) PaymentByBooking(ctx context.Context, bookingID string) (*boxoffice.Payment, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	p, err := scanPayment(s.db.pool.QueryRow(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE booking_id = $1`, bookingID))
	return p, s.db.notFound(err, "no payment for booking %q", bookingID)
}

// PaymentsByStatus lists oldest first, at most limit (PageLimitMax when
// limit is not positive).
func (s *paymentStore) PaymentsByStatus(ctx context.Context, status string, limit int) ([]*boxoffice.Payment, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.pool.Query(ctx, `SELECT `+paymentColumns+` FROM payments
		WHERE status = $1 ORDER BY created_at, id LIMIT $2`, status, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, s.db.translate(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Payment, error) { return scanPayment(r) })
	return list, s.db.translate(err)
}
