package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The hold-release scenario counts successful durable holds through HTTP:
// worker i holds one seat of its own (seat i of the hall, so no worker
// ever waits for another or finds its seat taken), releases it, and starts
// again. A 201 comes only once the hold is in the seat journal, and a 204
// once the release is, so holds_rps is the rate of durable 1-seat holds,
// the same work per hold as the plain-SQL baseline of BENCHMARKS.md (a
// conditional UPDATE to hold and one to release, per client).
//
// With --showtimes 1 (its default) all workers share one showtime, as
// buyers of a premiere do; with --showtimes N each hold goes to one of N
// showtimes at random, still on the worker's own seat, so every showtime
// is in use even when N is larger than the number of connections.
type holdRelease struct {
	showtimes []string
	seats     []string
	held      atomic.Int64
	refused   atomic.Int64
}

func (s *holdRelease) setup(ctx context.Context, env *Env) error {
	if err := ownSeats(env); err != nil {
		return err
	}
	ids, err := newWarmShowtimes(ctx, env, env.cfg.Showtimes)
	if err != nil {
		return err
	}
	s.showtimes, s.seats = ids, env.venue.Seats
	return nil
}

func (s *holdRelease) step(ctx context.Context, w *Worker, start time.Time) {
	st := s.showtimes[w.rng.IntN(len(s.showtimes))]
	switch holdThenRelease(ctx, w, st, s.seats[w.ID%len(s.seats)], start) {
	case holdDone:
		s.held.Add(1)
	case holdTaken:
		s.refused.Add(1)
	}
}

func (s *holdRelease) figures(elapsed time.Duration) map[string]float64 {
	f := map[string]float64{"holds": float64(s.held.Load()), "holds_refused": float64(s.refused.Load())}
	if elapsed > 0 {
		f["holds_rps"] = float64(s.held.Load()) / elapsed.Seconds()
	}
	return f
}

// ownSeats checks that every connection can have a seat of its own.
func ownSeats(env *Env) error {
	if n := len(env.venue.Seats); n < env.cfg.Connections {
		return fmt.Errorf("%s gives every connection a seat of its own: --seats %d is fewer than --connections %d",
			env.cfg.Scenario, n, env.cfg.Connections)
	}
	return nil
}

// holdOutcome is what one hold-then-release step came to.
type holdOutcome int

const (
	holdDone  holdOutcome = iota // held (201), then released
	holdTaken                    // refused: the worker's own seat is still held
	holdOther                    // any other answer: an error, counted by the recorder
)

// holdThenRelease holds one seat and releases it. A refusal by the hold
// cool-down stops the run: holding the seat it has just released is the
// point of these scenarios, and what the node's cool-down refuses.
func holdThenRelease(ctx context.Context, w *Worker, showtime, seat string, start time.Time) holdOutcome {
	h, r, ok := w.hold(ctx, showtime, []string{seat}, start)
	if !ok {
		if r.reason() == boxoffice.ReasonCooldown {
			w.env.stop(w.env.cfg.Scenario + " holds again the seat it has just released, which the node's hold cool-down refuses: " +
				"start the node with BOXOFFICE_HOLD_CAPS=off (--hold-caps off) to measure raw holds")
			return holdOther
		}
		if r.Status == http.StatusConflict {
			// The seat is still held: an earlier release of this worker
			// got no answer. It frees the seat when the hold expires.
			return holdTaken
		}
		return holdOther
	}
	w.release(ctx, h, time.Now())
	return holdDone
}
