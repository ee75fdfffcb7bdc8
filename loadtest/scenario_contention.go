package loadtest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The hold-contention scenario measures hold attempts on seats already
// taken against GET /healthz on the same server, with the same client and
// workers, in the same run: the run alternates phases of health checks and
// of hold attempts (1 s each, or a tenth of a short run), so both see the
// same machine. Every seat of its showtime is booked during setup, so every
// hold attempt is refused (409) after the grain has looked at the seats.
// The figures are each kind's rate over its own phases and their ratio.
//
// The healthz scenario is GET /healthz alone: the HTTP ceiling of a node,
// to choose an open-loop rate from.
const (
	contentionPhase     = time.Second
	contentionPhasesMin = 10
)

type holdContention struct {
	env      *Env
	showtime string
	seats    []string
	phase    time.Duration
	healthN  atomic.Int64
	holdN    atomic.Int64
}

func (c *holdContention) setup(ctx context.Context, env *Env) error {
	id, err := env.newShowtime(ctx)
	if err != nil {
		return err
	}
	c.env, c.showtime, c.seats = env, id, env.venue.Seats
	c.phase = min(contentionPhase, env.cfg.Duration/contentionPhasesMin)
	w := &Worker{ID: -1, env: env, user: env.users[0], noStats: true}
	for i := 0; i < len(c.seats); i += boxoffice.HoldSeatsMax {
		chunk := c.seats[i:min(i+boxoffice.HoldSeatsMax, len(c.seats))]
		h, r, ok := w.hold(ctx, id, chunk, time.Now())
		if !ok {
			return fmt.Errorf("hold-contention setup: hold %v: %s %s", chunk, r.Outcome(), truncate(r.Body, 200))
		}
		if _, ok := w.book(ctx, h, time.Now()); !ok {
			return fmt.Errorf("hold-contention setup: booking of %v failed", chunk)
		}
	}
	return nil
}

// healthPhase tells whether t falls in a health-check phase (the even ones).
func (c *holdContention) healthPhase(t time.Time) bool {
	return int64(t.Sub(c.env.start)/c.phase)%2 == 0
}

func (c *holdContention) step(ctx context.Context, w *Worker, start time.Time) {
	if c.healthPhase(start) {
		w.health(ctx, start)
		c.healthN.Add(1)
		return
	}
	seat := c.seats[w.rng.IntN(len(c.seats))]
	w.hold(ctx, c.showtime, []string{seat}, start)
	c.holdN.Add(1)
}

// phaseTimes splits elapsed into the time spent in each kind of phase.
func (c *holdContention) phaseTimes(elapsed time.Duration) (health, hold time.Duration) {
	for t := time.Duration(0); t < elapsed; t += c.phase {
		d := min(c.phase, elapsed-t)
		if int64(t/c.phase)%2 == 0 {
			health += d
		} else {
			hold += d
		}
	}
	return health, hold
}

func (c *holdContention) figures(elapsed time.Duration) map[string]float64 {
	health, hold := c.phaseTimes(elapsed)
	f := map[string]float64{"phase_s": c.phase.Seconds()}
	if health > 0 && hold > 0 {
		f["healthz_rps"] = float64(c.healthN.Load()) / health.Seconds()
		f["hold_rps"] = float64(c.holdN.Load()) / hold.Seconds()
		// In the open loop both rates are the arrival rate unless the node
		// falls behind: their ratio would say nothing.
		if f["healthz_rps"] > 0 && !c.env.cfg.OpenLoop() {
			f["hold_to_healthz"] = f["hold_rps"] / f["healthz_rps"]
		}
	}
	return f
}

type healthz struct{}

func (healthz) setup(context.Context, *Env) error { return nil }

func (healthz) step(ctx context.Context, w *Worker, start time.Time) { w.health(ctx, start) }

func (healthz) figures(time.Duration) map[string]float64 { return nil }
