package boxoffice_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/seatcheck"
)

// smWant is what a command must do once the holds due at its time have
// expired, derived from the reference model and the documented rules.
type smWant struct {
	code        string               // error code, "" for success
	unavailable []string             // ECONFLICT details["unavailable"], if any
	event       *boxoffice.SeatEvent // the command's own event, if any (Seq unset)
	hold        *smWantHold          // the hold returned on success
	seats       []string             // BookingSeats
	confirmed   bool                 // BookingSeats
	found       bool                 // BookingSeats
}

type smWantHold struct {
	id, owner string
	seats     []string
	expires   time.Time // zero: not checked
}

func smFail(code string) smWant { return smWant{code: code} }

// want predicts the outcome of c from the model alone.
func (s *smSim) want(c smCmd) smWant {
	md := s.model
	switch c.op {
	case smOpHold:
		return s.wantHold(c)
	case smOpRelease:
		h, code := s.liveHold(c.holdID, c.owner)
		if code != "" {
			return smFail(code)
		}
		return smWant{event: &boxoffice.SeatEvent{Kind: boxoffice.EventReleased, At: c.now, HoldID: h.ID, Seats: h.Seats}}
	case smOpConfirm:
		return s.wantConfirm(c)
	case smOpCancel:
		b, ok := md.Booking(c.booking)
		switch {
		case !ok:
			return smFail(boxoffice.ENOTFOUND)
		case b.Cancelled:
			return smWant{} // idempotent: nothing happens
		}
		return smWant{event: &boxoffice.SeatEvent{Kind: boxoffice.EventCancelled, At: c.now, BookingID: b.ID, Seats: b.Seats}}
	case smOpClose:
		if md.Cancelled() {
			return smWant{}
		}
		return smWant{event: &boxoffice.SeatEvent{Kind: boxoffice.EventShowtimeCancelled, At: c.now}}
	case smOpHoldByID:
		h, code := s.liveHold(c.holdID, c.owner)
		if code == "" && !c.now.Before(h.ExpiresAt) {
			code = boxoffice.EGONE
		}
		if code != "" {
			return smFail(code)
		}
		return smWant{hold: &smWantHold{h.ID, h.Owner, h.Seats, h.ExpiresAt}}
	case smOpBookingSeats:
		b, ok := md.Booking(c.booking)
		return smWant{seats: b.Seats, confirmed: ok && !b.Cancelled, found: ok}
	}
	return smWant{}
}

// liveHold is the lookup Release, Confirm and HoldByID share: a hold that is
// not live is gone if it expired (and is still remembered), else not found;
// a live hold of someone else is forbidden unless no owner is given.
func (s *smSim) liveHold(id, owner string) (seatcheck.Hold, string) {
	h, ok := s.model.Hold(id)
	switch {
	case !ok && s.model.Ended(id) == boxoffice.EventExpired:
		return h, boxoffice.EGONE
	case !ok:
		return h, boxoffice.ENOTFOUND
	case owner != "" && h.Owner != owner:
		return h, boxoffice.EFORBIDDEN
	}
	return h, ""
}

func (s *smSim) wantHold(c smCmd) smWant {
	md, r := s.model, c.req
	switch {
	case len(r.Seats) == 0 || len(r.Seats) > boxoffice.HoldSeatsMax || r.TTL <= 0 || r.Owner == "" || r.HoldID == "":
		return smFail(boxoffice.EINVALID)
	case md.Ended(r.HoldID) != "":
		return smFail(boxoffice.ECONFLICT)
	}
	if _, live := md.Hold(r.HoldID); live {
		return smFail(boxoffice.ECONFLICT)
	}
	var taken []string
	for i, id := range r.Seats {
		if slices.Contains(r.Seats[:i], id) || !md.Known(id) {
			return smFail(boxoffice.EINVALID)
		}
		if md.Taken(id) {
			taken = append(taken, id)
		}
	}
	switch {
	case md.Cancelled() || !c.now.Before(md.StartsAt()):
		return smFail(boxoffice.ECONFLICT)
	case len(taken) > 0:
		return smWant{code: boxoffice.ECONFLICT, unavailable: taken}
	case md.Caps().SeatsPerShowtime > 0 && md.HeldSeats(r.Owner)+len(r.Seats) > md.Caps().SeatsPerShowtime:
		return smFail(boxoffice.ECONFLICT)
	}
	for _, id := range r.Seats {
		if md.Cooling(r.Owner, id, c.now) {
			return smFail(boxoffice.ETOOMANYREQUESTS)
		}
	}
	exp := c.now.Add(r.TTL)
	return smWant{
		event: &boxoffice.SeatEvent{Kind: boxoffice.EventHeld, At: c.now, HoldID: r.HoldID, Owner: r.Owner,
			Seats: r.Seats, ExpiresAt: exp},
		hold: &smWantHold{r.HoldID, r.Owner, r.Seats, exp},
	}
}

