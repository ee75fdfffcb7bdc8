package actors_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

func TestShowtimeExpiry(t *testing.T) {
	parallel(t)
	clock := clocktest.New(time.Now())
	e := MustOpenShowtimes(t, ShowtimeOptions{Clock: clock, HoldTTL: time.Minute})
	h := e.Holds()
	alice := boxoffice.Caller{UserID: "alice"}

	t.Run("a hold confirmed before its deadline is booked", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(59 * time.Second)
		if _, err := h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID()); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("past its deadline a hold shows free, is gone, and cannot be confirmed", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"B1", "B2"})
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		st, _ := seatStatuses(t, e)
		if st["B1"] != boxoffice.SeatFree || st["B2"] != boxoffice.SeatFree {
			t.Fatalf("expired hold shows B1=%s B2=%s", st["B1"], st["B2"])
		}
		_, err = h.HoldByID(ctx, hold.ID, alice)
		mustCode(t, err, boxoffice.EGONE)
		_, err = h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID())
		mustCode(t, err, boxoffice.EGONE)
		mustCode(t, h.ReleaseHold(ctx, hold.ID, alice), boxoffice.EGONE)
		if _, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"B2"}); err != nil {
			t.Fatalf("hold an expired hold's seat: %v", err)
		}
		var expired bool
		for _, ev := range mustLoadJournal(t, e.Stores.Seats, e.ShowtimeID) {
			expired = expired || (ev.Kind == boxoffice.EventExpired && ev.HoldID == hold.ID)
		}
		if !expired {
			t.Fatal("no expired event in the journal")
		}
		mustAgree(t, e)
	})
}

func TestShowtimeExpiryTimer(t *testing.T) {
	parallel(t)
	clock := clocktest.New(time.Now().Truncate(time.Millisecond))
	e := MustOpenShowtimes(t, ShowtimeOptions{Clock: clock, HoldTTL: 300 * time.Millisecond})
	ctx := testCtx(t)
	hold, err := e.Holds().Hold(ctx, e.ShowtimeID, "alice", []string{"C3"})
	if err != nil {
		t.Fatal(err)
	}
	_, version := seatStatuses(t, e)
	watched := watchParked(t, ctx, e, version)
	// The grain's timer may fire as often as it likes: until the clock
	// reaches the deadline, the hold stays.
	if expiredAt(t, e, hold.ID) != nil {
		t.Fatal("the hold expired before its deadline")
	}
	clock.Set(hold.ExpiresAt)
	// Nothing calls the grain from here on: its own timer must expire the hold.
	var at *time.Time
	testwait.Until(t, 5*time.Second, "an expired event in the journal", func() bool {
		at = expiredAt(t, e, hold.ID)
		return at != nil
	})
	if !at.Equal(hold.ExpiresAt) {
		t.Fatalf("expired at %v, the deadline is %v", at, hold.ExpiresAt)
	}
	r := <-watched
	if r.err != nil || r.c.Version <= version || !slices.Contains(r.c.Changes, boxoffice.SeatChange{ID: "C3", Status: boxoffice.SeatFree}) {
		t.Fatalf("watcher got %+v, %v; want C3 free", r.c, r.err)
	}
	st, _ := seatStatuses(t, e)
	if st["C3"] != boxoffice.SeatFree {
		t.Fatalf("C3 is %s", st["C3"])
	}
	mustAgree(t, e)
}

// expiredAt returns when the journal says the hold expired, nil if it has
// not.
func expiredAt(tb testing.TB, e *ShowtimeEnv, holdID string) *time.Time {
	tb.Helper()
	for _, ev := range mustLoadJournal(tb, e.Stores.Seats, e.ShowtimeID) {
		if ev.Kind == boxoffice.EventExpired && ev.HoldID == holdID {
			return &ev.At
		}
	}
	return nil
}

// activation returns whether the showtime has an activation on e's node.
func activation(e *ShowtimeEnv, id string) bool {
	_, ok := e.Node.Cluster().PidCache.Get(id, actors.KindShowtime)
	return ok
}

