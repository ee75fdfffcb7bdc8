package boxoffice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

// TestSeatMapExpiry drives holds to their deadlines with a fake clock: the
// View shows a hold free from its deadline on, NextDeadline follows the
// earliest live hold, and Expire ends exactly the holds that are due.
func TestSeatMapExpiry(t *testing.T) {
	clock := clocktest.New(smT0)
	m := smNewMap(t)
	if d, ok := m.NextDeadline(); ok {
		t.Fatalf("NextDeadline of an empty map = %v", d)
	}
	smMustHold(t, m, clock.Now(), "late", "ann", 5*time.Minute, "A1")
	smMustHold(t, m, clock.Now(), "early", "bob", 2*time.Minute, "A2")
	smMustHold(t, m, clock.Now(), "early2", "cat", 2*time.Minute, "A3")
	smMustHold(t, m, clock.Now(), "gone", "dan", time.Minute, "A4")
	if _, err := m.Release(clock.Now(), "gone", "dan"); err != nil {
		t.Fatal(err)
	}
	wantDeadline := func(name string, want time.Time) {
		t.Helper()
		if d, ok := m.NextDeadline(); !ok || !d.Equal(want) {
			t.Fatalf("%s: NextDeadline = %v %v, want %v", name, d, ok, want)
		}
	}
	wantDeadline("ReleasedHoldNotDue", smT0.Add(2*time.Minute))

	t.Run("NotDueBeforeDeadline", func(t *testing.T) {
		clock.Set(smT0.Add(2*time.Minute - time.Nanosecond))
		if evs := m.Expire(clock.Now()); len(evs) != 0 {
			t.Fatalf("Expire = %s, want nothing", smKinds(evs))
		}
		if got := smSeats(m, clock.Now()); got != "HHHFFF FFFF" {
			t.Errorf("seats = %s", got)
		}
	})
	t.Run("FreeInViewAtDeadline", func(t *testing.T) {
		clock.Advance(time.Nanosecond)
		if got := smSeats(m, clock.Now()); got != "HFFFFF FFFF" {
			t.Errorf("seats = %s, want the due holds free", got)
		}
		if st, _ := m.Status("A2"); st != boxoffice.SeatHeld {
			t.Errorf("Status(A2) = %s before Expire, want held", st)
		}
		_, err := m.HoldByID(clock.Now(), "early", "bob")
		smWantErr(t, err, boxoffice.EGONE, "hold early has expired")
	})
	t.Run("ExpireEndsDueHolds", func(t *testing.T) {
		evs := m.Expire(clock.Now())
		if got := smKinds(evs); got != "expired:6 expired:7" {
			t.Fatalf("events = %s", got)
		}
		for i, id := range []string{"early", "early2"} {
			if evs[i].HoldID != id || !evs[i].At.Equal(clock.Now()) {
				t.Errorf("event %d = %+v, want expiry of %s at %v", i, evs[i], id, clock.Now())
			}
		}
		if st, _ := m.Status("A2"); st != boxoffice.SeatFree {
			t.Errorf("Status(A2) = %s after Expire, want free", st)
		}
		wantDeadline("AfterExpire", smT0.Add(5*time.Minute))
		if evs := m.Expire(clock.Now()); len(evs) != 0 {
			t.Errorf("second Expire = %s, want nothing", smKinds(evs))
		}
	})
	t.Run("AnyCommandExpires", func(t *testing.T) {
		clock.Advance(time.Hour)
		evs, err := m.Cancel(clock.Now(), "nope")
		if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND || smKinds(evs) != "expired:8" {
			t.Fatalf("Cancel = %s, %v; want the expiry of late and not found", smKinds(evs), err)
		}
		if d, ok := m.NextDeadline(); ok {
			t.Errorf("NextDeadline = %v with no live hold", d)
		}
	})
}

