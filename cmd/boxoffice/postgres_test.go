package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// testJWTSecret is what nodes on PostgreSQL sign tokens with: the embedded
// store's generated development secret is refused there.
const testJWTSecret = "boxoffice-process-tests-jwt-secret-0123456789"

// usePostgres points every node the test starts at its own PostgreSQL
// databases (a fresh prefix on BOXOFFICE_TEST_DATABASE_URL) through the
// environment, which startNode passes on: the storage tests of the
// embedded store then run unchanged on PostgreSQL. t.Setenv also keeps the
// test from running in parallel with others, which would inherit it.
func usePostgres(t *testing.T) postgres.Config {
	t.Helper()
	cfg := pgtest.MustTestConfig(t)
	for _, kv := range pgEnv(cfg.BaseURL, cfg.Prefix) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return cfg
}

// pgEnv is the environment of a node on PostgreSQL.
func pgEnv(url, prefix string) []string {
	return []string{
		"BOXOFFICE_DATABASE_URL=" + url,
		"BOXOFFICE_DATABASE_PREFIX=" + prefix,
		"BOXOFFICE_JWT_SECRET=" + testJWTSecret,
	}
}

// TestBookingFlowOnPostgres is TestBookingFlow (register, browse, hold,
// pay, confirm, notify, cancel with refund, SIGTERM) against
// `serve --database-url`, each service in its own database.
func TestBookingFlowOnPostgres(t *testing.T) {
	cfg := usePostgres(t)
	TestBookingFlow(t)
	// The node kept its data where the contract says: <prefix>_<service>.
	s := openPostgres(t, cfg)
	bs, err := s.Bookings.BookingsByStatus(pgCtx(t), 10, boxoffice.BookingCancelled)
	require.NoError(t, err)
	require.Len(t, bs, 1, "the flow's cancelled booking is in %s", cfg.DatabaseName("bookings"))
}

// TestKillDuringBookingsOnPostgres is the kill -9 test on PostgreSQL:
// buyers race for 200 seats, the node is killed with SIGKILL mid-saga, and
// a new node on the same databases must show every booking that got a 201
// confirmed with its seats, no seat in two bookings, and the seat map the
// bookings imply (TestKillDuringBookingsLosesNothing). Then the databases
// themselves are audited, since that test's money check reads SQLite
// files: no payment pending or captured without a confirmed booking, every
// confirmed booking paid, and the seat journal replays into a map whose
// booked seats are exactly those of the confirmed bookings.
func TestKillDuringBookingsOnPostgres(t *testing.T) {
	cfg := usePostgres(t)
	TestKillDuringBookingsLosesNothing(t)
	if t.Failed() {
		return
	}
	auditPostgres(t, openPostgres(t, cfg))
}

// openPostgres opens the stores a stopped node left, closed at the end.
func openPostgres(t *testing.T, cfg postgres.Config) *boxoffice.Stores {
	t.Helper()
	s, err := postgres.Open(pgCtx(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func pgCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// auditPostgres checks what the databases of a stopped node say about
// money and seats, service by service (there are no joins across them).
func auditPostgres(t *testing.T, s *boxoffice.Stores) {
	t.Helper()
	ctx := pgCtx(t)
	all, err := s.Bookings.BookingsByStatus(ctx, 100_000, boxoffice.BookingPending, boxoffice.BookingConfirmed,
		boxoffice.BookingFailed, boxoffice.BookingCancelling, boxoffice.BookingCancelled)
	require.NoError(t, err)
	bookings := map[string]*boxoffice.Booking{}
	for _, b := range all {
		bookings[b.ID] = b
		require.NotContains(t, []string{boxoffice.BookingPending, boxoffice.BookingCancelling}, b.Status,
			"booking %s left %s after recovery", b.ID, b.Status)
	}

	pending, err := s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentPending, 100_000)
	require.NoError(t, err)
	require.Empty(t, pending, "payments still pending after recovery")
	captured, err := s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentCaptured, 100_000)
	require.NoError(t, err)
	paid := map[string]bool{}
	for _, p := range captured {
		b, ok := bookings[p.BookingID]
		require.True(t, ok, "captured payment %s has no booking", p.ID)
		require.Equal(t, boxoffice.BookingConfirmed, b.Status, "captured payment %s belongs to a %s booking", p.ID, b.Status)
		require.Equal(t, b.TotalCents, p.AmountCents, "payment %s", p.ID)
		paid[b.ID] = true
	}

	owner := map[string]string{} // showtime/seat -> confirmed booking
	showtimes := map[string]bool{}
	for _, b := range all {
		showtimes[b.ShowtimeID] = true
		if b.Status != boxoffice.BookingConfirmed {
			continue
		}
		require.True(t, paid[b.ID], "confirmed booking %s has no captured payment", b.ID)
		for _, seat := range b.Seats {
			k := b.ShowtimeID + "/" + seat
			require.Empty(t, owner[k], "seat %s is in bookings %s and %s", k, owner[k], b.ID)
			owner[k] = b.ID
		}
	}
	for st := range showtimes {
		m := replaySeats(t, s, st)
		for _, seat := range m.View(time.Now()).Seats {
			k := st + "/" + seat.ID
			if seat.Status == boxoffice.SeatBooked {
				require.NotEmpty(t, owner[k], "the journal books %s, which no confirmed booking has", k)
			} else {
				require.Empty(t, owner[k], "seat %s of confirmed booking %s is %s in the journal", k, owner[k], seat.Status)
			}
		}
	}
	t.Logf("audit: %d bookings, %d confirmed and paid, %d seats booked", len(all), len(paid), len(owner))
}

// replaySeats rebuilds a showtime's seat map from its journal in a fresh
// boxoffice.SeatMap, which refuses an event that takes a seat that is not
// free: a seat in two holds or bookings fails the test here.
func replaySeats(t *testing.T, s *boxoffice.Stores, showtimeID string) *boxoffice.SeatMap {
	t.Helper()
	ctx := pgCtx(t)
	st, err := s.Catalog.Showtime(ctx, showtimeID)
	require.NoError(t, err)
	hall, err := s.Catalog.Hall(ctx, st.HallID)
	require.NoError(t, err)
	snap, events, err := s.Seats.LoadSeats(ctx, showtimeID)
	require.NoError(t, err)
	m := boxoffice.NewSeatMap(st, hall)
	require.NoError(t, m.Restore(snap, events), "the seat journal of %s does not replay", showtimeID)
	return m
}
