package loadtest

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the loops: the closed loop stops after closedStepsMax steps
// even if the duration has not passed; the open loop sends rate*duration
// arrivals at most and queues at most one second of them (at least
// backlogMin, at most backlogMax) behind busy workers. An arrival that
// finds the queue full is dropped and counted, never silently skipped.
const (
	closedStepsMax = 1_000_000_000
	backlogMin     = 1_000
	backlogMax     = 100_000
	dispatchSleep  = 200 * time.Microsecond // the dispatcher's finest sleep
)

// drive runs the scenario's steps on the workers until the duration has
// passed, the step budget is spent, the scenario stops the run or ctx
// ends. It returns when every worker has finished its last step.
func drive(ctx context.Context, env *Env, sc scenario, workers []*Worker) {
	if env.cfg.OpenLoop() {
		driveOpen(ctx, env, sc, workers)
		return
	}
	deadline := env.start.Add(env.cfg.Duration)
	var steps atomic.Int64
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && !env.isStopped() && time.Now().Before(deadline) && steps.Add(1) <= closedStepsMax {
				sc.step(ctx, w, time.Now())
				env.stepsDone.Add(1)
			}
		})
	}
	wg.Wait()
}

// driveOpen sends arrivals on a constant schedule: arrival i is due at
// start + i/rate. A worker takes the next due arrival and runs a step whose
// latency counts from the due time, so time spent queued behind busy
// workers (a slow server) shows in the figures instead of being omitted.
func driveOpen(ctx context.Context, env *Env, sc scenario, workers []*Worker) {
	rate := env.cfg.Rate
	backlog := min(max(int(rate), backlogMin), backlogMax)
	arrivals := make(chan time.Time, backlog)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for due := range arrivals {
				if ctx.Err() != nil || env.isStopped() {
					env.rec.CountDropped()
					continue
				}
				sc.step(ctx, w, due)
				env.stepsDone.Add(1)
			}
		})
	}
	dispatch(ctx, env, arrivals)
	close(arrivals)
	wg.Wait()
}

// dispatch puts each arrival on the queue when it is due.
func dispatch(ctx context.Context, env *Env, arrivals chan<- time.Time) {
	interval := time.Duration(float64(time.Second) / env.cfg.Rate)
	total := int64(env.cfg.Rate * env.cfg.Duration.Seconds())
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := int64(0); i < total; {
		now := time.Now()
		for ; i < total; i++ {
			due := env.start.Add(time.Duration(i) * interval)
			if due.After(now) {
				break
			}
			if lag := int64(now.Sub(due)); lag > env.dispatchLagMax.Load() {
				env.dispatchLagMax.Store(lag) // only the dispatcher writes it
			}
			select {
			case arrivals <- due:
			default:
				env.rec.CountDropped()
			}
		}
		if i >= total {
			return
		}
		next := env.start.Add(time.Duration(i) * interval)
		timer.Reset(max(time.Until(next), dispatchSleep))
		select {
		case <-ctx.Done():
			return
		case <-env.stopped:
			return
		case <-timer.C:
		}
	}
}
