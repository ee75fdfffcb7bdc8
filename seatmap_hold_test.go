package boxoffice_test

import (
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// TestSeatMapHold proves each outcome of Hold: what it holds and the event
// it returns, and for each refusal the code, the message, the seats it
// names as unavailable, and that nothing was held.
func TestSeatMapHold(t *testing.T) {
	others := func(t *testing.T, m *boxoffice.SeatMap) {
		smMustHold(t, m, smT0, "h0", "bob", time.Minute, "A1", "A2")
		smMustBook(t, m, smT0, "h00", "bob", "b0", "B1")
	}
	ten := []string{"A1", "A2", "A3", "A4", "A5", "A6", "B1", "B2", "B3", "B4"}
	tests := []struct {
		name        string
		setup       func(*testing.T, *boxoffice.SeatMap)
		at          time.Duration // after smT0
		req         boxoffice.HoldRequest
		code        string
		message     string
		unavailable []string
		seats       string // the View afterwards
	}{
		{name: "Held", req: smReq("h1", "A3", "B2"), seats: "FFHFFF FHFF"},
		{name: "TenSeatsHeld", req: smReq("h1", ten...), seats: "HHHHHH HHHH"},
		{name: "ErrNoSeats", req: smReq("h1"), code: boxoffice.EINVALID,
			message: "seats: at least one seat is required", seats: "FFFFFF FFFF"},
		{name: "ErrTooManySeats", req: smReq("h1", append(ten, "C1")...), code: boxoffice.EINVALID,
			message: "seats: at most 10 seats per hold", seats: "FFFFFF FFFF"},
		{name: "ErrDuplicateSeat", req: smReq("h1", "A1", "B1", "A1"), code: boxoffice.EINVALID,
			message: "seats: A1 appears twice", seats: "FFFFFF FFFF"},
		{name: "ErrUnknownSeat", req: smReq("h1", "A1", "Z9"), code: boxoffice.EINVALID,
			message: "seats: unknown seat Z9", seats: "FFFFFF FFFF"},
		{name: "ErrNoTTL", req: boxoffice.HoldRequest{HoldID: "h1", Owner: "ann", Seats: []string{"A1"}},
			code: boxoffice.EINVALID, message: "hold TTL must be positive", seats: "FFFFFF FFFF"},
		{name: "ErrNoOwner", req: boxoffice.HoldRequest{HoldID: "h1", Seats: []string{"A1"}, TTL: time.Minute},
			code: boxoffice.EINVALID, message: "hold owner is required", seats: "FFFFFF FFFF"},
		{name: "ErrNoHoldID", req: smReq("", "A1"), code: boxoffice.EINVALID,
			message: "hold ID is required", seats: "FFFFFF FFFF"},
		{name: "ErrHoldIDLive", setup: others, req: smReq("h0", "A4"), code: boxoffice.ECONFLICT,
			message: "hold h0 already exists", seats: "HHFFFF BFFF"},
		{name: "ErrHoldIDEnded", setup: others, req: smReq("h00", "A4"), code: boxoffice.ECONFLICT,
			message: "hold h00 already exists", seats: "HHFFFF BFFF"},
		{name: "ErrSeatTaken", setup: others, req: smReq("h1", "A3", "A2", "A4"), code: boxoffice.ECONFLICT,
			message: "seat A2 is not available", unavailable: []string{"A2"}, seats: "HHFFFF BFFF"},
		{name: "ErrSeatsTakenAllListed", setup: others, req: smReq("h1", "B1", "A3", "A2", "A1"), code: boxoffice.ECONFLICT,
			message: "seat B1 is not available", unavailable: []string{"B1", "A2", "A1"}, seats: "HHFFFF BFFF"},
		{name: "ExpiredHoldsSeatsHeld", setup: others, at: time.Minute, req: smReq("h1", "A1", "A2"), seats: "HHFFFF BFFF"},
		{name: "ErrShowtimeStarted", at: smShowtimeStart, req: smReq("h1", "A1"), code: boxoffice.ECONFLICT,
			message: "showtime has started", seats: "FFFFFF FFFF"},
		{name: "ErrShowtimeClosed", setup: func(t *testing.T, m *boxoffice.SeatMap) { m.CancelShowtime(smT0) },
			req: smReq("h1", "A1"), code: boxoffice.ECONFLICT, message: "showtime is cancelled", seats: "FFFFFF FFFF"},
		{name: "ErrUnknownBeforeTaken", setup: others, req: smReq("h1", "A1", "Z1"), code: boxoffice.EINVALID,
			message: "seats: unknown seat Z1", seats: "HHFFFF BFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smNewMap(t)
			if tt.setup != nil {
				tt.setup(t, m)
			}
			now := smT0.Add(tt.at)
			seq := m.Seq()
			h, evs, err := m.Hold(now, tt.req)
			if tt.code != "" {
				smWantErr(t, err, tt.code, tt.message)
				if got := boxoffice.ErrorDetails(err)["unavailable"]; !slices.Equal(smStrings(got), tt.unavailable) {
					t.Errorf("details[unavailable] = %#v, want %q", got, tt.unavailable)
				}
				if h != nil || slices.ContainsFunc(evs, func(e boxoffice.SeatEvent) bool { return e.Kind != boxoffice.EventExpired }) {
					t.Errorf("refused hold returned %+v and events %s", h, smKinds(evs))
				}
			} else {
				smCheckHeld(t, m, now, tt.req, h, evs, seq)
			}
			if got := smSeats(m, now); got != tt.seats {
				t.Errorf("seats = %s, want %s", got, tt.seats)
			}
		})
	}
}

