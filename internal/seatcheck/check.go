package seatcheck

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Check compares what sm shows at now with the model: Seq, Closed, the
// layout and every seat's status in View and Status, NextDeadline, the seat
// counts, every live hold through HoldByID (for its owner, a stranger and no
// owner) and every confirmed booking through BookingSeats. It returns every
// difference found, joined.
func (m *Model) Check(sm *boxoffice.SeatMap, now time.Time) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if sm.Seq() != m.seq {
		fail("Seq = %d, want %d", sm.Seq(), m.seq)
	}
	if sm.Cancelled() != m.cancelled {
		fail("Cancelled = %v, want %v", sm.Cancelled(), m.cancelled)
	}
	m.checkView(sm, now, fail)
	m.checkDeadline(sm, fail)
	for _, id := range m.Holds() {
		m.checkHold(sm, now, m.holds[id], fail)
	}
	for _, b := range m.live {
		m.checkBooking(sm, b, fail)
	}
	return errors.Join(errs...)
}

// CheckAll is Check plus every cancelled booking and every remembered
// finished hold (HoldByID answers EGONE for an expired hold, ENOTFOUND for
// the others). It costs more: call it now and then.
func (m *Model) CheckAll(sm *boxoffice.SeatMap, now time.Time) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := m.Check(sm, now); err != nil {
		errs = append(errs, err)
	}
	for _, b := range m.bookings {
		if b.Cancelled {
			m.checkBooking(sm, b, fail)
		}
	}
	for id, why := range m.ended {
		want := boxoffice.ENOTFOUND
		if why == boxoffice.EventExpired {
			want = boxoffice.EGONE
		}
		if _, err := sm.HoldByID(now, id, ""); boxoffice.ErrorCode(err) != want {
			fail("HoldByID(%s) of a hold that ended %s: error %v, want code %s", id, why, err, want)
		}
	}
	return errors.Join(errs...)
}

func (m *Model) checkView(sm *boxoffice.SeatMap, now time.Time, fail func(string, ...any)) {
	v := sm.View(now)
	if v.ShowtimeID != m.showtimeID || v.Version != m.seq || len(v.Seats) != len(m.layout) {
		fail("View = {%s v%d, %d seats}, want {%s v%d, %d seats}",
			v.ShowtimeID, v.Version, len(v.Seats), m.showtimeID, m.seq, len(m.layout))
		if len(v.Seats) != len(m.layout) {
			return
		}
	}
	var held, booked, heldInHolds, bookedInBookings int
	for i, want := range m.layout {
		got := v.Seats[i]
		if got.ID != want.ID || got.Category != want.Category || got.PriceCents != want.PriceCents {
			fail("View seat %d = %+v, want %+v", i, got, want)
		}
		raw, status := m.status(want.ID, now)
		if got.Status != status {
			fail("View seat %s is %s, want %s", want.ID, got.Status, status)
		}
		st, ok := sm.Status(want.ID)
		if !ok || st != raw {
			fail("Status(%s) = %s %v, want %s", want.ID, st, ok, raw)
		}
		switch st { // the seat map's own counts against the model's holds and bookings
		case boxoffice.SeatHeld:
			held++
		case boxoffice.SeatBooked:
			booked++
		}
	}
	for _, h := range m.holds {
		heldInHolds += len(h.Seats)
	}
	for _, b := range m.live {
		bookedInBookings += len(b.Seats)
	}
	if held != heldInHolds || booked != bookedInBookings {
		fail("the seat map has %d seats held and %d booked, but the live holds have %d and the confirmed bookings %d",
			held, booked, heldInHolds, bookedInBookings)
	}
	if _, ok := sm.Status("no-such-seat"); ok {
		fail("Status of an unknown seat is ok")
	}
}

// status returns the seat's status in the state (raw) and as View shows it
// at now (a hold past its deadline shows as free).
func (m *Model) status(seat string, now time.Time) (raw, view boxoffice.SeatStatus) {
	if m.bookOf[seat] != "" {
		return boxoffice.SeatBooked, boxoffice.SeatBooked
	}
	if h := m.holdOf[seat]; h != "" {
		if now.Before(m.holds[h].ExpiresAt) {
			return boxoffice.SeatHeld, boxoffice.SeatHeld
		}
		return boxoffice.SeatHeld, boxoffice.SeatFree
	}
	return boxoffice.SeatFree, boxoffice.SeatFree
}

func (m *Model) checkDeadline(sm *boxoffice.SeatMap, fail func(string, ...any)) {
	var want time.Time
	for _, h := range m.holds {
		if want.IsZero() || h.ExpiresAt.Before(want) {
			want = h.ExpiresAt
		}
	}
	got, ok := sm.NextDeadline()
	if ok != !want.IsZero() || !got.Equal(want) {
		fail("NextDeadline = %v %v, want %v %v", got, ok, want, !want.IsZero())
	}
}

func (m *Model) checkHold(sm *boxoffice.SeatMap, now time.Time, h *Hold, fail func(string, ...any)) {
	got, err := sm.HoldByID(now, h.ID, h.Owner)
	if !now.Before(h.ExpiresAt) {
		if boxoffice.ErrorCode(err) != boxoffice.EGONE {
			fail("HoldByID(%s) past its deadline: %+v %v, want code %s", h.ID, got, err, boxoffice.EGONE)
		}
		return
	}
	if err != nil {
		fail("HoldByID(%s, owner): %v", h.ID, err)
		return
	}
	if err := m.SameHold(got, h.ID, h.Owner, h.Seats, h.ExpiresAt); err != nil {
		fail("HoldByID(%s): %v", h.ID, err)
	}
	if _, err := sm.HoldByID(now, h.ID, h.Owner+"-stranger"); boxoffice.ErrorCode(err) != boxoffice.EFORBIDDEN {
		fail("HoldByID(%s) by a stranger: error %v, want code %s", h.ID, err, boxoffice.EFORBIDDEN)
	}
	if _, err := sm.HoldByID(now, h.ID, ""); err != nil {
		fail("HoldByID(%s) without an owner: %v", h.ID, err)
	}
}

// SameHold compares a hold returned by the seat map with what the model
// expects. A zero expires skips the deadline.
func (m *Model) SameHold(got *boxoffice.Hold, id, owner string, seats []string, expires time.Time) error {
	switch {
	case got == nil:
		return fmt.Errorf("nil hold")
	case got.ID != id || got.Owner != owner || got.ShowtimeID != m.showtimeID || got.Currency != m.currency:
		return fmt.Errorf("hold {%s %s %s %s}, want {%s %s %s %s}", got.ID, got.Owner, got.ShowtimeID,
			got.Currency, id, owner, m.showtimeID, m.currency)
	case !slices.Equal(got.Seats, seats):
		return fmt.Errorf("hold seats %v, want %v", got.Seats, seats)
	case got.TotalCents != m.Total(seats):
		return fmt.Errorf("hold total %d, want %d", got.TotalCents, m.Total(seats))
	case !expires.IsZero() && !got.ExpiresAt.Equal(expires):
		return fmt.Errorf("hold expires %v, want %v", got.ExpiresAt, expires)
	}
	return nil
}

func (m *Model) checkBooking(sm *boxoffice.SeatMap, b *Booking, fail func(string, ...any)) {
	seats, confirmed, ok := sm.BookingSeats(b.ID)
	if !ok || confirmed == b.Cancelled || !slices.Equal(seats, b.Seats) {
		fail("BookingSeats(%s) = %v %v %v, want %v %v true", b.ID, seats, confirmed, ok, b.Seats, !b.Cancelled)
	}
}
