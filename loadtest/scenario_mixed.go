package loadtest

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// The mixed scenario: what a day of sales looks like. Each step is one of
// browsing a seat map, buying (hold then pay), holding and releasing,
// holding and abandoning (the hold is left to expire), cancelling one of
// the worker's bookings, or listing one's bookings, with the weights
// below. A showtime with fewer than a tenth of its seats free is replaced.
type mixedAction int

const (
	actBrowse mixedAction = iota
	actBuy
	actRelease
	actAbandon
	actCancel
	actList
)

var mixedWeights = []struct {
	act    mixedAction
	weight int
}{{actBrowse, 35}, {actBuy, 25}, {actRelease, 10}, {actAbandon, 5}, {actCancel, 15}, {actList, 10}}

const (
	mixedSeatsPerHoldMax = 3
	mixedFreeFractionMin = 10 // replace a showtime below 1/10 of its seats free
)

type mixed struct {
	slots     *saleSlots
	booked    atomic.Int64
	abandoned atomic.Int64
	cancelled atomic.Int64
}

func (m *mixed) setup(ctx context.Context, env *Env) error {
	var err error
	m.slots, err = newSaleSlots(ctx, env, env.cfg.Showtimes)
	return err
}

func pickAction(w *Worker) mixedAction {
	n := w.rng.IntN(100)
	for _, a := range mixedWeights {
		if n < a.weight {
			return a.act
		}
		n -= a.weight
	}
	return actBrowse
}

func (m *mixed) step(ctx context.Context, w *Worker, start time.Time) {
	i, sl := m.slots.pick(w.rng)
	switch act := pickAction(w); act {
	case actBrowse:
		m.browse(ctx, w, i, sl, start)
	case actCancel:
		if b, ok := w.takeBooking(); ok {
			w.cancel(ctx, b, start)
			m.cancelled.Add(1)
			return
		}
		w.listBookings(ctx, start)
	case actList:
		w.listBookings(ctx, start)
	default:
		m.holdFor(ctx, w, i, sl, act, start)
	}
}

// browse reads a map; a nearly sold-out showtime makes way for a new one.
func (m *mixed) browse(ctx context.Context, w *Worker, i int, sl *sale, start time.Time) {
	free, _, _, ok := w.seatMapInto(ctx, sl, start)
	if ok && free*mixedFreeFractionMin < len(sl.seats) {
		m.slots.replace(ctx, i, sl)
	}
}

// holdFor holds one to three seats believed free, then buys, releases or
// abandons them.
func (m *mixed) holdFor(ctx context.Context, w *Worker, i int, sl *sale, act mixedAction, start time.Time) {
	seats := w.user.notCooling(sl.id, sl.pickFreeN(w.rng, 1+w.rng.IntN(mixedSeatsPerHoldMax)))
	if len(seats) == 0 {
		m.browse(ctx, w, i, sl, start)
		return
	}
	h, r, ok := w.hold(ctx, sl.id, seats, start)
	if !ok {
		if r.Status == http.StatusConflict {
			for _, s := range r.unavailableSeats() {
				sl.mark(s, true)
			}
		}
		return
	}
	for _, s := range seats {
		sl.mark(s, true)
	}
	switch act {
	case actBuy:
		if b, ok := w.book(ctx, h, time.Now()); ok {
			m.booked.Add(int64(len(seats)))
			w.keepBooking(b)
		}
	case actAbandon:
		if w.user.abandon(h.Expires) {
			w.user.gaveUp(sl.id, seats, h.Expires)
			m.abandoned.Add(1)
			return
		}
		fallthrough // the user's last abandoned hold is still live: the node would cap the next holds
	case actRelease:
		w.release(ctx, h, time.Now())
		w.user.gaveUp(sl.id, seats, time.Now())
		for _, s := range seats {
			sl.mark(s, false)
		}
	}
}

func (m *mixed) figures(elapsed time.Duration) map[string]float64 {
	return map[string]float64{
		"seats_booked":       float64(m.booked.Load()),
		"holds_abandoned":    float64(m.abandoned.Load()),
		"cancellations":      float64(m.cancelled.Load()),
		"showtimes_replaced": float64(m.slots.retiredCount()),
	}
}