func TestShowtimePassivation(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{IdleTimeout: 200 * time.Millisecond, Seats: spy.wrap})
	h := e.Holds()

	t.Run("an idle grain stops and the next call reloads its state", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"D4"})
		if err != nil {
			t.Fatal(err)
		}
		loads := spy.loads.Load()
		if n, _ := e.Engine.Grains(); n != 1 {
			t.Fatalf("%d showtime grains counted live, want 1", n)
		}
		testwait.Until(t, 3*time.Second, "passivation", func() bool { return !activation(e, e.ShowtimeID) })
		testwait.Until(t, 3*time.Second, "grain count after passivation", func() bool { n, _ := e.Engine.Grains(); return n == 0 })
		got, err := h.HoldByID(ctx, hold.ID, boxoffice.Caller{UserID: "alice"})
		if err != nil || !slices.Equal(got.Seats, hold.Seats) {
			t.Fatalf("hold after passivation: %+v %v", got, err)
		}
		if spy.loads.Load() != loads+1 {
			t.Fatalf("%d loads after passivation, want 1", spy.loads.Load()-loads)
		}
		_, err = h.Hold(ctx, e.ShowtimeID, "bob", []string{"D4"})
		mustCode(t, err, boxoffice.ECONFLICT)
		mustAgree(t, e)
	})

	t.Run("a grain with a parked watcher passivates once the watcher is answered", func(t *testing.T) {
		ctx := testCtx(t)
		_, version := seatStatuses(t, e)
		wctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond) // parks for 500ms
		defer cancel()
		watched := watchParked(t, wctx, e, version)
		// A grain that passivated with the watcher parked would answer it
		// unavailable; nothing new and no error is the end of its wait.
		r := <-watched
		if r.err != nil || r.c.Version != version || len(r.c.Changes) != 0 {
			t.Fatalf("watch = %+v, %v", r.c, r.err)
		}
		testwait.Until(t, 3*time.Second, "passivation after the watcher left", func() bool { return !activation(e, e.ShowtimeID) })
	})
}

func TestShowtimeRestart(t *testing.T) {
	parallel(t)
	e := MustOpenShowtimes(t, ShowtimeOptions{})
	ctx := testCtx(t)
	h := e.Holds()
	held, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1", "A2"})
	if err != nil {
		t.Fatal(err)
	}
	booked, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"B1"})
	if err != nil {
		t.Fatal(err)
	}
	bookingID := boxoffice.NewID()
	if _, err := h.Confirm(ctx, booked.ID, "bob", bookingID); err != nil {
		t.Fatal(err)
	}
	released, err := h.Hold(ctx, e.ShowtimeID, "carol", []string{"C1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ReleaseHold(ctx, released.ID, boxoffice.Caller{UserID: "carol"}); err != nil {
		t.Fatal(err)
	}
	_, version := seatStatuses(t, e)

	e = e.Restart(t)
	h = e.Holds()
	st, v := seatStatuses(t, e)
	if v != version || st["A1"] != boxoffice.SeatHeld || st["B1"] != boxoffice.SeatBooked || st["C1"] != boxoffice.SeatFree {
		t.Fatalf("after restart v%d (was %d) A1=%s B1=%s C1=%s", v, version, st["A1"], st["B1"], st["C1"])
	}
	got, err := h.HoldByID(ctx, held.ID, boxoffice.Caller{UserID: "alice"})
	if err != nil || !got.ExpiresAt.Equal(held.ExpiresAt) || got.TotalCents != held.TotalCents {
		t.Fatalf("hold after restart = %+v, %v; was %+v", got, err, held)
	}
	seats, confirmed, found, err := h.BookingSeats(ctx, e.ShowtimeID, bookingID)
	if err != nil || !found || !confirmed || !slices.Equal(seats, []string{"B1"}) {
		t.Fatalf("booking after restart: %v %v %v %v", seats, confirmed, found, err)
	}
	if _, err := h.Confirm(ctx, booked.ID, "bob", bookingID); err != nil {
		t.Fatalf("confirm again after restart: %v", err)
	}
	if _, err := h.Confirm(ctx, held.ID, "alice", boxoffice.NewID()); err != nil {
		t.Fatalf("confirm a hold from before the restart: %v", err)
	}
	mustCode(t, h.ReleaseHold(ctx, released.ID, boxoffice.Caller{UserID: "carol"}), boxoffice.ENOTFOUND)
	mustAgree(t, e)
}

