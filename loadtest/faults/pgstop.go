package faults

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// The pg-stop nemesis measures what the product promises when its
// database goes away: every node answers 503 within 2 s (it never hangs)
// while PostgreSQL is down, and serves again by itself once it is back,
// with no restart of its process. A probe per node reads the catalog
// (GET /api/v1/movies, a store read) every pgProbeEvery.
const (
	pgProbeEvery  = 100 * time.Millisecond
	pgProbePath   = "/api/v1/movies?limit=1"
	pgRecoverMax  = 60 * time.Second
	pgAnswerBound = 2 * time.Second
)

// pgWatch is the probes of one outage.
type pgWatch struct {
	stopped, started time.Time
	pids             []int

	mu        sync.Mutex
	first503  []time.Duration // after the stop; -1 until seen
	answerMax time.Duration   // slowest probe answer while the server was down
	slow      int             // probes answered later than pgAnswerBound, or not at all
	cancel    context.CancelFunc
	done      chan struct{}
}

func beginPGStop(ctx context.Context, f *fault) error {
	n := f.nw.n
	w := &pgWatch{first503: make([]time.Duration, n), done: make(chan struct{})}
	for i := range n {
		w.first503[i] = -1
		w.pids = append(w.pids, f.c.pid(i))
	}
	f.pg.Stop()
	w.stopped = time.Now()
	pctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	go w.probe(pctx, f, n)
	f.pgw = w
	return nil
}

func (w *pgWatch) probe(ctx context.Context, f *fault, n int) {
	defer close(w.done)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				st := get(ctx, f.c.URL(i)+pgProbePath)
				d := time.Since(t0)
				w.mu.Lock()
				if d > w.answerMax {
					w.answerMax = d
				}
				if st == 0 || d > pgAnswerBound {
					w.slow++
				}
				if st == http.StatusServiceUnavailable && w.first503[i] < 0 {
					w.first503[i] = time.Since(w.stopped)
				}
				w.mu.Unlock()
				sleepCtx(ctx, pgProbeEvery)
			}
		})
	}
	wg.Wait()
}

func healPGStop(ctx context.Context, f *fault) error {
	w := f.pgw
	if w == nil {
		f.pg.Start()
		return nil
	}
	f.pgw = nil
	w.cancel()
	<-w.done
	f.pg.Start()
	w.started = time.Now()
	f.measures = map[string]float64{}
	worst503 := time.Duration(0)
	for i, d := range w.first503 {
		if d < 0 {
			f.note("%s never answered 503 while PostgreSQL was down", f.c.name(i))
			worst503 = -1
			break
		}
		worst503 = max(worst503, d)
	}
	f.measures["first_503_s"] = worst503.Seconds()
	f.measures["answer_max_s"] = w.answerMax.Seconds()
	f.measures["slow_answers"] = float64(w.slow)
	// Recovery: every node serves the catalog again, same process.
	deadline := time.Now().Add(pgRecoverMax)
	recovered := make([]bool, f.nw.n)
	for left := f.nw.n; left > 0 && time.Now().Before(deadline); sleepCtx(ctx, pgProbeEvery) {
		for i := range recovered {
			if !recovered[i] && get(ctx, f.c.URL(i)+pgProbePath) == http.StatusOK {
				recovered[i] = true
				left--
			}
		}
		if left == 0 {
			break
		}
	}
	f.measures["recover_s"] = time.Since(w.started).Seconds()
	for i, ok := range recovered {
		if !ok {
			f.note("%s did not serve the catalog within %s of PostgreSQL's start", f.c.name(i), pgRecoverMax)
			f.measures["recover_s"] = -1
		}
		if pid := f.c.pid(i); pid != w.pids[i] {
			f.note("%s's process changed (pid %d -> %d): it did not recover by itself", f.c.name(i), w.pids[i], pid)
			f.measures["restarted"]++
		}
	}
	return nil
}

// get sends a GET and returns its status, 0 for no answer within the
// probe timeout.
func get(ctx context.Context, u string) int {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout+time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	res, err := probeClient.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
