package boxoffice

import (
	"context"
	"time"
)

// Payment statuses. A payment is stored once the provider has answered:
// captured, declined, and later refunded. Pending is only found in rows an
// earlier version stored before asking the provider; recovery settles them
// by asking again under their ID.
const (
	PaymentPending  = "pending"
	PaymentCaptured = "captured"
	PaymentDeclined = "declined"
	PaymentRefunded = "refunded"
)

// Payment methods.
const PaymentMethodCard = "card"

// PaymentIDOf is the ID of a booking's payment, and so the provider's
// idempotency key for its charge. A booking is charged at most once, so the
// key follows from the booking alone: a booking that a crash left pending
// with no payment stored is settled by asking the provider under this key,
// and no payment row is needed before the charge.
func PaymentIDOf(bookingID string) string { return bookingID }

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
	// then unknown: retry with the same key). A retry with the same key and
	// no token asks what became of the first charge: its answer again, or
	// EINVALID if the key was never charged (and no money moves).
	Charge(ctx context.Context, req ChargeRequest) (ref string, err error)
	// Refund returns captured money (idempotent by ref).
	Refund(ctx context.Context, ref string, amountCents int64) error
}
