package actors_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// pgUmbrella is the test under which the store helpers open PostgreSQL.
const pgUmbrella = "TestOnPostgres"

// onPostgres reports whether tb runs under TestOnPostgres. The store
// helper MustOpenStores calls it first:
//
//	if onPostgres(tb) {
//		return postgresStores(tb)
//	}
func onPostgres(tb testing.TB) bool {
	name := tb.Name()
	return name == pgUmbrella || strings.HasPrefix(name, pgUmbrella+"/")
}

// probeStores is what postgresStores returns to the probe of
// TestOnPostgres: it shows the helpers are wired without creating
// databases.
var probeStores = &boxoffice.Stores{}

// pgSets are sets of six databases that TestOnPostgres creates for its
// subtests to take turns on: creating and dropping six databases per test
// would cost more than the tests (seconds each on a busy server).
var pgSets chan postgres.Config

// postgresStores opens stores on a free set of pgSets, emptied first, and
// gives the set back when the test ends, after the stores close. When
// none is free (more tests at once than sets, or a test that opens two),
// it opens stores on databases of the test's own.
func postgresStores(tb testing.TB) *boxoffice.Stores {
	tb.Helper()
	if strings.HasSuffix(tb.Name(), "/probe") {
		return probeStores
	}
	select {
	case cfg := <-pgSets:
		tb.Cleanup(func() { pgSets <- cfg }) // runs after the stores close
		pgtest.Reset(tb, cfg)
		return mustOpenPostgres(tb, cfg)
	default:
		return pgtest.MustOpen(tb)
	}
}

// mustCreateSets creates n sets of migrated databases, dropped when tb ends.
func mustCreateSets(tb testing.TB, n int) chan postgres.Config {
	tb.Helper()
	sets := make(chan postgres.Config, n)
	for range n {
		cfg := pgtest.MustTestConfig(tb)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := postgres.Migrate(ctx, cfg)
		cancel()
		if err != nil {
			tb.Fatalf("create test databases: %v", err)
		}
		sets <- cfg
	}
	return sets
}

// TestOnPostgres runs this package's tests that touch storage
// again on PostgreSQL stores, so that the grain's journal, snapshots,
// restarts, fencing and the booking saga's recovery are shown on the
// production store too, not only on SQLite. Tests of the pure gateway, of
// goroutine leaks and of the heap are left out: they do not depend on the
// store.
func TestOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the PostgreSQL rerun of the store tests takes about as long as the SQLite run")
	}
	wired := true
	t.Run("probe", func(t *testing.T) {
		wired = MustOpenStores(t) == probeStores
	})
	if !wired {
		t.Fatal("MustOpenStores does not open PostgreSQL under TestOnPostgres: " +
			"it must start with `if onPostgres(tb) { return postgresStores(tb) }`")
	}
	// As many sets as tests run at once (-parallel defaults to GOMAXPROCS).
	pgSets = mustCreateSets(t, min(runtime.GOMAXPROCS(0), 4))
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"ShowtimeHolds", TestShowtimeHolds},
		{"ShowtimeConcurrentHolds", TestShowtimeConcurrentHolds},
		{"ShowtimeGroupCommit", TestShowtimeGroupCommit},
		{"ShowtimeWriteFailure", TestShowtimeWriteFailure},
		{"ShowtimeFencing", TestShowtimeFencing},
		{"ShowtimeWatchSeats", TestShowtimeWatchSeats},
		{"ShowtimeExpiry", TestShowtimeExpiry},
		{"ShowtimeExpiryAfterRestart", TestShowtimeExpiryAfterRestart},
		{"ShowtimeExpiryTimer", TestShowtimeExpiryTimer},
		{"ShowtimePassivation", TestShowtimePassivation},
		{"ShowtimeRestart", TestShowtimeRestart},
		{"ShowtimeSnapshots", TestShowtimeSnapshots},
		{"JournalTwoActivationsOnOneNode", TestJournalTwoActivationsOnOneNode},
		{"JournalStoreErrorFailsOneShowtime", TestJournalStoreErrorFailsOneShowtime},
		{"JournalFullAnswersBusy", TestJournalFullAnswersBusy},
		{"BookingConfirmed", TestBookingConfirmed},
		{"BookingDeclined", TestBookingDeclined},
		{"BookingHoldRefused", TestBookingHoldRefused},
		{"BookingHoldExpiresDuringPayment", TestBookingHoldExpiresDuringPayment},
		{"BookingCancel", TestBookingCancel},
		{"ShowtimeCancelRefundsEveryone", TestShowtimeCancelRefundsEveryone},
		{"BookingIdempotency", TestBookingIdempotency},
		{"BookingIdempotencyFailures", TestBookingIdempotencyFailures},
		{"BookingGatewayTimeout", TestBookingGatewayTimeout},
		{"BookingRecovery", TestBookingRecovery},
		{"NotificationWebhookRetries", TestNotificationWebhookRetries},
		{"NotificationGivesUp", TestNotificationGivesUp},
		{"NotificationSlowWebhook", TestNotificationSlowWebhook},
		{"NotificationSweepAfterRestart", TestNotificationSweepAfterRestart},
		{"PaymentSlowGatewayDoesNotBlock", TestPaymentSlowGatewayDoesNotBlock},
		{"PaymentManyAtOnce", TestPaymentManyAtOnce},
	} {
		t.Run(tc.name, tc.test)
	}
}
