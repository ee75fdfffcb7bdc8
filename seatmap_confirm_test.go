package boxoffice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// TestSeatMapConfirm proves each outcome of Confirm. Every case starts with
// ann's hold h1 on A1+B1 (10 minutes), ann's booking b2 of A2 (hold h2) and
// ann's released hold h3; a case may prepare more, then confirms at its
// time.
func TestSeatMapConfirm(t *testing.T) {
	tests := []struct {
		name           string
		setup          func(*testing.T, *boxoffice.SeatMap)
		at             time.Duration
		hold, owner    string
		booking        string
		code, message  string
		kinds          string // events returned
		seats          string // the View afterwards
		wantTotalCents int64
	}{
		{name: "Confirmed", hold: "h1", owner: "ann", booking: "b1", kinds: "confirmed:6", seats: "BBFFFF BFFF", wantTotalCents: 2500},
		{name: "ConfirmedJustBeforeExpiry", at: 10*time.Minute - time.Nanosecond, hold: "h1", owner: "ann", booking: "b1",
			kinds: "confirmed:6", seats: "BBFFFF BFFF", wantTotalCents: 2500},
		{name: "ConfirmRetryIdempotent", hold: "h2", owner: "ann", booking: "b2", seats: "HBFFFF HFFF", wantTotalCents: 1000},
		{name: "ConfirmRetryAfterExpiryIdempotent", at: time.Hour, hold: "h2", owner: "ann", booking: "b2",
			kinds: "expired:6", seats: "FBFFFF FFFF", wantTotalCents: 1000},
		{name: "ConfirmAtExpiryGone", at: 10 * time.Minute, hold: "h1", owner: "ann", booking: "b1",
			code: boxoffice.EGONE, message: "hold h1 has expired", kinds: "expired:6", seats: "FBFFFF FFFF"},
		{name: "ConfirmAfterExpiryGone", at: time.Hour, hold: "h1", owner: "ann", booking: "b1",
			code: boxoffice.EGONE, message: "hold h1 has expired", kinds: "expired:6", seats: "FBFFFF FFFF"},
		{name: "ErrNotOwner", hold: "h1", owner: "bob", booking: "b1", code: boxoffice.EFORBIDDEN,
			message: "hold h1 belongs to someone else", seats: "HBFFFF HFFF"},
		{name: "ErrNoOwner", hold: "h1", owner: "", booking: "b1", code: boxoffice.EFORBIDDEN,
			message: "hold h1 belongs to someone else", seats: "HBFFFF HFFF"},
		{name: "ErrRetryNotOwner", hold: "h2", owner: "bob", booking: "b2", code: boxoffice.EFORBIDDEN,
			message: "hold h2 belongs to someone else", seats: "HBFFFF HFFF"},
		{name: "ErrBookedAsOtherBooking", hold: "h2", owner: "ann", booking: "b9", code: boxoffice.ECONFLICT,
			message: "hold h2 is already booked", seats: "HBFFFF HFFF"},
		{name: "ErrBookingIDUsed", hold: "h1", owner: "ann", booking: "b2", code: boxoffice.EINVALID,
			message: `booking ID "b2" is empty or already used`, seats: "HBFFFF HFFF"},
		{name: "ErrNoBookingID", hold: "h1", owner: "ann", booking: "", code: boxoffice.EINVALID,
			message: `booking ID "" is empty or already used`, seats: "HBFFFF HFFF"},
		{name: "ErrUnknownHold", hold: "nope", owner: "ann", booking: "b1", code: boxoffice.ENOTFOUND,
			message: "hold nope not found", seats: "HBFFFF HFFF"},
		{name: "ErrReleased", hold: "h3", owner: "ann", booking: "b1", code: boxoffice.ENOTFOUND,
			message: "hold h3 not found", seats: "HBFFFF HFFF"},
		{name: "ErrRetryCancelled", setup: func(t *testing.T, m *boxoffice.SeatMap) { m.Cancel(smT0, "b2") },
			hold: "h2", owner: "ann", booking: "b2", code: boxoffice.ECONFLICT, message: "booking b2 was cancelled", seats: "HFFFFF HFFF"},
		{name: "ErrShowtimeStarted", setup: func(t *testing.T, m *boxoffice.SeatMap) {
			smMustHold(t, m, smT0, "h4", "ann", 3*time.Hour, "A6")
		}, at: smShowtimeStart, hold: "h4", owner: "ann", booking: "b4", code: boxoffice.ECONFLICT,
			message: "showtime has started", kinds: "expired:7", seats: "FBFFFH FFFF"},
		{name: "ErrShowtimeClosed", setup: func(t *testing.T, m *boxoffice.SeatMap) { m.CancelShowtime(smT0) },
			hold: "h1", owner: "ann", booking: "b1", code: boxoffice.ECONFLICT, message: "showtime is cancelled", seats: "FBFFFF FFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smNewMap(t)
			smMustHold(t, m, smT0, "h1", "ann", 10*time.Minute, "A1", "B1")
			smMustBook(t, m, smT0, "h2", "ann", "b2", "A2")
			smMustHold(t, m, smT0, "h3", "ann", 10*time.Minute, "A3")
			if _, err := m.Release(smT0, "h3", "ann"); err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, m)
			}
			now := smT0.Add(tt.at)
			h, evs, err := m.Confirm(now, tt.hold, tt.owner, tt.booking)
			if tt.code != "" {
				smWantErr(t, err, tt.code, tt.message)
				if h != nil {
					t.Errorf("refused confirmation returned %+v", h)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if h.ID != tt.hold || h.Owner != tt.owner || h.TotalCents != tt.wantTotalCents || h.ShowtimeID != "st1" {
				t.Errorf("confirmed hold = %+v", h)
			}
			smWantOutcome(t, m, now, evs, tt.kinds, tt.seats)
		})
	}
}