// wantConfirm: a retry of a confirmation that happened returns the booking's
// hold without events; otherwise only the owner confirms a live hold, into an
// unused booking ID, before the deadline and the start.
func (s *smSim) wantConfirm(c smCmd) smWant {
	md := s.model
	if b, ok := md.Booking(c.booking); ok && b.HoldID == c.holdID {
		switch {
		case b.Owner != c.owner:
			return smFail(boxoffice.EFORBIDDEN)
		case b.Cancelled:
			return smFail(boxoffice.ECONFLICT)
		}
		return smWant{hold: &smWantHold{b.HoldID, b.Owner, b.Seats, time.Time{}}}
	}
	if _, used := md.Booking(c.booking); used || c.booking == "" {
		return smFail(boxoffice.EINVALID)
	}
	h, ok := md.Hold(c.holdID)
	switch {
	case md.Cancelled():
		return smFail(boxoffice.ECONFLICT)
	case !ok && md.Ended(c.holdID) == boxoffice.EventConfirmed:
		return smFail(boxoffice.ECONFLICT)
	case !ok && md.Ended(c.holdID) == boxoffice.EventExpired:
		return smFail(boxoffice.EGONE)
	case !ok:
		return smFail(boxoffice.ENOTFOUND)
	case h.Owner != c.owner:
		return smFail(boxoffice.EFORBIDDEN)
	case !c.now.Before(md.StartsAt()):
		return smFail(boxoffice.ECONFLICT)
	}
	return smWant{
		event: &boxoffice.SeatEvent{Kind: boxoffice.EventConfirmed, At: c.now, HoldID: h.ID, BookingID: c.booking, Seats: h.Seats},
		hold:  &smWantHold{h.ID, h.Owner, h.Seats, h.ExpiresAt},
	}
}

// checkOutcome compares a command's result (after its expiries) with want.
func (s *smSim) checkOutcome(c smCmd, w smWant, r smResult, evs []boxoffice.SeatEvent) error {
	if code := boxoffice.ErrorCode(r.err); code != w.code {
		return fmt.Errorf("error %v (code %q), want code %q", r.err, code, w.code)
	}
	if err := smCheckDetails(r.err, w.unavailable); err != nil {
		return err
	}
	switch {
	case w.event == nil && len(evs) > 0:
		return fmt.Errorf("unexpected events %+v", evs)
	case w.event != nil && len(evs) != 1:
		return fmt.Errorf("events %+v, want one %s", evs, w.event.Kind)
	case w.event != nil:
		e := *w.event
		e.Seq = s.model.Seq() + 1
		if !smSameEvent(evs[0], e) {
			return fmt.Errorf("event %+v, want %+v", evs[0], e)
		}
	}
	if c.op == smOpBookingSeats {
		if !slices.Equal(r.seats, w.seats) || r.confirmed != w.confirmed || r.found != w.found {
			return fmt.Errorf("BookingSeats = %v %v %v, want %v %v %v", r.seats, r.confirmed, r.found, w.seats, w.confirmed, w.found)
		}
		return nil
	}
	if (r.hold != nil) != (w.hold != nil) {
		return fmt.Errorf("hold %+v, want one: %v", r.hold, w.hold != nil)
	}
	if w.hold != nil {
		return s.model.SameHold(r.hold, w.hold.id, w.hold.owner, w.hold.seats, w.hold.expires)
	}
	return nil
}

// smCheckDetails checks that an ECONFLICT lists exactly the taken seats in
// details["unavailable"], and that no other error claims any.
func smCheckDetails(err error, want []string) error {
	got, has := boxoffice.ErrorDetails(err)["unavailable"]
	switch {
	case want == nil && has:
		return fmt.Errorf("details[unavailable] = %v, want none", got)
	case want == nil:
		return nil
	}
	seats, ok := got.([]string)
	if !ok || !slices.Equal(slices.Sorted(slices.Values(seats)), slices.Sorted(slices.Values(want))) {
		return fmt.Errorf("details[unavailable] = %#v, want %q", got, want)
	}
	return nil
}

func smSameEvent(a, b boxoffice.SeatEvent) bool {
	return a.Seq == b.Seq && a.Kind == b.Kind && a.At.Equal(b.At) && a.HoldID == b.HoldID &&
		a.Owner == b.Owner && slices.Equal(a.Seats, b.Seats) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		a.BookingID == b.BookingID
}
