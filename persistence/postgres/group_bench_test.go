package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// BenchmarkStoreBookingWrites runs a booking's writes through the real
// stores, as the saga does (idempotency key, booking, payment, the
// booking's confirmation, its notification), from 64 goroutines at once,
// on the default pool sizes: each statement alone on the pool ("alone"),
// or through the group commit of its database ("group"). The server is
// the test server (BOXOFFICE_TEST_DATABASE_URL).
func BenchmarkStoreBookingWrites(b *testing.B) {
	for _, mode := range []string{"alone", "group"} {
		b.Run(mode, func(b *testing.B) {
			cfg := pgtest.MustTestConfig(b)
			cfg.MaxConns = 0 // the defaults
			s, err := postgres.Open(context.Background(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if mode == "alone" {
				postgres.WithoutGroupCommit(s)
			}
			ctx := context.Background()
			now := time.Now().UTC()
			var ids atomic.Int64
			b.SetParallelism(64 / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bookingWrites(ctx, s, fmt.Sprintf("b%d", ids.Add(1)), now); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
		})
	}
}

func bookingWrites(ctx context.Context, s *boxoffice.Stores, id string, now time.Time) error {
	if _, _, err := s.Bookings.PutIdempotency(ctx, &boxoffice.IdempotencyRecord{UserID: "u", Key: id,
		RequestHash: "h", BookingID: id, CreatedAt: now}); err != nil {
		return err
	}
	bk := &boxoffice.Booking{ID: id, UserID: "u", ShowtimeID: "s", HoldID: "h" + id, Seats: []string{"A1"},
		TotalCents: 100, Currency: "EUR", Status: boxoffice.BookingPending, CreatedAt: now, UpdatedAt: now}
	if err := s.Bookings.CreateBooking(ctx, bk); err != nil {
		return err
	}
	if err := s.Payments.CreatePayment(ctx, &boxoffice.Payment{ID: "p" + id, BookingID: id, UserID: "u",
		AmountCents: 100, Currency: "EUR", Method: "card", Status: "captured", CreatedAt: now, UpdatedAt: now}); err != nil {
		return err
	}
	bk.Status = boxoffice.BookingConfirmed
	if err := s.Bookings.UpdateBooking(ctx, bk); err != nil {
		return err
	}
	return s.Notifications.EnqueueNotification(ctx, &boxoffice.Notification{ID: "n" + id, UserID: "u",
		Kind: "booking_confirmed", BookingID: id, Channel: "email", CreatedAt: now, NextAt: now})
}
