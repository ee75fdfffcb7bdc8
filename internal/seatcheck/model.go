// Package seatcheck is an independent reference model of one showtime's
// seats, for tests. It shares no code with boxoffice.SeatMap: it rebuilds the
// seat state from the journal (boxoffice.SeatEvent) with its own maps, refuses
// any event that breaks a rule, and compares a SeatMap's observable state
// (View, Status, HoldByID, BookingSeats, NextDeadline, Seq) with its own.
//
// The rules it enforces on every event: Seq has no gaps; a seat is in at most
// one live hold or confirmed booking; a hold is placed only on free, known,
// distinct seats (1..HoldSeatsMax) of an open showtime before it starts;
// only a live hold ends, and it expires only at or after its deadline; a hold
// is confirmed only before its deadline and before the showtime starts, into
// a new booking with the hold's seats; only a confirmed booking is cancelled;
// closing ends every live hold. With hold caps set (SetCaps), a hold also
// leaves its owner at most SeatsPerShowtime seats held, and names no seat
// whose last hold, by the same owner, was released or lapsed less than the
// cool-down before.
//
// Tests of other layers (the showtime grain, the stores) can feed it the
// journal they wrote and call Check on the seat map they loaded.
package seatcheck

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/boxoffice/boxoffice"
)

// EndedHoldsMax is how many finished holds a seat map remembers (the
// unexported endedHoldsMax of boxoffice): a hold that ended longer ago is
// unknown, so Release answers "not found" rather than "gone".
const EndedHoldsMax = 1024

// Hold is a live hold of the model.
type Hold struct {
	ID        string
	Owner     string
	Seats     []string
	ExpiresAt time.Time
}

// Booking is a confirmed or cancelled booking of the model.
type Booking struct {
	ID        string
	HoldID    string
	Owner     string
	Seats     []string
	Cancelled bool
}

// Seat is a seat of the layout as the model computes it from the hall.
type Seat struct {
	ID         string
	Category   string
	PriceCents int64
}

// Model is the reference seat state of one showtime.
type Model struct {
	showtimeID string
	currency   string
	startsAt   time.Time
	layout     []Seat
	pos        map[string]int

	seq       uint64
	cancelled bool
	holdOf    map[string]string // seat -> live hold
	bookOf    map[string]string // seat -> confirmed booking
	holds     map[string]*Hold
	bookings  map[string]*Booking
	live      map[string]*Booking // the confirmed (not cancelled) bookings
	byHold    map[string]string   // hold -> booking that confirmed it
	ended     map[string]boxoffice.SeatEventKind
	endedQ    []string
	forgot    int

	caps   boxoffice.HoldCaps
	gaveUp map[string]gaveUp // seat -> the last release or lapse of a hold of it, until the seat is held again
}

type gaveUp struct {
	owner string
	at    time.Time
}

// SetCaps sets the hold caps the events must obey (zero: none).
func (m *Model) SetCaps(c boxoffice.HoldCaps) { m.caps = c }

// Caps returns the hold caps set.
func (m *Model) Caps() boxoffice.HoldCaps { return m.caps }

// HeldSeats counts the seats of owner's live holds.
func (m *Model) HeldSeats(owner string) int {
	n := 0
	for _, h := range m.holds {
		if h.Owner == owner {
			n += len(h.Seats)
		}
	}
	return n
}

// Cooling reports whether owner may not hold seat at now: the seat's last
// hold was owner's and was released or lapsed less than the cool-down ago.
func (m *Model) Cooling(owner, seat string, now time.Time) bool {
	g, ok := m.gaveUp[seat]
	return ok && m.caps.Cooldown > 0 && g.owner == owner && now.Before(g.at.Add(m.caps.Cooldown))
}

// New returns the model of a showtime in a hall with no events.
func New(st *boxoffice.Showtime, hall *boxoffice.Hall) *Model {
	m := &Model{
		showtimeID: st.ID, currency: st.Currency, startsAt: st.StartsAt,
		pos:    map[string]int{},
		holdOf: map[string]string{}, bookOf: map[string]string{},
		holds: map[string]*Hold{}, bookings: map[string]*Booking{}, live: map[string]*Booking{},
		byHold: map[string]string{}, ended: map[string]boxoffice.SeatEventKind{},
		gaveUp: map[string]gaveUp{},
	}
	for _, r := range hall.Rows {
		for n := 1; n <= r.Seats; n++ {
			id := r.Row + strconv.Itoa(n)
			m.pos[id] = len(m.layout)
			m.layout = append(m.layout, Seat{ID: id, Category: r.Category, PriceCents: st.Prices[r.Category]})
		}
	}
	return m
}

// Seq is the Seq of the last event applied.
func (m *Model) Seq() uint64 { return m.seq }

// Cancelled reports whether a Cancelled event was applied.
func (m *Model) Cancelled() bool { return m.cancelled }

