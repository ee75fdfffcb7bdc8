package cluster

import (
	"context"
	"sync/atomic"
	"time"
)

// pauseTick is how often the pause watch notes that the process runs.
const pauseTick = 100 * time.Millisecond

// pauseWatch notices that this process stood still: stopped with SIGSTOP,
// a frozen VM, a host that did not schedule it. A node that stood still
// longer than its peers take to declare a node dead has most likely been
// declared dead, and protoactor on the peers has blocked its id for good;
// yet when it runs again its own view still says it owns its showtimes.
// The peers tell it so (the blocked notice), but that takes a gossip round
// or two; the watch fences the node from the first instant instead. Both
// the ticker and every check look at the gap since the last tick, so the
// first Health after a resume already sees it, before the ticker has run.
type pauseWatch struct {
	limit     time.Duration // a gap longer than this is a pause
	probation time.Duration // how long a pause fences the node
	base      time.Time     // monotonic origin of the fields below
	beat      atomic.Int64  // ns since base: the last tick
	until     atomic.Int64  // ns since base: fenced until
	gap       atomic.Int64  // ns: the pause that set until
	onPause   func(time.Duration)
}

func newPauseWatch(limit, probation time.Duration, onPause func(time.Duration)) *pauseWatch {
	w := &pauseWatch{limit: limit, probation: probation, base: time.Now(), onPause: onPause}
	return w
}

func (w *pauseWatch) since(t time.Time) int64 { return int64(t.Sub(w.base)) }

// run ticks until ctx is done.
func (w *pauseWatch) run(ctx context.Context) {
	w.advance(time.Now())
	t := time.NewTicker(pauseTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// The tick's own time may be from before a pause.
			now := time.Now()
			w.check(now)
			w.advance(now)
		}
	}
}

// advance moves the beat to now, never back: a check on another goroutine
// may have moved it further already.
func (w *pauseWatch) advance(now time.Time) {
	n := w.since(now)
	for {
		last := w.beat.Load()
		if n <= last || w.beat.CompareAndSwap(last, n) {
			return
		}
	}
}

// check records a pause if the last tick is older than the limit, and
// reports whether it did (the first to see a given pause does).
func (w *pauseWatch) check(now time.Time) bool {
	last := w.beat.Load()
	if last == 0 {
		return false // not running yet
	}
	n := w.since(now)
	gap := time.Duration(n - last)
	if gap <= w.limit {
		return false
	}
	// Only one caller per pause: move the beat forward so the next check
	// sees no gap.
	if !w.beat.CompareAndSwap(last, n) {
		return false
	}
	w.gap.Store(int64(gap))
	w.until.Store(n + int64(w.probation))
	if w.onPause != nil {
		w.onPause(gap)
	}
	return true
}

// fenced reports whether a recent pause still fences the node, and how
// long that pause was.
func (w *pauseWatch) fenced(now time.Time) (bool, time.Duration) {
	if w == nil {
		return false, 0
	}
	w.check(now)
	if w.since(now) < w.until.Load() {
		return true, time.Duration(w.gap.Load())
	}
	return false, 0
}
