package loadtest

import (
	"fmt"
	"io"
	"time"
)

// progressEvery is how often the live line is printed.
const progressEvery = time.Second

// progress prints one line a second while the load runs: the last
// second's rate, errors and latency, and the totals so far.
func progress(w io.Writer, rec *Recorder, start time.Time, total time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			sec, ok := rec.Tick(now)
			if !ok {
				continue
			}
			reqs, errs := rec.Totals()
			pct := 0.0
			if sec.Requests > 0 {
				pct = 100 * float64(sec.Errors) / float64(sec.Requests)
			}
			fmt.Fprintf(w, "[%5.1fs/%s] %8d req/s  errors %d (%.1f%%)  p50 %.2fms  p99 %.2fms  max %.2fms  | total %d requests, %d errors\n",
				now.Sub(start).Seconds(), total, sec.Requests, sec.Errors, pct, sec.P50Ms, sec.P99Ms, sec.MaxMs, reqs, errs)
		}
	}
}
