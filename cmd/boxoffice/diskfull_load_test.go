package main_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// diskLoad is the buyers of TestDiskFull and what they were told: every
// hold and booking acknowledged with a 201, and how every call ended.
type diskLoad struct {
	showtime string
	buyers   []*diskBuyer

	mu       sync.Mutex
	holds    map[string]diskHold // acknowledged holds never sent to a booking
	bookings map[string]diskHold // acknowledged bookings, by booking ID
	ops      int
	ok       int
	full     int        // 503 saying the storage is full
	refused  int        // any other 503
	bad      []opResult // 500s, other statuses, no answer, slow answers
}

// diskHold is an acknowledged hold or booking and the buyer it belongs to.
type diskHold struct {
	buyer *diskBuyer
	seats []string
}

// diskBuyer holds and books seats of its own, one at a time, so that no
// two buyers contend: every refusal comes from the disk.
type diskBuyer struct {
	c     *client
	rng   *rand.Rand
	seats []string
	next  int
	// lastWrites is how its writes ended (true: refused with 503); mark
	// is where the current phase began.
	lastWrites []bool
	mark       int
}

// writesRefusedToCallFull is how many writes in a row each buyer must see
// refused before the disk counts as full.
const writesRefusedToCallFull = 5

func newDiskLoad(t *testing.T, base, showtime string, seats []string, buyers int, rng *rand.Rand) *diskLoad {
	l := &diskLoad{showtime: showtime, holds: map[string]diskHold{}, bookings: map[string]diskHold{}}
	for i := range buyers {
		b := &diskBuyer{c: registerUser(t, base, fmt.Sprintf("buyer%d@example.com", i)),
			rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))}
		for k := i; k < len(seats); k += buyers {
			b.seats = append(b.seats, seats[k])
		}
		l.buyers = append(l.buyers, b)
	}
	return l
}

// holdEach has every buyer hold one seat, which must be acknowledged.
func (l *diskLoad) holdEach(t *testing.T) {
	t.Helper()
	for _, b := range l.buyers {
		id, r := l.hold(b, b.seats[b.next])
		b.next++
		require.NotEmpty(t, id, "hold before the disk filled: %v", r)
	}
}

func (l *diskLoad) clients() []*client {
	var cs []*client
	for _, b := range l.buyers {
		cs = append(cs, b.c)
	}
	return cs
}

// run drives the buyers, pace apart, until each is done (nil: never)
// or d passes or a buyer runs out of seats; it reports whether all were
// done.
func (l *diskLoad) run(d, pace time.Duration, done func(*diskBuyer) bool) bool {
	deadline := time.Now().Add(d)
	isDone := func(b *diskBuyer) bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return done != nil && done(b)
	}
	var wg sync.WaitGroup
	for _, b := range l.buyers {
		wg.Go(func() {
			for time.Now().Before(deadline) && b.next < len(b.seats) && !isDone(b) {
				l.step(b)
				time.Sleep(pace)
			}
		})
	}
	wg.Wait()
	for _, b := range l.buyers {
		if !isDone(b) {
			return false
		}
	}
	return true
}

// recover runs the buyers until each has had a write acknowledged, and
// returns how long that took; it fails the test after d or on any write
// that was not a 201 or a 503 storage full.
func (l *diskLoad) recover(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	l.mu.Lock()
	for _, b := range l.buyers {
		b.mark = len(b.lastWrites)
	}
	l.mu.Unlock()
	start := time.Now()
	ok := l.run(d, 0, func(b *diskBuyer) bool { return slices.Contains(b.lastWrites[b.mark:], false) })
	took := time.Since(start)
	require.True(t, ok, "writes still refused %v after space was freed: %s", d, l.summary())
	l.requireNoBad(t)
	return took
}

func (b *diskBuyer) refusedLately() bool {
	n := len(b.lastWrites)
	return n >= writesRefusedToCallFull && !slices.Contains(b.lastWrites[n-writesRefusedToCallFull:], false)
}

// step holds the buyer's next seat and books the hold half of the time.
func (l *diskLoad) step(b *diskBuyer) {
	seat := b.seats[b.next]
	holdID, r := l.hold(b, seat)
	if r.status != http.StatusServiceUnavailable {
		// A refused hold left the seat free: the buyer holds it again, and
		// a 409 would be a refused write that was kept.
		b.next++
	}
	if holdID == "" || b.rng.IntN(2) == 0 {
		return
	}
	l.mu.Lock()
	delete(l.holds, holdID) // from now on its fate is the booking's
	l.mu.Unlock()
	l.book(b, holdID)
}

// hold holds one seat of the hot showtime; a 201 is recorded.
func (l *diskLoad) hold(b *diskBuyer, seat string) (string, opResult) {
	return l.holdOn(b, l.showtime, seat)
}

func (l *diskLoad) holdOn(b *diskBuyer, showtime, seat string) (string, opResult) {
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	r := call(b.c, "POST", "/api/v1/showtimes/"+showtime+"/holds", map[string]any{"seats": []string{seat}}, &hold)
	l.record(b, r)
	if r.status != http.StatusCreated {
		return "", r
	}
	l.mu.Lock()
	l.holds[hold.HoldID] = diskHold{buyer: b, seats: []string{seat}}
	l.mu.Unlock()
	return hold.HoldID, r
}