// TestSeatMapConfirmEvent checks the Confirmed event and the booking it
// makes, and that a retry returns the same seats and total.
func TestSeatMapConfirmEvent(t *testing.T) {
	m := smNewMap(t)
	smMustHold(t, m, smT0, "h1", "ann", time.Minute, "B2", "A5")
	now := smT0.Add(30 * time.Second)
	h, evs, err := m.Confirm(now, "h1", "ann", "b1")
	if err != nil {
		t.Fatal(err)
	}
	want := boxoffice.SeatEvent{Seq: 2, Kind: boxoffice.EventConfirmed, At: now, HoldID: "h1", BookingID: "b1", Seats: []string{"B2", "A5"}}
	if len(evs) != 1 || !smSameEvent(evs[0], want) {
		t.Fatalf("events = %+v, want %+v", evs, want)
	}
	if !h.ExpiresAt.Equal(smT0.Add(time.Minute)) || h.TotalCents != 2500 || h.Currency != "EUR" {
		t.Errorf("confirmed hold = %+v", h)
	}
	seats, confirmed, ok := m.BookingSeats("b1")
	if !ok || !confirmed || !slices.Equal(seats, []string{"B2", "A5"}) {
		t.Errorf("BookingSeats = %v %v %v", seats, confirmed, ok)
	}
	again, evs, err := m.Confirm(now.Add(time.Hour), "h1", "ann", "b1")
	if err != nil || len(evs) != 0 || again.ID != "h1" || again.Owner != "ann" || again.TotalCents != 2500 ||
		!slices.Equal(again.Seats, h.Seats) || again.Currency != "EUR" || again.ShowtimeID != "st1" {
		t.Errorf("retry = %+v %v %v, want the same hold and no events", again, evs, err)
	}
	if _, err := m.HoldByID(now, "h1", "ann"); boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		t.Errorf("HoldByID of a booked hold: %v, want %s", err, boxoffice.ENOTFOUND)
	}
}

// TestSeatMapCancel proves each outcome of Cancel: seats are freed once,
// a second cancel is a no-op, an unknown booking is not found.
func TestSeatMapCancel(t *testing.T) {
	tests := []struct {
		name          string
		setup         func(*testing.T, *boxoffice.SeatMap)
		booking       string
		code, message string
		kinds         string
		seats         string
		confirmed     bool
	}{
		{name: "Cancelled", booking: "b1", kinds: "cancelled:3", seats: "FFFFFF FFFF"},
		{name: "CancelTwiceNoEvents", setup: func(t *testing.T, m *boxoffice.SeatMap) { m.Cancel(smT0, "b1") },
			booking: "b1", seats: "FFFFFF FFFF"},
		{name: "CancelAfterCloseFreesSeats", setup: func(t *testing.T, m *boxoffice.SeatMap) { m.CancelShowtime(smT0) },
			booking: "b1", kinds: "cancelled:4", seats: "FFFFFF FFFF"},
		{name: "ErrUnknownBooking", booking: "nope", code: boxoffice.ENOTFOUND,
			message: "booking nope has no seats in this showtime", seats: "BFFFFF BFFF", confirmed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smNewMap(t)
			smMustBook(t, m, smT0, "h1", "ann", "b1", "A1", "B1")
			if tt.setup != nil {
				tt.setup(t, m)
			}
			evs, err := m.Cancel(smT0, tt.booking)
			if tt.code != "" {
				smWantErr(t, err, tt.code, tt.message)
			} else if err != nil {
				t.Fatal(err)
			}
			smWantOutcome(t, m, smT0, evs, tt.kinds, tt.seats)
			if seats, confirmed, ok := m.BookingSeats("b1"); !ok || confirmed != tt.confirmed || !slices.Equal(seats, []string{"A1", "B1"}) {
				t.Errorf("BookingSeats(b1) = %v %v %v, want confirmed %v", seats, confirmed, ok, tt.confirmed)
			}
		})
	}
	t.Run("SeatsHeldAgainAfterCancel", func(t *testing.T) {
		m := smNewMap(t)
		smMustBook(t, m, smT0, "h1", "ann", "b1", "A1")
		if _, err := m.Cancel(smT0, "b1"); err != nil {
			t.Fatal(err)
		}
		smMustHold(t, m, smT0, "h2", "bob", time.Minute, "A1")
		if _, _, ok := m.BookingSeats("nope"); ok {
			t.Error("BookingSeats of an unknown booking is ok")
		}
	})
}