// TestSeatMapClose proves Close's semantics: live holds end (released),
// due holds expire first, bookings keep their seats until each is
// cancelled, no hold or confirmation is accepted, and closing twice is a
// no-op.
func TestSeatMapClose(t *testing.T) {
	setup := func(t *testing.T) *boxoffice.SeatMap {
		m := smNewMap(t)
		smMustHold(t, m, smT0, "h1", "ann", 10*time.Minute, "A1")
		smMustHold(t, m, smT0, "due", "ann", time.Minute, "A3")
		smMustBook(t, m, smT0, "h2", "bob", "b2", "A2", "B4")
		return m
	}
	t.Run("HoldsEndBookingsStay", func(t *testing.T) {
		m := setup(t)
		now := smT0.Add(time.Minute)
		evs := m.CancelShowtime(now)
		if got := smKinds(evs); got != "expired:5 closed:6" {
			t.Fatalf("events = %s", got)
		}
		if !m.Cancelled() || smSeats(m, now) != "FBFFFF FFFB" {
			t.Fatalf("closed %v, seats %s", m.Cancelled(), smSeats(m, now))
		}
		_, err := m.HoldByID(now, "h1", "ann")
		smWantErr(t, err, boxoffice.ENOTFOUND, "hold h1 not found")
		_, err = m.HoldByID(now, "due", "ann")
		smWantErr(t, err, boxoffice.EGONE, "hold due has expired")
		_, err = m.Release(now, "h1", "ann")
		smWantErr(t, err, boxoffice.ENOTFOUND, "hold h1 not found")
		_, _, err = m.Hold(now, smReq("h3", "A5"))
		smWantErr(t, err, boxoffice.ECONFLICT, "showtime is cancelled")
		_, _, err = m.Confirm(now, "h1", "ann", "b1")
		smWantErr(t, err, boxoffice.ECONFLICT, "showtime is cancelled")
		if _, _, err := m.Confirm(now, "h2", "bob", "b2"); err != nil {
			t.Errorf("retrying a confirmation made before the close: %v", err)
		}
		if d, ok := m.NextDeadline(); ok {
			t.Errorf("NextDeadline = %v after close", d)
		}
		if evs, err := m.Cancel(now, "b2"); err != nil || smKinds(evs) != "cancelled:7" || smSeats(m, now) != "FFFFFF FFFF" {
			t.Errorf("Cancel after close = %s %v, seats %s", smKinds(evs), err, smSeats(m, now))
		}
	})
	t.Run("CloseTwiceNoEvents", func(t *testing.T) {
		m := setup(t)
		m.CancelShowtime(smT0)
		if evs := m.CancelShowtime(smT0.Add(time.Second)); len(evs) != 0 {
			t.Errorf("second Close = %s", smKinds(evs))
		}
	})
	t.Run("ChangesListEverySeat", func(t *testing.T) {
		m := setup(t)
		changes := m.Changes(m.CancelShowtime(smT0))
		if len(changes) != 10 || changes[0] != (boxoffice.SeatChange{ID: "A1", Status: boxoffice.SeatFree}) ||
			changes[1] != (boxoffice.SeatChange{ID: "A2", Status: boxoffice.SeatBooked}) {
			t.Errorf("Changes = %+v, want all 10 seats", changes)
		}
	})
}

// TestSeatMapChanges proves that Changes lists each touched seat once, in
// the order events touched them, with its status now.
func TestSeatMapChanges(t *testing.T) {
	m := smNewMap(t)
	if got := m.Changes(nil); len(got) != 0 {
		t.Errorf("Changes(nil) = %+v", got)
	}
	_, evs, _ := m.Hold(smT0, smReq("h1", "B2", "A1"))
	want := []boxoffice.SeatChange{{ID: "B2", Status: boxoffice.SeatHeld}, {ID: "A1", Status: boxoffice.SeatHeld}}
	if got := m.Changes(evs); !slices.Equal(got, want) {
		t.Errorf("after Hold: %+v, want %+v", got, want)
	}
	var all []boxoffice.SeatEvent
	evs, _ = m.Release(smT0, "h1", "ann")
	all = append(all, evs...)
	_, evs, _ = m.Hold(smT0, smReq("h2", "A1", "A3"))
	all = append(all, evs...)
	_, evs, _ = m.Confirm(smT0, "h2", "ann", "b2")
	all = append(all, evs...)
	want = []boxoffice.SeatChange{{ID: "B2", Status: boxoffice.SeatFree}, {ID: "A1", Status: boxoffice.SeatBooked},
		{ID: "A3", Status: boxoffice.SeatBooked}}
	if got := m.Changes(all); !slices.Equal(got, want) {
		t.Errorf("after Release, Hold, Confirm: %+v, want %+v", got, want)
	}
	evs, _ = m.Cancel(smT0, "b2")
	want = []boxoffice.SeatChange{{ID: "A1", Status: boxoffice.SeatFree}, {ID: "A3", Status: boxoffice.SeatFree}}
	if got := m.Changes(evs); !slices.Equal(got, want) {
		t.Errorf("after Cancel: %+v, want %+v", got, want)
	}
	smMustHold(t, m, smT0, "h3", "ann", time.Second, "B4")
	evs = m.Expire(smT0.Add(time.Second))
	want = []boxoffice.SeatChange{{ID: "B4", Status: boxoffice.SeatFree}}
	if got := m.Changes(evs); !slices.Equal(got, want) {
		t.Errorf("after Expire: %+v, want %+v", got, want)
	}
}