func TestShowtimeSnapshots(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap})
	ctx := testCtx(t)
	h := e.Holds()
	// State that snapshots must carry: live holds, bookings, a cancellation.
	var bookings, holds []string
	for i := range 6 {
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", seatIDs(400+i*2, 2))
		if err != nil {
			t.Fatal(err)
		}
		holds = append(holds, hold.ID)
		if i%2 == 0 {
			id := boxoffice.NewID()
			if _, err := h.Confirm(ctx, hold.ID, "alice", id); err != nil {
				t.Fatal(err)
			}
			bookings = append(bookings, id)
		}
	}
	if err := h.CancelSeats(ctx, e.ShowtimeID, bookings[0]); err != nil {
		t.Fatal(err)
	}
	churn(t, e, 16, 36) // 16*36*2 = 1152 events
	tail, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"J1"})
	if err != nil {
		t.Fatal(err)
	}
	holds = append(holds, tail.ID)

	// The journal committer writes snapshots after their events, in a
	// write of their own: give the last one a moment.
	testwait.Until(t, 5*time.Second, "two snapshots stored", func() bool { _, snaps := spy.stored(e.ShowtimeID); return len(snaps) >= 2 })
	journal, snaps := spy.stored(e.ShowtimeID)
	if len(snaps) < 2 {
		t.Fatalf("%d snapshots for %d events, want one per 500", len(snaps), len(journal))
	}
	// A snapshot goes with the first batch that ends 500 or more events
	// after the last one.
	batchMax, last := uint64(slices.Max(spy.batchSizes())), uint64(0)
	for i, s := range snaps {
		if s.Seq < last+500 || s.Seq >= last+500+batchMax {
			t.Errorf("snapshot %d at seq %d, the one before at %d (batches up to %d)", i, s.Seq, last, batchMax)
		}
		last = s.Seq
	}
	snap, evs, err := e.Stores.Seats.LoadSeats(ctx, e.ShowtimeID)
	if err != nil || snap == nil || snap.Seq != last {
		t.Fatalf("store loads snapshot %+v, %v; want seq %d", snap, err, last)
	}
	if len(evs) == 0 || evs[0].Seq != snap.Seq+1 || int(evs[len(evs)-1].Seq) != len(journal) {
		t.Fatalf("tail after snapshot %d: %d events", snap.Seq, len(evs))
	}
	fromSnap := mustReplay(t, e.Stores, e.ShowtimeID, snap, evs)
	full := mustReplay(t, e.Stores, e.ShowtimeID, nil, journal)
	a, _ := fromSnap.Snapshot()
	b, _ := full.Snapshot()
	if string(a.State) != string(b.State) {
		t.Fatalf("snapshot + tail differs from the full journal:\n%s\n%s", a.State, b.State)
	}
	// Both of those come from the store: what the restart loads must also
	// be what the live grain holds.
	mustMatchGrain(t, e, fromSnap, holds, bookings)

	e = e.Restart(t) // loads the snapshot and the tail
	mustAgree(t, e)
	if _, err := e.Holds().HoldByID(ctx, tail.ID, boxoffice.Caller{UserID: "bob"}); err != nil {
		t.Fatalf("hold after the snapshot: %v", err)
	}
	for i, id := range bookings {
		_, confirmed, found, err := e.Holds().BookingSeats(ctx, e.ShowtimeID, id)
		if err != nil || !found || confirmed != (i != 0) {
			t.Fatalf("booking %d after restart: confirmed=%v found=%v %v", i, confirmed, found, err)
		}
	}
}

// churn has clients hold and release a seat of their own, rounds times.
func churn(tb testing.TB, e *ShowtimeEnv, clients, rounds int) {
	tb.Helper()
	ctx := testCtx(tb)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			user := fmt.Sprintf("churn-%d", c)
			for r := range rounds {
				hold, err := e.Holds().Hold(ctx, e.ShowtimeID, user, seatIDs(c*10+r%10, 1))
				if err == nil {
					err = e.Holds().ReleaseHold(ctx, hold.ID, boxoffice.Caller{UserID: user})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

func TestShowtimeExpiryAfterRestart(t *testing.T) {
	parallel(t)
	// The clock stands still while the node restarts, however long that
	// takes, so the hold is surely loaded live and expires only when the
	// test moves the clock.
	clock := clocktest.New(time.Now().Truncate(time.Millisecond))
	e := MustOpenShowtimes(t, ShowtimeOptions{Clock: clock, HoldTTL: 300 * time.Millisecond})
	ctx := testCtx(t)
	hold, err := e.Holds().Hold(ctx, e.ShowtimeID, "alice", []string{"C4"})
	if err != nil {
		t.Fatal(err)
	}
	e = e.Restart(t)
	st, version := seatStatuses(t, e) // activates: the hold comes from the store
	if st["C4"] != boxoffice.SeatHeld {
		t.Fatalf("C4 is %s after the restart, want held", st["C4"])
	}
	wctx, cancel := context.WithTimeout(ctx, 6*time.Second) // parks up to 5s
	defer cancel()
	watched := watchParked(t, wctx, e, version)
	clock.Set(hold.ExpiresAt)
	// Parked, the watcher hears of the expiry from the grain's own timer;
	// without it, the wait would end with nothing new.
	r := <-watched
	if r.err != nil || !slices.Contains(r.c.Changes, boxoffice.SeatChange{ID: "C4", Status: boxoffice.SeatFree}) {
		t.Fatalf("watcher got %+v, %v; want C4 free when the loaded hold expires", r.c, r.err)
	}
	if at := expiredAt(t, e, hold.ID); at == nil {
		t.Fatal("no expired event in the journal")
	} else if !at.Equal(hold.ExpiresAt) {
		t.Fatalf("expired at %v, the deadline is %v", at, hold.ExpiresAt)
	}
}
