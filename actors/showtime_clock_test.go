package actors_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestShowtimeClockJumps proves that a node's clock stepping forward past a
// hold's deadline, or back over it, neither keeps an expired hold alive
// nor brings one back: the grain runs on an offset clock whose base stands
// still, and each subtest jumps it the way an NTP step or a resumed
// virtual machine would.
func TestShowtimeClockJumps(t *testing.T) {
	parallel(t)
	clock := boxoffice.NewOffsetClock(clocktest.New(time.Now().Truncate(time.Millisecond)))
	e := MustOpenShowtimes(t, ShowtimeOptions{Clock: clock, HoldTTL: 10 * time.Minute})
	h := e.Holds()
	alice, bob := boxoffice.Caller{UserID: "alice"}, boxoffice.Caller{UserID: "bob"}

	t.Run("a forward jump past the deadline expires the hold without waiting out its TTL", func(t *testing.T) {
		t.Cleanup(func() { clock.SetOffset(0) })
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1"})
		if err != nil {
			t.Fatal(err)
		}
		clock.SetOffset(11 * time.Minute)
		// No command reaches the grain: its own timer must notice the
		// jump, although the TTL it was armed with is 10 real minutes away.
		took := testwait.Until(t, 5*time.Second, "the expiry of the hold in the journal", func() bool {
			return journalHasExpired(t, e, hold.ID)
		})
		t.Logf("expired %v after the jump", took.Round(time.Millisecond))
		_, err = h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID())
		mustCode(t, err, boxoffice.EGONE)
		if seats, _ := seatStatuses(t, e); seats["A1"] != boxoffice.SeatFree {
			t.Fatalf("A1 is %s after its hold expired", seats["A1"])
		}
		if _, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"A1"}); err != nil {
			t.Fatalf("hold the freed seat: %v", err)
		}
		mustAgree(t, e)
	})

	t.Run("a backward jump does not bring back a hold reported expired", func(t *testing.T) {
		t.Cleanup(func() { clock.SetOffset(0) })
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"B1"})
		if err != nil {
			t.Fatal(err)
		}
		clock.SetOffset(11 * time.Minute)
		_, err = h.HoldByID(ctx, hold.ID, alice)
		mustCode(t, err, boxoffice.EGONE)
		// The reply said "expired": the expiry is in the journal already,
		// not only a reading of the clock that a step back would undo.
		if !journalHasExpired(t, e, hold.ID) {
			t.Error("the grain answered that the hold expired before the expiry was durable")
		}
		clock.SetOffset(0)
		_, err = h.HoldByID(ctx, hold.ID, alice)
		mustCode(t, err, boxoffice.EGONE)
		_, err = h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID())
		mustCode(t, err, boxoffice.EGONE)
		if seats, _ := seatStatuses(t, e); seats["B1"] != boxoffice.SeatFree {
			t.Fatalf("B1 is %s after its hold expired and the clock went back", seats["B1"])
		}
		mustAgree(t, e)
	})

	t.Run("a backward jump after a seat changed hands does not sell it twice", func(t *testing.T) {
		t.Cleanup(func() { clock.SetOffset(0) })
		ctx := testCtx(t)
		old, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"C1"})
		if err != nil {
			t.Fatal(err)
		}
		clock.SetOffset(11 * time.Minute)
		taken, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"C1"})
		if err != nil {
			t.Fatalf("hold a seat whose hold is past its deadline: %v", err)
		}
		clock.SetOffset(-time.Hour)
		_, err = h.Confirm(ctx, old.ID, "alice", boxoffice.NewID())
		mustCode(t, err, boxoffice.EGONE)
		_, err = h.Hold(ctx, e.ShowtimeID, "alice", []string{"C1"})
		mustCode(t, err, boxoffice.ECONFLICT)
		if _, err := h.Confirm(ctx, taken.ID, "bob", boxoffice.NewID()); err != nil {
			t.Fatalf("confirm the live hold after the step back: %v", err)
		}
		if seats, _ := seatStatuses(t, e); seats["C1"] != boxoffice.SeatBooked {
			t.Fatalf("C1 is %s, want booked by bob", seats["C1"])
		}
		_, err = h.HoldByID(ctx, taken.ID, bob)
		mustCode(t, err, boxoffice.ENOTFOUND) // booked, no longer a hold
		mustAgree(t, e)
	})
}

// journalHasExpired reports whether the store holds the expiry of a hold.
func journalHasExpired(tb testing.TB, e *ShowtimeEnv, holdID string) bool {
	tb.Helper()
	for _, ev := range mustLoadJournal(tb, e.Stores.Seats, e.ShowtimeID) {
		if ev.Kind == boxoffice.EventExpired && ev.HoldID == holdID {
			return true
		}
	}
	return false
}
