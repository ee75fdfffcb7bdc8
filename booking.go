package boxoffice

import (
	"context"
	"time"
)

// Booking statuses. A booking is pending while its saga runs (payment,
// seat confirmation); it ends confirmed or failed; a confirmed booking can
// become cancelled (seats freed, payment refunded). Cancelling is the
// in-between state of a cancellation, so that a crash in the middle of one
// is finished at the next start.
const (
	BookingPending    = "pending"
	BookingConfirmed  = "confirmed"
	BookingFailed     = "failed"
	BookingCancelling = "cancelling"
	BookingCancelled  = "cancelled"
)

// Booking is a user's purchase of the seats of one hold.
type Booking struct {
	ID          string          `json:"id"`
	UserID      string          `json:"user_id"`
	ShowtimeID  string          `json:"showtime_id"`
	HoldID      string          `json:"hold_id"`
	Seats       []string        `json:"seats"`
	TotalCents  int64           `json:"total_cents"`
	Currency    string          `json:"currency"`
	Status      string          `json:"status"`
	Failure     string          `json:"failure,omitempty"`      // why it failed, for the user
	FailureCode string          `json:"failure_code,omitempty"` // why it failed, for a program: BookingFailed*
	Payment     *PaymentSummary `json:"payment,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// PaymentSummary is what a booking shows of its payment.
type PaymentSummary struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// Bounds of a booking request.
const (
	IdempotencyKeyLenMax = 255
	PaymentTokenLenMax   = 256
)

// IdempotencyRecord remembers which booking a user's Idempotency-Key
// created, and a hash of the request body, so a retry gets the same answer
// and a different body under the same key is refused.
type IdempotencyRecord struct {
	UserID      string
	Key         string
	RequestHash string
	BookingID   string
	CreatedAt   time.Time
}

// BookingStore keeps bookings and idempotency keys (the bookings service's
// database).
type BookingStore interface {
	// CreateBooking stores a new booking. Returns ECONFLICT if the ID
	// exists (the stored booking is left as it was).
	CreateBooking(ctx context.Context, b *Booking) error
	// UpdateBooking stores b's Status, Failure, FailureCode, Payment and
	// UpdatedAt.
	// Returns ENOTFOUND.
	UpdateBooking(ctx context.Context, b *Booking) error
	// Booking returns ENOTFOUND.
	Booking(ctx context.Context, id string) (*Booking, error)
	// BookingsByUser lists a user's bookings, newest first, paged by cursor.
	BookingsByUser(ctx context.Context, userID string, p Page) ([]*Booking, string, error)
	// BookingsByShowtime lists a showtime's bookings with one of the
	// statuses (all statuses when none are given), oldest first, paged by
	// cursor: a sold-out hall is more bookings than one read should carry.
	// A booking that changes status after its page was read does not move
	// the next page, so a caller may update each page before reading on.
	BookingsByShowtime(ctx context.Context, showtimeID string, p Page, statuses ...string) ([]*Booking, string, error)
	// BookingsByStatus lists bookings with one of the statuses, oldest
	// first, at most limit (the recovery scan at start).
	BookingsByStatus(ctx context.Context, limit int, statuses ...string) ([]*Booking, error)

	// PutIdempotency stores r unless (UserID, Key) exists; it returns the
	// stored record either way, and created tells which.
	PutIdempotency(ctx context.Context, r *IdempotencyRecord) (stored *IdempotencyRecord, created bool, err error)
	// DeleteIdempotencyBefore deletes at most limit idempotency records
	// created before before (a key is honoured for the retention period
	// only) and returns how many it deleted.
	DeleteIdempotencyBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// CreateBookingRequest is POST /bookings.
type CreateBookingRequest struct {
	UserID         string
	HoldID         string
	PaymentMethod  string
	PaymentToken   string
	IdempotencyKey string // optional
	RequestHash    string // hash of the request body, with IdempotencyKey
}

// Validate checks what needs no store: a user, the Idempotency-Key's
// length, the fields of the body, and that the hold ID is one NewHoldID
// could have made (any other hold does not exist).
func (r CreateBookingRequest) Validate() error {
	switch {
	case r.UserID == "":
		return Errorf(EUNAUTHORIZED, "a user is required")
	case len(r.IdempotencyKey) > IdempotencyKeyLenMax:
		return Errorf(EINVALID, "Idempotency-Key is longer than %d bytes", IdempotencyKeyLenMax)
	case r.HoldID == "":
		return Errorf(EINVALID, "hold_id is required")
	case r.PaymentMethod != PaymentMethodCard:
		return Errorf(EINVALID, "payment.method must be %q", PaymentMethodCard)
	case r.PaymentToken == "":
		return Errorf(EINVALID, "payment.token is required")
	case len(r.PaymentToken) > PaymentTokenLenMax:
		return Errorf(EINVALID, "payment.token is longer than %d bytes", PaymentTokenLenMax)
	}
	if _, err := HoldShowtimeID(r.HoldID); err != nil {
		return Errorf(ENOTFOUND, "hold_id: hold not found")
	}
	return nil
}

// Caller is who makes a request: the user and whether they are an admin.
type Caller struct {
	UserID string
	Admin  bool
}

// BookingService runs bookings: the booking saga, cancellations and
// showtime cancellations.
type BookingService interface {
	// CreateBooking runs the saga. Returns ENOTFOUND / EFORBIDDEN (hold),
	// EGONE (hold expired: nothing charged, or charged and refunded),
	// EUNPROCESSABLE (payment declined), ECONFLICT (Idempotency-Key reused
	// with another body), EUNAVAILABLE.
	CreateBooking(ctx context.Context, req CreateBookingRequest) (*Booking, error)
	// Booking returns a booking of the caller (any booking for an admin):
	// ENOTFOUND.
	Booking(ctx context.Context, id string, c Caller) (*Booking, error)
	// Bookings lists the caller's bookings, newest first.
	Bookings(ctx context.Context, c Caller, p Page) ([]*Booking, string, error)
	// CancelBooking cancels and refunds a confirmed booking (idempotent).
	// Returns ENOTFOUND, ECONFLICT (showtime started, or booking failed).
	CancelBooking(ctx context.Context, id string, c Caller) (*Booking, error)
	// CancelShowtime cancels a showtime: no more holds, every confirmed
	// booking cancelled, refunded and notified. Returns ENOTFOUND.
	CancelShowtime(ctx context.Context, showtimeID string) (*Showtime, error)
}