func smReq(id string, seats ...string) boxoffice.HoldRequest {
	return boxoffice.HoldRequest{HoldID: id, Owner: "ann", Seats: seats, TTL: 10 * time.Minute}
}

func smStrings(v any) []string {
	s, _ := v.([]string)
	return s
}

// smCheckHeld checks a new hold and its Held event (after any expiries).
func smCheckHeld(t *testing.T, m *boxoffice.SeatMap, now time.Time, req boxoffice.HoldRequest,
	h *boxoffice.Hold, evs []boxoffice.SeatEvent, seq uint64) {
	t.Helper()
	var total int64
	for _, s := range req.Seats {
		total += map[byte]int64{'A': 1000, 'B': 1500}[s[0]]
	}
	want := boxoffice.Hold{ID: req.HoldID, ShowtimeID: "st1", Owner: req.Owner, Seats: req.Seats,
		ExpiresAt: now.Add(req.TTL), TotalCents: total, Currency: "EUR"}
	if h == nil || h.ID != want.ID || h.ShowtimeID != want.ShowtimeID || h.Owner != want.Owner ||
		!slices.Equal(h.Seats, want.Seats) || !h.ExpiresAt.Equal(want.ExpiresAt) || h.TotalCents != want.TotalCents || h.Currency != want.Currency {
		t.Fatalf("hold = %+v, want %+v", h, want)
	}
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	e := evs[len(evs)-1]
	wantE := boxoffice.SeatEvent{Seq: seq + uint64(len(evs)), Kind: boxoffice.EventHeld, At: now, HoldID: req.HoldID,
		Owner: req.Owner, Seats: req.Seats, ExpiresAt: want.ExpiresAt}
	if !smSameEvent(e, wantE) || m.Seq() != e.Seq {
		t.Fatalf("event %+v (map at %d), want %+v", e, m.Seq(), wantE)
	}
}

// TestSeatMapRelease proves each outcome of Release: the owner frees the
// seats; anyone else, or a hold that is not live, is refused with the code
// the OpenAPI document gives (404 for unknown, released or booked; 410 for
// expired).
func TestSeatMapRelease(t *testing.T) {
	tests := []struct {
		name          string
		at            time.Duration
		holdID, owner string
		code, message string
		kinds         string // events returned
		seats         string
	}{
		{name: "Released", holdID: "h1", owner: "ann", kinds: "released:6", seats: "FFFBFF FFFF"},
		{name: "ErrNotOwner", holdID: "h1", owner: "bob", code: boxoffice.EFORBIDDEN,
			message: "hold h1 belongs to someone else", seats: "HHFBFF FFFF"},
		{name: "ErrUnknownHold", holdID: "nope", owner: "ann", code: boxoffice.ENOTFOUND,
			message: "hold nope not found", seats: "HHFBFF FFFF"},
		{name: "ErrReleasedTwice", holdID: "h2", owner: "ann", code: boxoffice.ENOTFOUND,
			message: "hold h2 not found", seats: "HHFBFF FFFF"},
		{name: "ErrBooked", holdID: "h3", owner: "ann", code: boxoffice.ENOTFOUND,
			message: "hold h3 was booked", seats: "HHFBFF FFFF"},
		{name: "ErrExpiredGone", at: 10 * time.Minute, holdID: "h1", owner: "ann", code: boxoffice.EGONE,
			message: "hold h1 has expired", kinds: "expired:6", seats: "FFFBFF FFFF"},
		{name: "ErrExpiredGoneForAnyone", at: time.Hour, holdID: "h1", owner: "bob", code: boxoffice.EGONE,
			message: "hold h1 has expired", kinds: "expired:6", seats: "FFFBFF FFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := smNewMap(t)
			smMustHold(t, m, smT0, "h1", "ann", 10*time.Minute, "A1", "A2")
			smMustHold(t, m, smT0, "h2", "ann", 10*time.Minute, "A3")
			if _, err := m.Release(smT0, "h2", "ann"); err != nil {
				t.Fatal(err)
			}
			smMustBook(t, m, smT0, "h3", "ann", "b3", "A4")
			now := smT0.Add(tt.at)
			evs, err := m.Release(now, tt.holdID, tt.owner)
			if tt.code != "" {
				smWantErr(t, err, tt.code, tt.message)
			} else if err != nil {
				t.Fatal(err)
			}
			smWantOutcome(t, m, now, evs, tt.kinds, tt.seats)
		})
	}
}

// TestSeatMapForgetsOldHolds proves the bound on remembered holds: after
// 1024 more holds end, an expired hold is unknown (404, not 410) and its ID
// may be used again.
func TestSeatMapForgetsOldHolds(t *testing.T) {
	m := smNewMap(t)
	smMustHold(t, m, smT0, "old", "ann", time.Second, "A1")
	now := smT0.Add(time.Second)
	_, err := m.Release(now, "old", "ann")
	smWantErr(t, err, boxoffice.EGONE, "hold old has expired")
	for i := range 1023 {
		id := "h" + time.Duration(i).String()
		smMustHold(t, m, now, id, "ann", time.Minute, "A2")
		if _, err := m.Release(now, id, "ann"); err != nil {
			t.Fatal(err)
		}
	}
	_, err = m.Release(now, "old", "ann")
	smWantErr(t, err, boxoffice.EGONE, "hold old has expired") // 1024 remembered
	smMustHold(t, m, now, "last", "ann", time.Minute, "A2")
	if _, err := m.Release(now, "last", "ann"); err != nil {
		t.Fatal(err)
	}
	_, err = m.Release(now, "old", "ann")
	smWantErr(t, err, boxoffice.ENOTFOUND, "hold old not found")
	smMustHold(t, m, now, "old", "bob", time.Minute, "A1")
}
