package loadtest

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// The flash sale: every buyer wants one of few hot seats of one showtime.
// A buyer picks a seat it believes free, holds it and pays at once; a
// loser (409) tries another seat, up to buyerAttemptsMax in one step. One
// step in twenty starts with a look at the seat map, and a buyer who
// believes nothing is free reads the map. When the map shows every seat
// booked the showtime is sold out and the next one goes on sale (a wave),
// so the run measures sale after sale rather than one burst.
const (
	buyerAttemptsMax = 3
	mapReadOneIn     = 20
	// saleStallMax ends a wave whose last seats stay held with nothing
	// happening (a buyer's payment with no answer): its hold would only
	// end at its TTL.
	saleStallMax = 2 * time.Second
	heldWait     = 5 * time.Millisecond
	// bestSeatOneIn: one attempt in four goes for the best free seat, so
	// buyers collide as a crowd does; the others pick at random.
	bestSeatOneIn = 4
)

type flashSale struct {
	slots  *saleSlots
	booked atomic.Int64
}

func (f *flashSale) setup(ctx context.Context, env *Env) error {
	var err error
	f.slots, err = newSaleSlots(ctx, env, 1)
	return err
}

func (f *flashSale) step(ctx context.Context, w *Worker, start time.Time) {
	s := f.slots.get(0)
	if w.rng.IntN(mapReadOneIn) == 0 {
		w.seatMapInto(ctx, s, start)
		start = time.Now()
	}
	for range buyerAttemptsMax {
		seat, ok := s.pickFree(w.rng, w.rng.IntN(bestSeatOneIn) == 0)
		if !ok {
			f.noFreeSeat(ctx, w, s, start)
			return
		}
		h, r, ok := w.hold(ctx, s.id, []string{seat}, start)
		if ok {
			s.mark(seat, true)
			s.touch()
			if _, ok := w.book(ctx, h, time.Now()); ok {
				f.booked.Add(1)
				s.touch()
			}
			return
		}
		if r.Status != http.StatusConflict {
			return
		}
		for _, u := range r.unavailableSeats() {
			s.mark(u, true)
		}
		start = time.Now()
	}
}

// noFreeSeat reads the map: a sold-out (or stalled) wave is replaced by
// the next showtime; while seats are held by buyers who are paying, the
// worker waits a little instead of spinning on the map.
func (f *flashSale) noFreeSeat(ctx context.Context, w *Worker, s *sale, start time.Time) {
	free, held, booked, ok := w.seatMapInto(ctx, s, start)
	switch {
	case !ok:
		w.pause(ctx, heldWait)
	case free > 0:
	case booked == len(s.seats) || s.quietFor() > saleStallMax:
		f.slots.replace(ctx, 0, s)
	case held > 0:
		w.pause(ctx, heldWait)
	}
}

func (f *flashSale) figures(elapsed time.Duration) map[string]float64 {
	return map[string]float64{
		"seats_booked":  float64(f.booked.Load()),
		"bookings_rps":  float64(f.booked.Load()) / elapsed.Seconds(),
		"waves_retired": float64(f.slots.retiredCount()),
	}
}

// seatMapInto reads a sale's map and updates the belief.
func (w *Worker) seatMapInto(ctx context.Context, s *sale, start time.Time) (free, held, booked int, ok bool) {
	m := w.seatMap(ctx, s.id, start)
	if m == nil {
		return 0, 0, 0, false
	}
	free, held, booked = s.observe(m)
	return free, held, booked, true
}
