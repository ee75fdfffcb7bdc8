package boxoffice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// smJournalled builds a map with every kind of state (live hold, booking,
// cancelled booking, released and expired holds) and returns its journal.
func smJournalled(t *testing.T) (*boxoffice.SeatMap, []boxoffice.SeatEvent) {
	t.Helper()
	m := smNewMap(t)
	var journal []boxoffice.SeatEvent
	keep := func(evs []boxoffice.SeatEvent, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		journal = append(journal, evs...)
	}
	hold := func(id, owner string, ttl time.Duration, seats ...string) {
		_, evs, err := m.Hold(smT0, boxoffice.HoldRequest{HoldID: id, Owner: owner, Seats: seats, TTL: ttl})
		keep(evs, err)
	}
	confirm := func(id, owner, booking string) {
		_, evs, err := m.Confirm(smT0, id, owner, booking)
		keep(evs, err)
	}
	hold("h1", "ann", 10*time.Minute, "A1", "B1")
	hold("h2", "bob", time.Minute, "A2")
	confirm("h2", "bob", "b2")
	hold("h3", "cat", time.Minute, "A3")
	confirm("h3", "cat", "b3")
	keep(m.Cancel(smT0, "b3"))
	hold("h4", "dan", time.Minute, "A4")
	keep(m.Release(smT0, "h4", "dan"))
	hold("h5", "eve", time.Second, "A5")
	hold("h6", "eve", 5*time.Minute, "B2")
	keep(m.Expire(smT0.Add(time.Second)), nil)
	return m, journal
}

// TestSeatMapSnapshot proves that a snapshot, or the whole journal, restores
// a map that shows and decides exactly like the original.
func TestSeatMapSnapshot(t *testing.T) {
	now := smT0.Add(2 * time.Second)
	same := func(t *testing.T, a, b *boxoffice.SeatMap) {
		t.Helper()
		if va, vb := a.View(now), b.View(now); a.Seq() != b.Seq() || !smSameView(va, vb) {
			t.Fatalf("restored %+v, want %+v", vb, va)
		}
		ha, _ := a.HoldByID(now, "h1", "ann")
		hb, err := b.HoldByID(now, "h1", "ann")
		if err != nil || hb.Owner != "ann" || hb.TotalCents != ha.TotalCents || !hb.ExpiresAt.Equal(ha.ExpiresAt) ||
			!slices.Equal(hb.Seats, ha.Seats) || hb.Currency != ha.Currency || hb.ShowtimeID != ha.ShowtimeID {
			t.Errorf("HoldByID(h1) = %+v %v, want %+v", hb, err, ha)
		}
		da, _ := a.NextDeadline()
		if db, ok := b.NextDeadline(); !ok || !db.Equal(da) {
			t.Errorf("NextDeadline = %v, want %v", db, da)
		}
		for _, c := range []smCmd{
			{op: smOpRelease, holdID: "h5", owner: "eve"},                   // expired: gone
			{op: smOpRelease, holdID: "h4", owner: "dan"},                   // released: not found
			{op: smOpHold, req: smReq("h4", "A6")},                          // ID remembered
			{op: smOpConfirm, holdID: "h2", owner: "bob", booking: "b2"},    // retry
			{op: smOpConfirm, holdID: "h3", owner: "cat", booking: "b3"},    // cancelled
			{op: smOpBookingSeats, booking: "b3"},                           // cancelled
			{op: smOpHold, req: smReq("h7", "A3", "A2")},                    // A2 booked
			{op: smOpConfirm, holdID: "h1", owner: "ann", booking: "b1"},    // live
			{op: smOpExpire, now: smT0.Add(5 * time.Minute)},                // h6
			{op: smOpClose, now: smT0.Add(5 * time.Minute)},                 // closes
			{op: smOpCancel, booking: "b1", now: smT0.Add(6 * time.Minute)}, // frees
		} {
			if c.now.IsZero() {
				c.now = now
			}
			if err := smSameResult(smExec(a, c), smExec(b, c)); err != nil {
				t.Fatalf("%v: %v", c, err)
			}
		}
	}
	t.Run("SnapshotRoundTrip", func(t *testing.T) {
		m, _ := smJournalled(t)
		snap, err := m.Snapshot()
		if err != nil || snap.Seq != m.Seq() || snap.ShowtimeID != "st1" {
			t.Fatalf("Snapshot = %+v, %v", snap, err)
		}
		r := smNewMap(t)
		if err := r.Restore(snap, nil); err != nil {
			t.Fatal(err)
		}
		same(t, m, r)
	})
	t.Run("SnapshotAndLaterEvents", func(t *testing.T) {
		m, journal := smJournalled(t)
		snapAt := 5
		r := smNewMap(t)
		if err := r.Restore(nil, journal[:snapAt]); err != nil {
			t.Fatal(err)
		}
		snap, _ := r.Snapshot()
		r = smNewMap(t)
		if err := r.Restore(snap, journal); err != nil { // the events up to snap.Seq are skipped
			t.Fatal(err)
		}
		same(t, m, r)
	})
	t.Run("JournalReplay", func(t *testing.T) {
		m, journal := smJournalled(t)
		r := smNewMap(t)
		if err := r.Restore(nil, journal); err != nil {
			t.Fatal(err)
		}
		same(t, m, r)
	})
	t.Run("ErrRestoreUsedMap", func(t *testing.T) {
		m, journal := smJournalled(t)
		if err := m.Restore(nil, journal); err == nil {
			t.Fatal("Restore into a used map succeeded")
		}
	})
	t.Run("ErrJournalGap", func(t *testing.T) {
		_, journal := smJournalled(t)
		if err := smNewMap(t).Restore(nil, slices.Delete(journal, 3, 4)); err == nil {
			t.Fatal("Restore of a journal with a gap succeeded")
		}
	})
}

