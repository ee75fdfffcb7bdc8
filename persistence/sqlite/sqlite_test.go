package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/conformance"
)

// mustOpen opens the stores in dir and closes them when the test ends.
func mustOpen(tb testing.TB, dir string) *boxoffice.Stores {
	tb.Helper()
	s, err := Open(context.Background(), dir)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) *boxoffice.Stores { return mustOpen(t, t.TempDir()) })
}

// TestOpenCreatesOneFilePerService opens a directory that does not exist
// yet and expects it made, with one database file per service.
func TestOpenCreatesOneFilePerService(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	mustOpen(t, dir)
	for _, service := range boxoffice.Services {
		_, err := os.Stat(filepath.Join(dir, service+".db"))
		require.NoError(t, err, service)
	}
}

// TestReopenKeepsData writes to every store, closes, opens the same
// directory again (migrations must be a no-op the second time) and reads
// everything back.
func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Millisecond)

	s, err := Open(ctx, dir)
	require.NoError(t, err)
	u := &boxoffice.User{ID: boxoffice.NewID(), Email: "ada@example.com", Name: "Ada",
		Role: boxoffice.RoleUser, PasswordHash: "h", CreatedAt: now}
	require.NoError(t, s.Users.CreateUser(ctx, u))
	m := &boxoffice.Movie{ID: boxoffice.NewID(), Title: "Metropolis", Genres: []string{"drama"},
		DurationMinutes: 153, CreatedAt: now}
	require.NoError(t, s.Catalog.CreateMovie(ctx, m))
	st := boxoffice.NewID()
	ev := boxoffice.SeatEvent{Seq: 1, Kind: boxoffice.EventHeld, At: now, HoldID: "h1",
		Owner: u.ID, Seats: []string{"A1"}, ExpiresAt: now.Add(time.Minute)}
	require.NoError(t, s.Seats.AppendSeats(ctx, st, []boxoffice.SeatEvent{ev}, nil))
	b := &boxoffice.Booking{ID: boxoffice.NewID(), UserID: u.ID, ShowtimeID: st, Seats: []string{"A1"},
		Status: boxoffice.BookingPending, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.Bookings.CreateBooking(ctx, b))
	p := &boxoffice.Payment{ID: boxoffice.NewID(), BookingID: b.ID, Status: boxoffice.PaymentPending,
		CreatedAt: now, UpdatedAt: now}
	require.NoError(t, s.Payments.CreatePayment(ctx, p))
	n := &boxoffice.Notification{ID: "n1", UserID: u.ID, CreatedAt: now, NextAt: now}
	require.NoError(t, s.Notifications.EnqueueNotification(ctx, n))
	require.NoError(t, s.Close())

	s = mustOpen(t, dir)
	gotUser, err := s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, gotUser)
	gotMovie, err := s.Catalog.Movie(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, m, gotMovie)
	_, events, err := s.Seats.LoadSeats(ctx, st)
	require.NoError(t, err)
	require.Equal(t, []boxoffice.SeatEvent{ev}, events)
	gotBooking, err := s.Bookings.Booking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b, gotBooking)
	gotPayment, err := s.Payments.PaymentByBooking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, p, gotPayment)
	due, err := s.Notifications.DueNotifications(ctx, now, 10)
	require.NoError(t, err)
	require.Equal(t, []*boxoffice.Notification{n}, due)
}

// TestClosedStoresFailPing proves Ping notices a closed database and says
// so with EUNAVAILABLE, and that Close can be called twice.
func TestClosedStoresFailPing(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	require.NoError(t, s.Ping(t.Context()))
	require.NoError(t, s.Close())
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(s.Ping(t.Context())))
	require.NoError(t, s.Close())
}

// TestOpenServiceRefusesUnknownService guards the file names: a typo must not
// create a stray database.
func TestOpenServiceRefusesUnknownService(t *testing.T) {
	dir := t.TempDir()
	_, err := openService(t.Context(), dir, "seat")
	require.Error(t, err)
	_, err = os.Stat(filepath.Join(dir, "seat.db"))
	require.True(t, os.IsNotExist(err))
}

// BenchmarkAppendSeats: the seat journal on SQLite (synchronous=FULL, one
// fsync per commit), a new database for each batch size.
func BenchmarkAppendSeats(b *testing.B) {
	conformance.BenchmarkAppendSeats(b, func(b *testing.B) boxoffice.SeatStore {
		d, err := openService(b.Context(), b.TempDir(), "seats")
		require.NoError(b, err)
		b.Cleanup(func() { _ = d.close() })
		return &seatStore{db: d}
	})
}