// book books a hold; a 201 is recorded.
func (l *diskLoad) book(b *diskBuyer, holdID string) opResult {
	var booking bookingJSON
	r := call(b.c, "POST", "/api/v1/bookings", bookingBody(holdID), &booking, "Idempotency-Key", boxoffice.NewID())
	l.record(b, r)
	if r.status == http.StatusCreated {
		l.mu.Lock()
		l.bookings[booking.ID] = diskHold{buyer: b, seats: booking.Seats}
		l.mu.Unlock()
	}
	return r
}

// record counts a write's outcome: 201, 503 (full or otherwise), or bad.
func (l *diskLoad) record(b *diskBuyer, r opResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops++
	b.lastWrites = append(b.lastWrites, r.status == http.StatusServiceUnavailable)
	switch {
	case r.took > fullAnswerMax || r.status == 0 || r.status == http.StatusInternalServerError:
		l.bad = append(l.bad, r)
	case r.status == http.StatusCreated:
		l.ok++
	case r.storageFull():
		l.full++
	case r.status == http.StatusServiceUnavailable:
		l.refused++
		l.bad = append(l.bad, r)
	default:
		l.bad = append(l.bad, r)
	}
}

func (l *diskLoad) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d writes: %d ok, %d 503 storage full, %d other 503, %d bad; %d holds and %d bookings acknowledged",
		l.ops, l.ok, l.full, l.refused, len(l.bad)-l.refused, len(l.holds), len(l.bookings))
}

// requireNoBad fails the test with every write that did not end as a 201
// or a 503 saying the storage is full, within fullAnswerMax.
func (l *diskLoad) requireNoBad(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, r := range l.bad {
		if i == 20 {
			t.Errorf("... and %d more", len(l.bad)-i)
			break
		}
		t.Errorf("write answered %v", r)
	}
	if len(l.bad) > 0 {
		t.FailNow()
	}
}

// checkWhileFull: writes of every kind answer 503 storage full in time,
// reads answer 200, and the node keeps running.
func (l *diskLoad) checkWhileFull(t *testing.T, cold string) {
	t.Helper()
	b := l.buyers[0]
	var someHold, toBook string
	for id := range l.holds {
		someHold, toBook = toBook, id
	}
	require.NotEmpty(t, someHold, "fewer than two holds acknowledged before the disk filled: %s", l.summary())
	writes := []struct {
		what string
		do   func() opResult
	}{
		{"hold", func() opResult { _, r := l.hold(b, b.seats[len(b.seats)-1]); return r }},
		{"hold on a showtime not yet active", func() opResult { _, r := l.holdOn(b, cold, "A1"); return r }},
		{"booking", func() opResult {
			h := l.holds[toBook]
			delete(l.holds, toBook)
			return l.book(h.buyer, toBook)
		}},
		{"register", func() opResult {
			r := call(newClient(t, b.c.base), "POST", "/api/v1/auth/register",
				map[string]string{"email": "late@example.com", "password": "password-123", "name": "Late"}, nil)
			l.record(b, r)
			return r
		}},
	}
	for _, w := range writes {
		r := w.do()
		if !r.storageFull() || r.took > fullAnswerMax {
			t.Errorf("%s while the disk is full: %v, want 503 storage full within %v", w.what, r, fullAnswerMax)
		}
	}
	reads := []string{
		"/api/v1/showtimes/" + l.showtime + "/seats",
		"/api/v1/showtimes/" + cold + "/seats",
		"/api/v1/holds/" + someHold,
		"/api/v1/bookings",
		"/api/v1/movies",
		"/api/v1/users/me",
		"/healthz",
	}
	for _, path := range reads {
		if r := call(l.holds[someHold].buyer.c, "GET", path, nil, nil); r.status != http.StatusOK || r.took > fullAnswerMax {
			t.Errorf("GET %s while the disk is full: %v, want 200", path, r)
		}
	}
	l.requireNoBad(t)
}

// bookOne books an acknowledged hold and requires a confirmed 201.
func (l *diskLoad) bookOne(t *testing.T) {
	t.Helper()
	for id, h := range l.holds {
		delete(l.holds, id)
		r := l.book(h.buyer, id)
		require.Equal(t, http.StatusCreated, r.status, "booking after the disk was freed: %v", r)
		return
	}
	t.Fatal("no hold to book")
}

// verify requires every acknowledged hold to be there, active, and every
// acknowledged booking confirmed, on the node at base.
func (l *diskLoad) verify(t *testing.T, base string) {
	t.Helper()
	for _, b := range l.buyers {
		b.c.base = base
	}
	for id, h := range l.holds {
		var got struct {
			Seats []string `json:"seats"`
		}
		h.buyer.c.must(http.StatusOK, "GET", "/api/v1/holds/"+id, nil, &got)
		require.ElementsMatch(t, h.seats, got.Seats, "hold %s", id)
	}
	for id, h := range l.bookings {
		var got bookingJSON
		h.buyer.c.must(http.StatusOK, "GET", "/api/v1/bookings/"+id, nil, &got)
		require.Equal(t, boxoffice.BookingConfirmed, got.Status, "booking %s", id)
		require.ElementsMatch(t, h.seats, got.Seats, "booking %s", id)
	}
	t.Logf("%s: %d acknowledged holds and %d bookings all there", base, len(l.holds), len(l.bookings))
}
