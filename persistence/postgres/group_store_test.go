package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestStoresWriteThroughGroupCommit writes bookings, payments,
// notifications and idempotency keys from many goroutines at once, one
// booking ID twice: every write lands through the group commit of its
// database, and only the duplicate's caller fails.
func TestStoresWriteThroughGroupCommit(t *testing.T) {
	t.Parallel()
	s := pgtest.MustOpen(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const n = 40
	// A time with nanoseconds: PutIdempotency answers it as stored.
	now := time.Date(2026, 12, 7, 6, 0, 0, 123456789, time.FixedZone("x", 3600))
	errs := make([]error, n)
	var dupErr error
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("b-%02d", i)
			r := &boxoffice.IdempotencyRecord{UserID: "u", Key: id, RequestHash: "h", BookingID: id, CreatedAt: now}
			stored, created, err := s.Bookings.PutIdempotency(ctx, r)
			if err == nil && (!created || !stored.CreatedAt.Equal(now.Truncate(time.Microsecond)) || stored.CreatedAt.Location() != time.UTC) {
				err = fmt.Errorf("put idempotency: created %v, stored %+v", created, stored)
			}
			b := &boxoffice.Booking{ID: id, UserID: "u", ShowtimeID: "s", HoldID: "h" + id, Seats: []string{"A1"},
				TotalCents: 100, Currency: "EUR", Status: boxoffice.BookingPending, CreatedAt: now, UpdatedAt: now}
			if err == nil {
				err = s.Bookings.CreateBooking(ctx, b)
			}
			if err == nil && i == 0 {
				dup := *b
				dupErr = s.Bookings.CreateBooking(ctx, &dup)
			}
			if err == nil {
				b.Status = boxoffice.BookingConfirmed
				err = s.Bookings.UpdateBooking(ctx, b)
			}
			if err == nil {
				err = s.Payments.CreatePayment(ctx, &boxoffice.Payment{ID: "p" + id, BookingID: id, UserID: "u",
					AmountCents: 100, Currency: "EUR", Method: "card", Status: "captured", CreatedAt: now, UpdatedAt: now})
			}
			if err == nil {
				err = s.Notifications.EnqueueNotification(ctx, &boxoffice.Notification{ID: "n" + id, UserID: "u",
					Kind: "booking_confirmed", BookingID: id, Channel: "email", CreatedAt: now, NextAt: now})
			}
			if err == nil {
				err = s.Notifications.MarkDelivered(ctx, "n"+id, now)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "booking %d", i)
	}
	require.Equal(t, boxoffice.ECONFLICT, boxoffice.ErrorCode(dupErr), "%v", dupErr)
	for i := range n {
		id := fmt.Sprintf("b-%02d", i)
		b, err := s.Bookings.Booking(ctx, id)
		require.NoError(t, err)
		require.Equal(t, boxoffice.BookingConfirmed, b.Status)
		p, err := s.Payments.PaymentByBooking(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "p"+id, p.ID)
	}
	due, err := s.Notifications.DueNotifications(ctx, now.Add(time.Hour), 0)
	require.NoError(t, err)
	require.Empty(t, due, "every notification is marked delivered")
	for service, commits := range postgres.GroupCommits(s) {
		require.NotZero(t, commits, "%s wrote outside its group commit", service)
	}
	// Missing rows are still told apart from failures.
	require.Equal(t, boxoffice.ENOTFOUND, boxoffice.ErrorCode(s.Bookings.UpdateBooking(ctx, &boxoffice.Booking{ID: "none"})))
	require.Equal(t, boxoffice.ENOTFOUND, boxoffice.ErrorCode(s.Notifications.MarkDelivered(ctx, "none", now)))
}
