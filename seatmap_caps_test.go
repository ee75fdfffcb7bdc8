package boxoffice_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// smCaps are small caps for the 10-seat test hall.
var smCaps = boxoffice.HoldCaps{SeatsPerShowtime: 3, HoldsPerUser: 2, Cooldown: 30 * time.Second}

// smCappedMap returns an empty test seat map with caps on.
func smCappedMap(tb testing.TB, caps boxoffice.HoldCaps) *boxoffice.SeatMap {
	tb.Helper()
	m := smNewMap(tb)
	if err := m.SetHoldCaps(caps); err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestSeatMapHoldCaps proves the caps against seat spinning: one owner may
// not hold more than SeatsPerShowtime seats in a showtime, nor hold again
// the seats it released or let lapse within the cool-down; other owners
// and other seats are not affected, and caps that are off change nothing.
func TestSeatMapHoldCaps(t *testing.T) {
	release := func(id string) func(*testing.T, *boxoffice.SeatMap) {
		return func(t *testing.T, m *boxoffice.SeatMap) {
			if _, err := m.Release(smT0, id, "ann"); err != nil {
				t.Fatal(err)
			}
		}
	}
	annHolds := func(then ...func(*testing.T, *boxoffice.SeatMap)) func(*testing.T, *boxoffice.SeatMap) {
		return func(t *testing.T, m *boxoffice.SeatMap) {
			smMustHold(t, m, smT0, "h0", "ann", time.Minute, "A1", "A2")
			for _, f := range then {
				f(t, m)
			}
		}
	}
	tests := []struct {
		name    string
		caps    boxoffice.HoldCaps
		setup   func(*testing.T, *boxoffice.SeatMap)
		at      time.Duration // after smT0
		req     boxoffice.HoldRequest
		code    string
		reason  string
		details map[string]any
	}{
		{name: "UnderSeatCap", setup: annHolds(), req: smReq("h1", "A3")},
		{name: "ErrSeatCap", setup: annHolds(), req: smReq("h1", "A3", "A4"), code: boxoffice.ECONFLICT,
			reason: boxoffice.ReasonSeatCap, details: map[string]any{"limit": 3, "held": 2}},
		{name: "ErrSeatCapOneHold", req: smReq("h1", "A1", "A2", "A3", "A4"), code: boxoffice.ECONFLICT,
			reason: boxoffice.ReasonSeatCap, details: map[string]any{"limit": 3, "held": 0}},
		{name: "SeatCapOtherOwner", setup: annHolds(), req: boxoffice.HoldRequest{HoldID: "h1", Owner: "bob",
			Seats: []string{"A3", "A4", "A5"}, TTL: time.Minute}},
		{name: "SeatCapFreedByRelease", setup: annHolds(release("h0")), req: smReq("h1", "A3", "A4", "A5")},
		{name: "SeatCapFreedByExpiry", setup: annHolds(), at: time.Minute + 30*time.Second, req: smReq("h1", "A3", "A4", "A5")},
		{name: "SeatCapFreedByBooking", setup: annHolds(func(t *testing.T, m *boxoffice.SeatMap) {
			if _, _, err := m.Confirm(smT0, "h0", "ann", "b0"); err != nil {
				t.Fatal(err)
			}
		}), req: smReq("h1", "A3", "A4", "A5")},
		{name: "ErrCooldownAfterRelease", setup: annHolds(release("h0")), at: 10 * time.Second, req: smReq("h1", "A3", "A2"),
			code: boxoffice.ETOOMANYREQUESTS, reason: boxoffice.ReasonCooldown,
			details: map[string]any{"seats": []string{"A2"}, "retry_after_seconds": 20}},
		{name: "ErrCooldownAfterExpiry", setup: annHolds(), at: time.Minute + 5*time.Second, req: smReq("h1", "A1"),
			code: boxoffice.ETOOMANYREQUESTS, reason: boxoffice.ReasonCooldown,
			details: map[string]any{"seats": []string{"A1"}, "retry_after_seconds": 25}},
		{name: "CooldownOver", setup: annHolds(release("h0")), at: 30 * time.Second, req: smReq("h1", "A1", "A2")},
		{name: "CooldownOtherSeats", setup: annHolds(release("h0")), req: smReq("h1", "A3", "A4")},
		{name: "CooldownOtherOwner", setup: annHolds(release("h0")), req: boxoffice.HoldRequest{HoldID: "h1", Owner: "bob",
			Seats: []string{"A1", "A2"}, TTL: time.Minute}},
		{name: "NoCooldownAfterBooking", setup: annHolds(func(t *testing.T, m *boxoffice.SeatMap) {
			smMustBook(t, m, smT0, "h00", "bob", "b0", "B1")
			if _, err := m.Cancel(smT0, "b0"); err != nil {
				t.Fatal(err)
			}
		}), req: smReq("h1", "B1")},
		{name: "CooldownEndsWhenSomeoneElseHolds", setup: annHolds(release("h0"), func(t *testing.T, m *boxoffice.SeatMap) {
			smMustHold(t, m, smT0, "h00", "bob", time.Minute, "A1")
			if _, err := m.Release(smT0, "h00", "bob"); err != nil {
				t.Fatal(err)
			}
		}), req: smReq("h1", "A1")},
		{name: "CapsOff", caps: boxoffice.HoldCaps{}, setup: annHolds(release("h0")), req: smReq("h1", "A1", "A2", "A3", "A4")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caps := smCaps
			if tt.name == "CapsOff" {
				caps = tt.caps
			}
			m := smCappedMap(t, caps)
			if tt.setup != nil {
				tt.setup(t, m)
			}
			before := smSeats(m, smT0.Add(tt.at))
			_, _, err := m.Hold(smT0.Add(tt.at), tt.req)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Hold: %v", err)
				}
				return
			}
			if boxoffice.ErrorCode(err) != tt.code {
				t.Fatalf("error = %v, want code %s", err, tt.code)
			}
			d := boxoffice.ErrorDetails(err)
			if d["reason"] != tt.reason {
				t.Errorf("reason = %v, want %s", d["reason"], tt.reason)
			}
			for k, want := range tt.details {
				if got := d[k]; !smSameDetail(got, want) {
					t.Errorf("details[%s] = %v, want %v", k, got, want)
				}
			}
			if after := smSeats(m, smT0.Add(tt.at)); after != before {
				t.Errorf("seats = %s after a refused hold, were %s", after, before)
			}
		})
	}
}