// StartsAt is when the showtime starts.
func (m *Model) StartsAt() time.Time { return m.startsAt }

// Layout returns the seats in layout order.
func (m *Model) Layout() []Seat { return slices.Clone(m.layout) }

// Known reports whether seat is in the hall.
func (m *Model) Known(seat string) bool { _, ok := m.pos[seat]; return ok }

// Price returns the price of a known seat.
func (m *Model) Price(seat string) int64 { return m.layout[m.pos[seat]].PriceCents }

// Taken reports whether a seat is in a live hold or a confirmed booking.
func (m *Model) Taken(seat string) bool { return m.holdOf[seat] != "" || m.bookOf[seat] != "" }

// Hold returns a live hold.
func (m *Model) Hold(id string) (Hold, bool) {
	h := m.holds[id]
	if h == nil {
		return Hold{}, false
	}
	return *h, true
}

// Holds returns the IDs of the live holds, sorted.
func (m *Model) Holds() []string {
	ids := make([]string, 0, len(m.holds))
	for id := range m.holds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Due returns the live holds whose deadline is at or before now, sorted.
func (m *Model) Due(now time.Time) []string {
	var ids []string
	for id, h := range m.holds {
		if !now.Before(h.ExpiresAt) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Ended returns why a finished hold ended, or "" if the hold is live, never
// existed or ended more than EndedHoldsMax hold-ends ago.
func (m *Model) Ended(id string) boxoffice.SeatEventKind { return m.ended[id] }

// Forgotten counts the ended holds dropped from memory (EndedHoldsMax).
func (m *Model) Forgotten() int { return m.forgot }

// Booking returns a booking (confirmed or cancelled).
func (m *Model) Booking(id string) (Booking, bool) {
	b := m.bookings[id]
	if b == nil {
		return Booking{}, false
	}
	return *b, true
}

// BookingOfHold returns the booking that confirmed a hold, if any.
func (m *Model) BookingOfHold(holdID string) (string, bool) {
	id, ok := m.byHold[holdID]
	return id, ok
}

// Total returns the price of seats.
func (m *Model) Total(seats []string) int64 {
	var t int64
	for _, s := range seats {
		t += m.Price(s)
	}
	return t
}

// ApplyAll applies events in order and stops at the first that breaks a rule.
func (m *Model) ApplyAll(evs []boxoffice.SeatEvent) error {
	for _, e := range evs {
		if err := m.Apply(e); err != nil {
			return err
		}
	}
	return nil
}

// Apply checks an event against the rules and applies it. An event that
// breaks a rule returns an error and leaves the model unchanged.
func (m *Model) Apply(e boxoffice.SeatEvent) error {
	if err := m.check(e); err != nil {
		return fmt.Errorf("seatcheck: event %d (%s, hold %q, booking %q, seats %v): %w",
			e.Seq, e.Kind, e.HoldID, e.BookingID, e.Seats, err)
	}
	switch e.Kind {
	case boxoffice.EventHeld:
		m.holds[e.HoldID] = &Hold{ID: e.HoldID, Owner: e.Owner, Seats: slices.Clone(e.Seats), ExpiresAt: e.ExpiresAt}
		for _, s := range e.Seats {
			m.holdOf[s] = e.HoldID
			delete(m.gaveUp, s)
		}
	case boxoffice.EventReleased, boxoffice.EventExpired:
		h := m.holds[e.HoldID]
		at := e.At
		if h.ExpiresAt.Before(at) {
			at = h.ExpiresAt // a hold lapses at its deadline, whenever noticed
		}
		for _, s := range h.Seats {
			m.gaveUp[s] = gaveUp{owner: h.Owner, at: at}
		}
		m.end(e.HoldID, e.Kind)
	case boxoffice.EventConfirmed:
		h := m.holds[e.HoldID]
		m.end(e.HoldID, e.Kind)
		b := &Booking{ID: e.BookingID, HoldID: h.ID, Owner: h.Owner, Seats: slices.Clone(h.Seats)}
		m.bookings[b.ID], m.live[b.ID] = b, b
		m.byHold[h.ID] = e.BookingID
		for _, s := range h.Seats {
			m.bookOf[s] = e.BookingID
		}
	case boxoffice.EventCancelled:
		b := m.bookings[e.BookingID]
		b.Cancelled = true
		delete(m.live, b.ID)
		for _, s := range b.Seats {
			delete(m.bookOf, s)
		}
	case boxoffice.EventShowtimeCancelled:
		for _, id := range m.Holds() {
			m.end(id, boxoffice.EventReleased)
		}
		m.cancelled = true
	case boxoffice.EventActivated:
	}
	m.seq = e.Seq
	return nil
}

func (m *Model) end(holdID string, why boxoffice.SeatEventKind) {
	for _, s := range m.holds[holdID].Seats {
		delete(m.holdOf, s)
	}
	delete(m.holds, holdID)
	m.ended[holdID] = why
	m.endedQ = append(m.endedQ, holdID)
	if len(m.endedQ) > EndedHoldsMax {
		delete(m.ended, m.endedQ[0])
		m.endedQ = slices.Delete(m.endedQ, 0, 1)
		m.forgot++
	}
}

func (m *Model) check(e boxoffice.SeatEvent) error {
	if e.Seq != m.seq+1 {
		return fmt.Errorf("seq gap: after %d", m.seq)
	}
	switch e.Kind {
	case boxoffice.EventHeld:
		return m.checkHeld(e)
	case boxoffice.EventReleased, boxoffice.EventExpired:
		h := m.holds[e.HoldID]
		switch {
		case h == nil:
			return fmt.Errorf("hold is not live")
		case !slices.Equal(e.Seats, h.Seats):
			return fmt.Errorf("seats differ from the hold's %v", h.Seats)
		case e.Kind == boxoffice.EventExpired && e.At.Before(h.ExpiresAt):
			return fmt.Errorf("expired at %v before its deadline %v", e.At, h.ExpiresAt)
		case e.Kind == boxoffice.EventReleased && !e.At.Before(h.ExpiresAt):
			return fmt.Errorf("released at %v, at or after its deadline %v", e.At, h.ExpiresAt)
		}
	case boxoffice.EventConfirmed:
		return m.checkConfirmed(e)
	case boxoffice.EventCancelled:
		b := m.bookings[e.BookingID]
		switch {
		case b == nil || b.Cancelled:
			return fmt.Errorf("booking is not confirmed")
		case !slices.Equal(e.Seats, b.Seats):
			return fmt.Errorf("seats differ from the booking's %v", b.Seats)
		}
	case boxoffice.EventShowtimeCancelled:
		if m.cancelled {
			return fmt.Errorf("showtime cancelled twice")
		}
		for _, h := range m.holds {
			if !e.At.Before(h.ExpiresAt) {
				return fmt.Errorf("closing releases hold %s at or after its deadline", h.ID)
			}
		}
	case boxoffice.EventActivated: // changes no seat
	default:
		return fmt.Errorf("unknown kind")
	}
	return nil
}

func (m *Model) checkHeld(e boxoffice.SeatEvent) error {
	switch {
	case e.HoldID == "" || e.Owner == "":
		return fmt.Errorf("hold ID and owner are required")
	case m.holds[e.HoldID] != nil || m.ended[e.HoldID] != "":
		return fmt.Errorf("hold ID reused")
	case len(e.Seats) == 0 || len(e.Seats) > boxoffice.HoldSeatsMax:
		return fmt.Errorf("%d seats", len(e.Seats))
	case m.cancelled:
		return fmt.Errorf("held after close")
	case !e.At.Before(m.startsAt):
		return fmt.Errorf("held at %v, not before the start %v", e.At, m.startsAt)
	case !e.ExpiresAt.After(e.At):
		return fmt.Errorf("deadline %v not after %v", e.ExpiresAt, e.At)
	case m.caps.SeatsPerShowtime > 0 && m.HeldSeats(e.Owner)+len(e.Seats) > m.caps.SeatsPerShowtime:
		return fmt.Errorf("owner %s would hold %d seats, over the cap of %d", e.Owner, m.HeldSeats(e.Owner)+len(e.Seats), m.caps.SeatsPerShowtime)
	}
	seen := map[string]bool{}
	for _, s := range e.Seats {
		switch {
		case seen[s]:
			return fmt.Errorf("seat %s twice", s)
		case !m.Known(s):
			return fmt.Errorf("unknown seat %s", s)
		case m.holdOf[s] != "":
			return fmt.Errorf("seat %s is already in hold %s", s, m.holdOf[s])
		case m.bookOf[s] != "":
			return fmt.Errorf("seat %s is already in booking %s", s, m.bookOf[s])
		case m.Cooling(e.Owner, s, e.At):
			return fmt.Errorf("seat %s held again by %s during the cool-down", s, e.Owner)
		}
		seen[s] = true
	}
	return nil
}

func (m *Model) checkConfirmed(e boxoffice.SeatEvent) error {
	h := m.holds[e.HoldID]
	switch {
	case h == nil:
		return fmt.Errorf("hold is not live")
	case e.BookingID == "" || m.bookings[e.BookingID] != nil:
		return fmt.Errorf("booking ID empty or used")
	case !e.At.Before(h.ExpiresAt):
		return fmt.Errorf("confirmed at %v, at or after the deadline %v", e.At, h.ExpiresAt)
	case !e.At.Before(m.startsAt):
		return fmt.Errorf("confirmed at %v, not before the start %v", e.At, m.startsAt)
	case m.cancelled:
		return fmt.Errorf("confirmed after close")
	case !slices.Equal(e.Seats, h.Seats):
		return fmt.Errorf("seats differ from the hold's %v", h.Seats)
	}
	return nil
}
