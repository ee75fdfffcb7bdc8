package cluster

import (
	"context"
	"time"
)

// coalescer turns bursts of membership events into one topology update:
// it calls flush once no event has arrived for quiet, or maxDelay after the
// first event of a burst if events keep coming. A node joining a cluster of
// n sees n joins at once; protoactor rebalances on every update, so one
// update per burst saves n-1 rebalances.
type coalescer struct {
	kick     chan struct{}
	quiet    time.Duration
	maxDelay time.Duration
	flush    func()
}

func newCoalescer(quiet, maxDelay time.Duration, flush func()) *coalescer {
	return &coalescer{kick: make(chan struct{}, 1), quiet: quiet, maxDelay: maxDelay, flush: flush}
}

// Kick notes that something changed. It never blocks, so delegates can
// call it from memberlist's goroutines.
func (c *coalescer) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run flushes bursts until ctx is done.
func (c *coalescer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		if !c.settle(ctx) {
			return
		}
		c.flush()
	}
}

// settle waits for the quiet period; false when ctx ended first.
func (c *coalescer) settle(ctx context.Context) bool {
	limit := time.NewTimer(c.maxDelay)
	defer limit.Stop()
	quiet := time.NewTimer(c.quiet)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-limit.C:
			return true
		case <-quiet.C:
			return true
		case <-c.kick:
			quiet.Reset(c.quiet)
		}
	}
}
