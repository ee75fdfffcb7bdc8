package loadtest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ScaleSteps are the numbers of showtimes the scale scenario spreads its
// holds over, one phase each, in this order, unless Config.ScaleSteps says
// otherwise.
var ScaleSteps = []int{1, 10, 100, 1000}

// The scale scenario is hold-release over more and more showtimes: the
// run is cut into one equal phase per step (Config.ScaleSteps), and in each
// phase every hold (each worker on a seat of its own, then its release)
// goes to one of that step's showtimes at random. The figures are the
// durable holds per second of each phase, keyed scaleFigure(n), and the
// ratio of the widest spread to ten showtimes; the HTML report draws them
// as a curve. All showtimes are created and loaded before the clock
// starts, so a phase measures holds, not activations.
type scale struct {
	env       *Env
	steps     []int
	showtimes []string
	seats     []string
	phase     time.Duration
	held      []atomic.Int64
}

// scaleFigure names the holds/s figure of the phase over n showtimes.
func scaleFigure(n int) string { return scaleFigurePrefix + strconv.Itoa(n) }

const scaleFigurePrefix = "holds_rps_showtimes_"

// ScaleRatioFigure names the ratio of holds/s over 1000 showtimes to
// holds/s over ten, when the run had both steps.
const ScaleRatioFigure = "holds_1000_to_10"

func (s *scale) setup(ctx context.Context, env *Env) error {
	if err := ownSeats(env); err != nil {
		return err
	}
	s.steps = env.cfg.ScaleSteps
	ids, err := newWarmShowtimes(ctx, env, s.steps[len(s.steps)-1])
	if err != nil {
		return err
	}
	s.env, s.showtimes, s.seats = env, ids, env.venue.Seats
	s.phase = env.cfg.Duration / time.Duration(len(s.steps))
	s.held = make([]atomic.Int64, len(s.steps))
	return nil
}

// phaseAt is the index of the phase t falls in.
func (s *scale) phaseAt(t time.Time) int {
	return min(max(int(t.Sub(s.env.start)/s.phase), 0), len(s.steps)-1)
}

func (s *scale) step(ctx context.Context, w *Worker, start time.Time) {
	k := s.phaseAt(start)
	st := s.showtimes[w.rng.IntN(s.steps[k])]
	if holdThenRelease(ctx, w, st, s.seats[w.ID%len(s.seats)], start) == holdDone {
		s.held[k].Add(1)
	}
}

func (s *scale) figures(elapsed time.Duration) map[string]float64 {
	f := map[string]float64{"phase_s": s.phase.Seconds()}
	for k, n := range s.steps {
		// The last phase runs until the load ends, which may be later
		// than its share of the duration (an open loop draining).
		d := min(s.phase, elapsed-time.Duration(k)*s.phase)
		if k == len(s.steps)-1 {
			d = elapsed - time.Duration(k)*s.phase
		}
		if d > 0 {
			f[scaleFigure(n)] = float64(s.held[k].Load()) / d.Seconds()
		}
	}
	ten, okTen := f[scaleFigure(10)]
	most, okMost := f[scaleFigure(1000)]
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

// ScalePoints reads the scale curve out of a report's figures, by number
// of showtimes.
func ScalePoints(figures map[string]float64) []ScalePoint {
	var out []ScalePoint
	for k, v := range figures {
		if rest, ok := strings.CutPrefix(k, scaleFigurePrefix); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				out = append(out, ScalePoint{Showtimes: n, HoldsRPS: v})
			}
		}
	}
	slices.SortFunc(out, func(a, b ScalePoint) int { return a.Showtimes - b.Showtimes })
	return out
}
