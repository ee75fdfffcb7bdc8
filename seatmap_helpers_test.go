package boxoffice_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// smT0 is when the focused seat map tests begin; the showtime starts two
// hours later.
var smT0 = time.Date(2031, 6, 1, 18, 0, 0, 0, time.UTC)

const smShowtimeStart = 2 * time.Hour

func smTestShowtime() (*boxoffice.Showtime, *boxoffice.Hall) {
	st := &boxoffice.Showtime{ID: "st1", HallID: "hall1", StartsAt: smT0.Add(smShowtimeStart), Currency: "EUR",
		Prices: map[string]int64{"standard": 1000, "premium": 1500}}
	hall := &boxoffice.Hall{ID: "hall1", Name: "One", Rows: []boxoffice.Row{
		{Row: "A", Seats: 6, Category: "standard"}, {Row: "B", Seats: 4, Category: "premium"}}}
	return st, hall
}

// smNewMap returns the empty seat map of a showtime that starts two hours
// after smT0, in a hall of row A (6 standard seats at 10.00) and row B (4
// premium seats at 15.00).
func smNewMap(tb testing.TB) *boxoffice.SeatMap {
	tb.Helper()
	return boxoffice.NewSeatMap(smTestShowtime())
}

// smMustHold places a hold at now or fails the test.
func smMustHold(tb testing.TB, m *boxoffice.SeatMap, now time.Time, id, owner string, ttl time.Duration, seats ...string) *boxoffice.Hold {
	tb.Helper()
	h, _, err := m.Hold(now, boxoffice.HoldRequest{HoldID: id, Owner: owner, Seats: seats, TTL: ttl})
	if err != nil {
		tb.Fatalf("Hold(%s, %v): %v", id, seats, err)
	}
	return h
}

// smMustBook holds seats for owner and confirms the hold as bookingID.
func smMustBook(tb testing.TB, m *boxoffice.SeatMap, now time.Time, holdID, owner, bookingID string, seats ...string) {
	tb.Helper()
	smMustHold(tb, m, now, holdID, owner, time.Minute, seats...)
	if _, _, err := m.Confirm(now, holdID, owner, bookingID); err != nil {
		tb.Fatalf("Confirm(%s): %v", holdID, err)
	}
}

// smWantErr checks an error's code and message together.
func smWantErr(tb testing.TB, err error, code, message string) {
	tb.Helper()
	if boxoffice.ErrorCode(err) != code || boxoffice.ErrorMessage(err) != message {
		tb.Fatalf("error = %v, want code=%s message=%s", err, code, message)
	}
}

// smSeats draws the View at now as one letter per seat, rows apart:
// "HHBFFF FFFF" is A1-A2 held, A3 booked, the rest free.
func smSeats(m *boxoffice.SeatMap, now time.Time) string {
	var b strings.Builder
	row := ""
	for _, s := range m.View(now).Seats {
		if row != "" && s.ID[:1] != row {
			b.WriteByte(' ')
		}
		row = s.ID[:1]
		b.WriteByte(map[boxoffice.SeatStatus]byte{boxoffice.SeatFree: 'F', boxoffice.SeatHeld: 'H', boxoffice.SeatBooked: 'B'}[s.Status])
	}
	return b.String()
}

// smKinds lists the kinds and Seqs of events: "held:3 expired:4".
func smKinds(evs []boxoffice.SeatEvent) string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind)+":"+strconv.FormatUint(e.Seq, 10))
	}
	return strings.Join(out, " ")
}

// smWantOutcome checks the events a command made and the seats after it.
func smWantOutcome(tb testing.TB, m *boxoffice.SeatMap, now time.Time, evs []boxoffice.SeatEvent, kinds, seats string) {
	tb.Helper()
	if got := smKinds(evs); got != kinds {
		tb.Errorf("events = %s, want %s", got, kinds)
	}
	if got := smSeats(m, now); got != seats {
		tb.Errorf("seats = %s, want %s", got, seats)
	}
}
