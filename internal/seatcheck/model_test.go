package seatcheck_test

import (
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/seatcheck"
)

var t0 = time.Date(2031, 1, 1, 20, 0, 0, 0, time.UTC)

func showtime() (*boxoffice.Showtime, *boxoffice.Hall) {
	return &boxoffice.Showtime{ID: "st", StartsAt: t0.Add(time.Hour), Currency: "EUR", Prices: map[string]int64{"std": 700}},
		&boxoffice.Hall{Rows: []boxoffice.Row{{Row: "A", Seats: 4, Category: "std"}}}
}

func held(seq uint64, id string, at time.Time, seats ...string) boxoffice.SeatEvent {
	return boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: at, HoldID: id, Owner: "ann", Seats: seats, ExpiresAt: at.Add(time.Minute)}
}

// TestModelRefuses proves that the model refuses each kind of rule-breaking
// event, after a journal of: h1 holds A1, h2 holds A2 and becomes b2.
func TestModelRefuses(t *testing.T) {
	base := []boxoffice.SeatEvent{held(1, "h1", t0, "A1"), held(2, "h2", t0, "A2"),
		{Seq: 3, Kind: boxoffice.EventConfirmed, At: t0, HoldID: "h2", BookingID: "b2", Seats: []string{"A2"}}}
	for _, tt := range []struct {
		name, want string
		e          boxoffice.SeatEvent
	}{
		{"SeqGap", "seq gap", held(5, "h3", t0, "A3")},
		{"SeatHeldTwice", "already in hold h1", held(4, "h3", t0, "A1")},
		{"SeatSoldTwice", "already in booking b2", held(4, "h3", t0, "A2")},
		{"SeatTwiceInHold", "seat A3 twice", held(4, "h3", t0, "A3", "A3")},
		{"UnknownSeat", "unknown seat", held(4, "h3", t0, "A9")},
		{"HeldAtStart", "not before the start", held(4, "h3", t0.Add(time.Hour), "A3")},
		{"HoldIDReused", "reused", held(4, "h2", t0, "A3")},
		{"ExpiredEarly", "before its deadline", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventExpired,
			At: t0.Add(time.Minute - 1), HoldID: "h1", Seats: []string{"A1"}}},
		{"ReleasedLate", "at or after its deadline", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventReleased,
			At: t0.Add(time.Minute), HoldID: "h1", Seats: []string{"A1"}}},
		{"ConfirmedAtExpiry", "at or after the deadline", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventConfirmed,
			At: t0.Add(time.Minute), HoldID: "h1", BookingID: "b1", Seats: []string{"A1"}}},
		{"ConfirmedIntoUsedBooking", "booking ID empty or used", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventConfirmed,
			At: t0, HoldID: "h1", BookingID: "b2", Seats: []string{"A1"}}},
		{"ConfirmedEndedHold", "not live", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventConfirmed,
			At: t0, HoldID: "h2", BookingID: "b9", Seats: []string{"A2"}}},
		{"WrongSeats", "seats differ", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventReleased,
			At: t0, HoldID: "h1", Seats: []string{"A3"}}},
		{"CancelUnknown", "not confirmed", boxoffice.SeatEvent{Seq: 4, Kind: boxoffice.EventCancelled, At: t0, BookingID: "b9"}},
		{"UnknownKind", "unknown kind", boxoffice.SeatEvent{Seq: 4, Kind: "moved", At: t0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := seatcheck.New(showtime())
			if err := m.ApplyAll(base); err != nil {
				t.Fatal(err)
			}
			err := m.Apply(tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Apply = %v, want an error with %q", err, tt.want)
			}
			if m.Seq() != 3 {
				t.Errorf("Seq = %d after a refused event", m.Seq())
			}
		})
	}
}

// TestModelCheck proves that Check accepts a seat map that applied the
// same journal and reports one that did not.
func TestModelCheck(t *testing.T) {
	st, hall := showtime()
	sm, m := boxoffice.NewSeatMap(st, hall), seatcheck.New(st, hall)
	_, evs, err := sm.Hold(t0, boxoffice.HoldRequest{HoldID: "h1", Owner: "ann", Seats: []string{"A2", "A1"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ApplyAll(evs); err != nil {
		t.Fatal(err)
	}
	if err := m.CheckAll(sm, t0); err != nil {
		t.Fatalf("Check of a matching map: %v", err)
	}
	if err := m.Check(sm, t0.Add(time.Minute)); err != nil {
		t.Fatalf("Check past the deadline (shown free, still in state): %v", err)
	}
	if err := m.Apply(held(2, "h2", t0, "A3")); err != nil {
		t.Fatal(err)
	}
	err = m.Check(sm, t0)
	for _, want := range []string{"Seq = 1, want 2", "View seat A3 is free, want held", "HoldByID(h2, owner)",
		"2 seats held and 0 booked, but the live holds have 3"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check of a map behind the model = %v, want %q", err, want)
		}
	}
}

// TestModelRefusesOverCaps proves that with hold caps the model refuses a
// hold over the owner's seats per showtime, and the owner's hold of seats
// it released during the cool-down, and accepts both once allowed.
func TestModelRefusesOverCaps(t *testing.T) {
	m := seatcheck.New(showtime())
	m.SetCaps(boxoffice.HoldCaps{SeatsPerShowtime: 2, Cooldown: 30 * time.Second})
	if err := m.ApplyAll([]boxoffice.SeatEvent{held(1, "h1", t0, "A1", "A2"),
		{Seq: 2, Kind: boxoffice.EventReleased, At: t0.Add(time.Second), HoldID: "h1", Seats: []string{"A1", "A2"}},
		held(3, "h2", t0.Add(time.Second), "A3")}); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(held(4, "h3", t0.Add(time.Second), "A4", "A1")); err == nil || !strings.Contains(err.Error(), "over the cap") {
		t.Errorf("over the seat cap: %v", err)
	}
	if err := m.Apply(held(4, "h3", t0.Add(30*time.Second), "A1")); err == nil || !strings.Contains(err.Error(), "cool-down") {
		t.Errorf("during the cool-down: %v", err)
	}
	if err := m.Apply(held(4, "h3", t0.Add(31*time.Second), "A1")); err != nil {
		t.Errorf("after the cool-down: %v", err)
	}
}
