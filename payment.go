package boxoffice

import (
	"context"
	"time"
)

// Payment statuses. A payment is pending from before the provider is asked
// until its answer is stored, so that a crash in between is resolved at the
// next start by asking the provider again (charges are idempotent by
// payment ID).
const (
	PaymentPending  = "pending"
	PaymentCaptured = "captured"
	PaymentDeclined = "declined"
	PaymentRefunded = "refunded"
)

// Payment methods.
const PaymentMethodCard = "card"

// Payment is money taken for a booking.
type Payment struct {
	ID          string    `json:"id"`
	BookingID   string    `json:"booking_id"`
	UserID      string    `json:"user_id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Method      string    `json:"method"`
	Status      string    `json:"status"`
	ProviderRef string    `json:"provider_ref,omitempty"`
	Failure     string    `json:"failure,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// PaymentStore keeps payments (the payments service's database).
type PaymentStore interface {
	// CreatePayment stores a new payment. Returns ECONFLICT if the booking
	// already has one.
	CreatePayment(ctx context.Context, p *Payment) error
	// UpdatePayment stores Status, ProviderRef, Failure, UpdatedAt.
	// Returns ENOTFOUND.
	UpdatePayment(ctx context.Context, p *Payment) error
	// PaymentByBooking returns ENOTFOUND.
	PaymentByBooking(ctx context.Context, bookingID string) (*Payment, error)
	// PaymentsByStatus lists payments in a status, oldest first, at most limit.
	PaymentsByStatus(ctx context.Context, status string, limit int) ([]*Payment, error)
}

// ChargeRequest asks a payment provider for money. Key makes the charge
// idempotent: the same key charges at most once.
type ChargeRequest struct {
	Key         string
	AmountCents int64
	Currency    string
	Token       string
}

// PaymentProvider is a card gateway. Package cardgateway holds the
// simulated one the product ships with.
type PaymentProvider interface {
	// Charge captures money. Returns EUNPROCESSABLE if the card is declined,
	// EUNAVAILABLE if the gateway did not answer in time (the outcome is
	// then unknown: retry with the same key).
	Charge(ctx context.Context, req ChargeRequest) (ref string, err error)
	// Refund returns captured money (idempotent by ref).
	Refund(ctx context.Context, ref string, amountCents int64) error
}
