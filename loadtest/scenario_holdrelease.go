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
// conditional UPDATE to hold and one to release, per client). All workers
// share one showtime, as buyers of a premiere do.
type holdRelease struct {
	showtime string
	seats    []string
	held     atomic.Int64
	refused  atomic.Int64
}

func (s *holdRelease) setup(ctx context.Context, env *Env) error {
	if n := len(env.venue.Seats); n < env.cfg.Connections {
		return fmt.Errorf("hold-release gives every connection a seat of its own: --seats %d is fewer than --connections %d", n, env.cfg.Connections)
	}
	id, err := env.newShowtime(ctx)
	if err != nil {
		return err
	}
	s.showtime, s.seats = id, env.venue.Seats
	return nil
}

func (s *holdRelease) step(ctx context.Context, w *Worker, start time.Time) {
	seat := s.seats[w.ID%len(s.seats)]
	h, r, ok := w.hold(ctx, s.showtime, []string{seat}, start)
	if !ok {
		if r.reason() == boxoffice.ReasonCooldown {
			// Holding the seat it has just released is the point of this
			// scenario, and what the node's cool-down refuses.
			w.env.stop("hold-release holds again the seat it has just released, which the node's hold cool-down refuses: " +
				"start the node with BOXOFFICE_HOLD_CAPS=off (--hold-caps off) to measure raw holds")
			return
		}
		if r.Status == http.StatusConflict {
			// The seat is still held: an earlier release of this worker
			// got no answer. It frees the seat when the hold expires.
			s.refused.Add(1)
		}
		return
	}
	s.held.Add(1)
	w.release(ctx, h, time.Now())
}

func (s *holdRelease) figures(elapsed time.Duration) map[string]float64 {
	f := map[string]float64{"holds": float64(s.held.Load()), "holds_refused": float64(s.refused.Load())}
	if elapsed > 0 {
		f["holds_rps"] = float64(s.held.Load()) / elapsed.Seconds()
	}
	return f
}
