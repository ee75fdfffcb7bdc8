package actors_test

import (
	"context"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestShowtimeFencingOnPostgres proves the journal fence (README) on the
// production store: two live activations of one showtime, on two
// single-node clusters, each with its own pools on the same PostgreSQL
// databases (as two nodes after a partition), race holds. PostgreSQL's
// primary key on (showtime_id, seq) lets one write win; the other
// activation stops, its callers get EUNAVAILABLE, and their retries load
// the winner's journal and succeed. No seat is ever in two holds: every
// granted hold is in the journal, nothing else is, and the journal replays
// into a fresh boxoffice.SeatMap (which refuses a seat taken twice).
func TestShowtimeFencingOnPostgres(t *testing.T) {
	skipTwoNodesUnderRace(t)
	parallel(t)
	cfg := pgtest.MustTestConfig(t)
	stores1, stores2 := mustOpenPostgres(t, cfg), mustOpenPostgres(t, cfg)
	spy1, spy2 := newSeatSpy(nil), newSeatSpy(nil)
	e1 := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy1.wrap, Stores: stores1})
	e2 := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy2.wrap, Stores: stores2, ShowtimeID: e1.ShowtimeID})
	h1, h2 := e1.Holds(), e2.Holds()

	t.Run("the stale writer stops, its caller gets unavailable and the retry succeeds", func(t *testing.T) {
		ctx := testCtx(t)
		seatStatuses(t, e1) // both activations load the empty journal
		seatStatuses(t, e2)
		if _, err := h1.Hold(ctx, e1.ShowtimeID, "alice", []string{"A1"}); err != nil {
			t.Fatal(err)
		}
		_, err := h2.Hold(ctx, e1.ShowtimeID, "bob", []string{"A1", "A2"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		testwait.Until(t, 5*time.Second, "the fenced activation to stop", func() bool { return !activation(e2, e2.ShowtimeID) })
		// The retry loads the winner's journal: A1 is taken.
		_, err = h2.Hold(ctx, e1.ShowtimeID, "bob", []string{"A1", "A2"})
		mustCode(t, err, boxoffice.ECONFLICT)
		if _, err := h2.Hold(ctx, e1.ShowtimeID, "bob", []string{"A2"}); err != nil {
			t.Fatalf("retry on the second node: %v", err)
		}
		// Now the first node is the stale one.
		_, err = h1.Hold(ctx, e1.ShowtimeID, "carol", []string{"A2"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		_, err = h1.Hold(ctx, e1.ShowtimeID, "carol", []string{"A2"})
		mustCode(t, err, boxoffice.ECONFLICT)
	})

	t.Run("writers racing on two nodes never put a seat in two holds", func(t *testing.T) {
		fencingRace(t, e1, e2, spy1, spy2)
		// What the spies saw stored is the journal, event for event: a
		// fenced write left nothing behind.
		journal := mustLoadJournal(t, stores1.Seats, e1.ShowtimeID)
		ev1, _ := spy1.stored(e1.ShowtimeID)
		ev2, _ := spy2.stored(e1.ShowtimeID)
		if len(ev1)+len(ev2) != len(journal) {
			t.Fatalf("node 1 stored %d events, node 2 %d, the journal has %d", len(ev1), len(ev2), len(journal))
		}
		bySeq := map[uint64]boxoffice.SeatEvent{}
		for _, e := range append(ev1, ev2...) {
			if _, dup := bySeq[e.Seq]; dup {
				t.Fatalf("seq %d stored by both nodes", e.Seq)
			}
			bySeq[e.Seq] = e
		}
		for _, e := range journal {
			if s, ok := bySeq[e.Seq]; !ok || s.HoldID != e.HoldID || s.Kind != e.Kind {
				t.Fatalf("journal seq %d = %+v, stored %+v", e.Seq, e, s)
			}
		}
	})
}

// mustOpenPostgres opens stores on cfg's databases, closed when the test
// ends: each call is a node's own pools.
func mustOpenPostgres(tb testing.TB, cfg postgres.Config) *boxoffice.Stores {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open postgres stores: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