// TestSeatMapSnapshotCorrupt proves that a corrupt snapshot is an error,
// never a panic or a map with a seat taken twice.
func TestSeatMapSnapshotCorrupt(t *testing.T) {
	for name, state := range map[string]string{
		"ErrNotJSON":       `{"seq":`,
		"ErrNullHold":      `{"seq":1,"holds":[null],"owners":["ann"]}`,
		"ErrNullBooking":   `{"seq":1,"bookings":{"b1":null}}`,
		"ErrOwnersMissing": `{"seq":1,"holds":[{"hold_id":"h1","seats":["A1"]}],"owners":[]}`,
		"ErrSeatTwice":     `{"seq":2,"holds":[{"hold_id":"h1","seats":["A1"]},{"hold_id":"h2","seats":["A1"]}],"owners":["a","b"]}`,
		"ErrHoldUnnamed":   `{"seq":1,"holds":[{"hold_id":"","seats":["A1"]}],"owners":["a"]}`,
		"ErrHoldTwice":     `{"seq":2,"holds":[{"hold_id":"h1","seats":[]},{"hold_id":"h1","seats":[]}],"owners":["a","b"]}`,
		"ErrBookedAndHeld": `{"seq":2,"holds":[{"hold_id":"h1","seats":["A1"]}],"owners":["a"],"bookings":{"b1":{"hold_id":"h0","seats":["A1"]}}}`,
		"ErrUnknownSeat":   `{"seq":1,"bookings":{"b1":{"hold_id":"h0","seats":["Q1"]}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := smNewMap(t).Restore(&boxoffice.SeatSnapshot{ShowtimeID: "st1", Seq: 2, State: []byte(state)}, nil)
			if err == nil {
				t.Fatal("Restore succeeded")
			}
		})
	}
}

// TestSeatMapApply proves that Apply refuses events that do not fit the
// state (a corrupt journal) and leaves the version where it was.
func TestSeatMapApply(t *testing.T) {
	held := func(seq uint64, id string, seats ...string) boxoffice.SeatEvent {
		return boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: smT0, HoldID: id, Owner: "ann",
			Seats: seats, ExpiresAt: smT0.Add(time.Minute)}
	}
	base := []boxoffice.SeatEvent{held(1, "h1", "A1"), held(2, "h2", "A2"),
		{Seq: 3, Kind: boxoffice.EventConfirmed, At: smT0, HoldID: "h2", BookingID: "b2", Seats: []string{"A2"}}}
	for _, tt := range []struct {
		name string
		e    boxoffice.SeatEvent
	}{
		{"ErrSeqGap", held(5, "h3", "A3")},
		{"ErrSeqRepeated", held(3, "h3", "A3")},
		{"ErrHeldSeatHeld", held(4, "h3", "A1")},
		{"ErrHeldSeatBooked", held(4, "h3", "A2")},
		{"ErrHeldUnknownSeat", held(4, "h3", "Q1")},
		{"ErrHeldEmptyHoldID", held(4, "", "A3")},
		{"ErrHeldLiveHoldID", held(4, "h1", "A3")},
		{"ErrReleaseUnknownHold", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventReleased, HoldID: "h9"}},
		{"ErrExpireBookedHold", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventExpired, HoldID: "h2"}},
		{"ErrConfirmUnknownHold", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventConfirmed, HoldID: "h9", BookingID: "b9"}},
		{"ErrCancelUnknownBooking", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventCancelled, BookingID: "b9"}},
		{"ErrUnknownKind", boxoffice.SeatEvent{Seq: 4, Kind: "teleported"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := smNewMap(t)
			if err := m.Restore(nil, base); err != nil {
				t.Fatal(err)
			}
			if err := m.Apply(tt.e); err == nil {
				t.Fatalf("Apply(%+v) succeeded", tt.e)
			}
			if m.Seq() != 3 {
				t.Errorf("Seq = %d after a refused event, want 3", m.Seq())
			}
		})
	}
	t.Run("ErrCancelTwice", func(t *testing.T) {
		m := smNewMap(t)
		cancel := boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventCancelled, BookingID: "b2"}
		if err := m.Restore(nil, append(slices.Clone(base), cancel)); err != nil {
			t.Fatal(err)
		}
		cancel.Seq = 5
		if err := m.Apply(cancel); err == nil {
			t.Fatal("second cancel applied")
		}
	})
}
