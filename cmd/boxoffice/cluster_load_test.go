package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// quickHTTP is the HTTP client of load and probes: a little longer than
// the server's 10s request timeout, so a hang shows as a client error.
var quickHTTP = &http.Client{Timeout: 12 * time.Second}

// buy holds seats of showtime st through the client's node and books them;
// it returns the booking ID on success and otherwise the status of the
// failing step (0 for a transport error), plus bookingStep if the hold
// succeeded and the booking did not.
func buy(c *client, st string, seats []string) (string, int) {
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	code, err := c.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": seats}, &hold)
	if err != nil || code != 201 {
		return "", code
	}
	var b struct {
		ID string `json:"id"`
	}
	// A booking that failed for want of a node is retried with the same
	// Idempotency-Key: the hold would otherwise keep its seats for the
	// hold TTL.
	key := boxoffice.NewID()
	for attempt := 0; ; attempt++ {
		code, err = c.do("POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
			"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &b, "Idempotency-Key", key)
		if err == nil && code == 201 {
			return b.ID, 201
		}
		if attempt == 4 || (err == nil && code != 503) {
			return "", bookingStep + code
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// bookingStep marks a status of the booking step in buy's answer.
const bookingStep = 1000

// ledger records what buyers were told: every 201 booking and its seats,
// and a count of outcomes.
type ledger struct {
	mu       sync.Mutex
	acked    map[string][]string // booking ID -> seats
	showtime map[string]string   // booking ID -> showtime
	outcomes map[int]int
	ok       atomic.Int64
}

func newLedger() *ledger {
	return &ledger{acked: map[string][]string{}, showtime: map[string]string{}, outcomes: map[int]int{}}
}

func (l *ledger) record(st, id string, seats []string, code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes[code]++
	if code == 201 {
		l.acked[id] = seats
		l.showtime[id] = st
		l.ok.Add(1)
	}
}

// okOn counts the acknowledged bookings of the showtimes.
func (l *ledger) okOn(showtimes ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for id := range l.acked {
		if slices.Contains(showtimes, l.showtime[id]) {
			n++
		}
	}
	return n
}

// answered counts the buyers' requests that have an outcome, whatever it
// is.
func (l *ledger) answered() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.outcomes {
		n += c
	}
	return n
}

func (l *ledger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d bookings acknowledged, outcomes by status %v", len(l.acked), l.outcomes)
}

// load runs buyers until stop is closed: each picks a showtime and one or
// two seats at random and tries to book them through one of the nodes
// that gateways() returns at that moment.
func load(buyers []*client, gateways func() []*member, showtimes []string, seats []string, l *ledger, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i, u := range buyers {
		wg.Add(1)
		go func(u client, seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 11))
			u.http = quickHTTP
			for {
				select {
				case <-stop:
					return
				default:
				}
				gs := gateways()
				u.base = gs[rng.IntN(len(gs))].URL
				st := showtimes[rng.IntN(len(showtimes))]
				want := []string{seats[rng.IntN(len(seats))]}
				if rng.IntN(2) == 0 {
					if s := seats[rng.IntN(len(seats))]; s != want[0] {
						want = append(want, s)
					}
				}
				id, code := buy(&u, st, want)
				l.record(st, id, want, code)
				if code == 0 || code == 503 {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}(*u, uint64(i+1))
	}
	return &wg
}

// confirmedBookings reads a showtime's confirmed bookings, page by page.
func confirmedBookings(ctx context.Context, t *testing.T, s *boxoffice.Stores, showtimeID string) []*boxoffice.Booking {
	t.Helper()
	var all []*boxoffice.Booking
	page := boxoffice.Page{Limit: boxoffice.PageLimitMax}
	for {
		bs, next, err := s.Bookings.BookingsByShowtime(ctx, showtimeID, page, boxoffice.BookingConfirmed)
		require.NoError(t, err)
		all = append(all, bs...)
		if next == "" {
			return all
		}
		page.Cursor = next
	}
}

// audit checks a showtime against the databases and the buyers' ledger:
// every acknowledged booking is confirmed with its seats, no seat is in two
// confirmed bookings, the seat journal replays (a replay refuses an event
// that takes a seat that is not free) and books every seat of a confirmed
// booking.
func audit(t *testing.T, s *boxoffice.Stores, l *ledger, showtimes ...string) (confirmed, booked int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range showtimes {
		bs := confirmedBookings(ctx, t, s, st)
		owner := map[string]string{}
		byID := map[string][]string{}
		for _, b := range bs {
			byID[b.ID] = b.Seats
			for _, seat := range b.Seats {
				require.Empty(t, owner[seat], "showtime %s: seat %s is in bookings %s and %s", st, seat, owner[seat], b.ID)
				owner[seat] = b.ID
			}
		}
		for id, seats := range l.acked {
			if l.showtime[id] != st {
				continue
			}
			got, ok := byID[id]
			require.True(t, ok, "acknowledged booking %s of %s is not confirmed", id, st)
			require.ElementsMatch(t, seats, got, "booking %s", id)
		}
		m := replaySeats(t, s, st)
		status := map[string]boxoffice.SeatStatus{}
		for _, seat := range m.View(time.Now()).Seats {
			status[seat.ID] = seat.Status
		}
		for seat, id := range owner {
			require.Equal(t, boxoffice.SeatBooked, status[seat], "seat %s of confirmed booking %s", seat, id)
		}
		confirmed += len(bs)
		booked += len(owner)
	}
	return confirmed, booked
}
