package conformance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var paymentTests = []test{
	{"CreateAndGetRoundTrip", testPaymentRoundTrip},
	{"PaymentNotFound", testPaymentNotFound},
	{"SecondPaymentOfBookingConflict", testPaymentPerBooking},
	{"UpdatePaymentStoresOnlyItsFields", testUpdatePayment},
	{"PaymentsByStatusOldestFirstUpToLimit", testPaymentsByStatus},
}

func newPayment(bookingID string, created time.Time) *boxoffice.Payment {
	return &boxoffice.Payment{
		ID:          boxoffice.NewID(),
		BookingID:   bookingID,
		UserID:      "user-1",
		AmountCents: 2500,
		Currency:    "EUR",
		Method:      boxoffice.PaymentMethodCard,
		Status:      boxoffice.PaymentPending,
		CreatedAt:   created,
		UpdatedAt:   created,
	}
}

func paymentID(p *boxoffice.Payment) string { return p.ID }

func testPaymentRoundTrip(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	p := newPayment(boxoffice.NewID(), t0)
	require.NoError(t, s.Payments.CreatePayment(ctx, p))
	got, err := s.Payments.PaymentByBooking(ctx, p.BookingID)
	require.NoError(t, err)
	require.Equal(t, p, got)
}

func testPaymentNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Payments.PaymentByBooking(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	err = s.Payments.UpdatePayment(ctx, newPayment(boxoffice.NewID(), t0))
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testPaymentPerBooking proves a booking is charged through one payment
// only, even when a saga runs twice.
func testPaymentPerBooking(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	first := newPayment(boxoffice.NewID(), t0)
	require.NoError(t, s.Payments.CreatePayment(ctx, first))
	err := s.Payments.CreatePayment(ctx, newPayment(first.BookingID, at(1)))
	requireCode(t, boxoffice.ECONFLICT, err)
	got, err := s.Payments.PaymentByBooking(ctx, first.BookingID)
	require.NoError(t, err)
	require.Equal(t, first, got)
}

func testUpdatePayment(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	p := newPayment(boxoffice.NewID(), t0)
	require.NoError(t, s.Payments.CreatePayment(ctx, p))

	up := newPayment(boxoffice.NewID(), at(3))
	up.ID, up.AmountCents, up.Currency = p.ID, 1, "USD"
	up.Status, up.ProviderRef, up.Failure, up.UpdatedAt = boxoffice.PaymentDeclined, "ch_123", "insufficient funds", at(4)
	require.NoError(t, s.Payments.UpdatePayment(ctx, up))

	want := *p
	want.Status, want.ProviderRef, want.Failure, want.UpdatedAt = up.Status, up.ProviderRef, up.Failure, up.UpdatedAt
	got, err := s.Payments.PaymentByBooking(ctx, p.BookingID)
	require.NoError(t, err)
	require.Equal(t, &want, got)
}

func testPaymentsByStatus(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var pending []string
	for i := range 7 {
		p := newPayment(boxoffice.NewID(), at(20-i)) // created newest first
		if i%2 == 1 {
			p.Status = boxoffice.PaymentCaptured
		}
		require.NoError(t, s.Payments.CreatePayment(ctx, p))
		if p.Status == boxoffice.PaymentPending {
			pending = append([]string{p.ID}, pending...)
		}
	}
	got, err := s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentPending, 3)
	require.NoError(t, err)
	require.Equal(t, pending[:3], ids(got, paymentID), "oldest first, at most limit")
	got, err = s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentPending, 100)
	require.NoError(t, err)
	require.Equal(t, pending, ids(got, paymentID))
	got, err = s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentRefunded, 100)
	require.NoError(t, err)
	require.Empty(t, got)
}