func smSameDetail(got, want any) bool {
	if w, ok := want.([]string); ok {
		return slices.Equal(smStrings(got), w)
	}
	return got == want
}

// TestSeatMapCooldownRestored proves the cool-down outlives the grain: a
// map rebuilt from the journal, or from a snapshot, refuses the same
// re-hold as the map that saw the release.
func TestSeatMapCooldownRestored(t *testing.T) {
	m := smCappedMap(t, smCaps)
	var journal []boxoffice.SeatEvent
	_, evs, err := m.Hold(smT0, smReq("h0", "A1", "A2"))
	journal = append(journal, evs...)
	if err != nil {
		t.Fatal(err)
	}
	evs, err = m.Release(smT0.Add(time.Second), "h0", "ann")
	journal = append(journal, evs...)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for name, restore := range map[string]func(*boxoffice.SeatMap) error{
		"journal":  func(r *boxoffice.SeatMap) error { return r.Restore(nil, journal) },
		"snapshot": func(r *boxoffice.SeatMap) error { return r.Restore(snap, nil) },
	} {
		r := smCappedMap(t, smCaps)
		if err := restore(r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, _, err := r.Hold(smT0.Add(11*time.Second), smReq("h1", "A2"))
		if boxoffice.ErrorCode(err) != boxoffice.ETOOMANYREQUESTS || boxoffice.ErrorDetails(err)["retry_after_seconds"] != 20 {
			t.Errorf("%s: re-hold during the cool-down: %v %v, want 429 after 20 s", name, err, boxoffice.ErrorDetails(err))
		}
	}
	if err := m.SetHoldCaps(smCaps); err == nil {
		t.Error("SetHoldCaps on a used map succeeded")
	}
}

// TestSeatMapHoldDeltas proves the count of live holds per owner that the
// node's cap across showtimes is kept with: a hold adds one, its release,
// expiry and booking take it away, a restore counts the live holds, and
// without that cap nothing is counted.
func TestSeatMapHoldDeltas(t *testing.T) {
	m := smCappedMap(t, smCaps)
	take := func(want map[string]int) {
		t.Helper()
		if got := m.TakeHoldDeltas(); !maps.Equal(got, want) {
			t.Fatalf("deltas = %v, want %v", got, want)
		}
	}
	smMustHold(t, m, smT0, "h1", "ann", time.Minute, "A1")
	smMustHold(t, m, smT0, "h2", "ann", 2*time.Minute, "A2")
	smMustHold(t, m, smT0, "h3", "bob", time.Minute, "A3")
	take(map[string]int{"ann": 2, "bob": 1})
	take(nil)
	if _, err := m.Release(smT0, "h3", "bob"); err != nil {
		t.Fatal(err)
	}
	m.Expire(smT0.Add(time.Minute))
	take(map[string]int{"ann": -1, "bob": -1})
	if _, _, err := m.Confirm(smT0.Add(time.Minute), "h2", "ann", "b1"); err != nil {
		t.Fatal(err)
	}
	smMustHold(t, m, smT0.Add(time.Minute), "h4", "bob", time.Minute, "B1")
	take(map[string]int{"ann": -1, "bob": 1})

	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	r := smCappedMap(t, smCaps)
	if err := r.Restore(snap, nil); err != nil {
		t.Fatal(err)
	}
	if got := r.TakeHoldDeltas(); !maps.Equal(got, map[string]int{"bob": 1}) {
		t.Errorf("deltas after restore = %v, want bob 1", got)
	}
	off := smNewMap(t)
	smMustHold(t, off, smT0, "h1", "ann", time.Minute, "A1")
	if got := off.TakeHoldDeltas(); got != nil {
		t.Errorf("deltas without the cap = %v, want none", got)
	}
}

// TestCheckOpenHolds proves the rule of the node's cap across showtimes.
func TestCheckOpenHolds(t *testing.T) {
	if err := boxoffice.CheckOpenHolds(3, 4); err != nil {
		t.Errorf("3 of 4: %v", err)
	}
	if err := boxoffice.CheckOpenHolds(100, 0); err != nil {
		t.Errorf("cap off: %v", err)
	}
	err := boxoffice.CheckOpenHolds(4, 4)
	if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT || boxoffice.ErrorDetails(err)["reason"] != boxoffice.ReasonHoldCap {
		t.Errorf("4 of 4: %v, want a conflict for the hold cap", err)
	}
}
