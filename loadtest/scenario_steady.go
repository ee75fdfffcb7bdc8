package loadtest

import (
	"context"
	"sync/atomic"
	"time"
)

// The steady scenario: bookings of one or two seats spread over several
// showtimes (--showtimes), at a constant arrival rate when --rate is
// given. Seats are handed out in order so that buyers do not contend: it
// measures the booking pipeline, not the seat fight. A showtime whose seats
// are all handed out is replaced by a new one.
const steadyMapReadOneIn = 10

type steady struct {
	slots    *saleSlots
	booked   atomic.Int64 // seats
	bookings atomic.Int64
}

func (s *steady) setup(ctx context.Context, env *Env) error {
	var err error
	s.slots, err = newSaleSlots(ctx, env, env.cfg.Showtimes)
	return err
}

func (s *steady) step(ctx context.Context, w *Worker, start time.Time) {
	i, sl := s.slots.pick(w.rng)
	n := int64(1 + w.rng.IntN(2))
	end := sl.cursor.Add(n)
	if end > int64(len(sl.seats)) {
		if sl = s.slots.replace(ctx, i, sl); sl == nil {
			return
		}
		if end = sl.cursor.Add(n); end > int64(len(sl.seats)) {
			return
		}
	}
	seats := sl.seats[end-n : end]
	h, _, ok := w.hold(ctx, sl.id, seats, start)
	if !ok {
		return
	}
	if _, ok := w.book(ctx, h, time.Now()); ok {
		s.booked.Add(n)
		s.bookings.Add(1)
	}
	if w.rng.IntN(steadyMapReadOneIn) == 0 {
		w.seatMap(ctx, sl.id, time.Now())
	}
}

// figures: bookings_rps is confirmed bookings (of one or two seats) per
// second of load.
func (s *steady) figures(elapsed time.Duration) map[string]float64 {
	f := map[string]float64{
		"seats_booked":       float64(s.booked.Load()),
		"bookings":           float64(s.bookings.Load()),
		"showtimes_replaced": float64(s.slots.retiredCount()),
	}
	if elapsed > 0 {
		f["bookings_rps"] = float64(s.bookings.Load()) / elapsed.Seconds()
	}
	return f
}
