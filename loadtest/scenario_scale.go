package loadtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// ScaleSteps are the numbers of showtimes the scale scenario spreads its
// holds over, one phase each, in this order.
var ScaleSteps = []int{1, 10, 100, 1000}

// The scale scenario is hold-release over more and more showtimes: the
// run is cut into one equal phase per step of ScaleSteps, and in each
// phase every hold (each worker on a seat of its own, then its release)
// goes to one of that step's showtimes at random. The figures are the
// durable holds per second of each phase, keyed scaleFigure(n), and the
// ratio of the widest spread to ten showtimes; the HTML report draws them
// as a curve. All showtimes are created and loaded before the clock
// starts, so a phase measures holds, not activations.
type scale struct {
	env       *Env
	showtimes []string
	seats     []string
	phase     time.Duration
	held      []atomic.Int64
}

// scaleFigure names the holds/s figure of the phase over n showtimes.
func scaleFigure(n int) string { return fmt.Sprintf("holds_rps_showtimes_%d", n) }

// ScaleRatioFigure names the ratio of holds/s over the most showtimes to
// holds/s over ten.
const ScaleRatioFigure = "holds_1000_to_10"

func (s *scale) setup(ctx context.Context, env *Env) error {
	if err := ownSeats(env); err != nil {
		return err
	}
	ids, err := newWarmShowtimes(ctx, env, ScaleSteps[len(ScaleSteps)-1])
	if err != nil {
		return err
	}
	s.env, s.showtimes, s.seats = env, ids, env.venue.Seats
	s.phase = env.cfg.Duration / time.Duration(len(ScaleSteps))
	s.held = make([]atomic.Int64, len(ScaleSteps))
	return nil
}

// phaseAt is the index of the phase t falls in.
func (s *scale) phaseAt(t time.Time) int {
	return min(max(int(t.Sub(s.env.start)/s.phase), 0), len(ScaleSteps)-1)
}

func (s *scale) step(ctx context.Context, w *Worker, start time.Time) {
	k := s.phaseAt(start)
	st := s.showtimes[w.rng.IntN(ScaleSteps[k])]
	if holdThenRelease(ctx, w, st, s.seats[w.ID%len(s.seats)], start) == holdDone {
		s.held[k].Add(1)
	}
}

func (s *scale) figures(elapsed time.Duration) map[string]float64 {
	f := map[string]float64{"phase_s": s.phase.Seconds()}
	for k, n := range ScaleSteps {
		// The last phase runs until the load ends, which may be later
		// than its share of the duration (an open loop draining).
		d := min(s.phase, elapsed-time.Duration(k)*s.phase)
		if k == len(ScaleSteps)-1 {
			d = elapsed - time.Duration(k)*s.phase
		}
		if d > 0 {
			f[scaleFigure(n)] = float64(s.held[k].Load()) / d.Seconds()
		}
	}
	ten, okTen := f[scaleFigure(10)]
	most, okMost := f[scaleFigure(ScaleSteps[len(ScaleSteps)-1])]
	if okTen && okMost && ten > 0 {
		f[ScaleRatioFigure] = most / ten
	}
	return f
}

// ScalePoint is one point of the scale curve.
type ScalePoint struct {
	Showtimes int
	HoldsRPS  float64
}

// ScalePoints reads the scale curve out of a report's figures, in the
// order of ScaleSteps; steps without a figure are left out.
func ScalePoints(figures map[string]float64) []ScalePoint {
	var out []ScalePoint
	for _, n := range ScaleSteps {
		if v, ok := figures[scaleFigure(n)]; ok {
			out = append(out, ScalePoint{Showtimes: n, HoldsRPS: v})
		}
	}
	return out
}
