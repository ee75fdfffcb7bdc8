package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// setupParallelMax is how many showtimes setup creates or warms at once.
const setupParallelMax = 8

// newWarmShowtimes puts n new showtimes on sale and reads each one's seat
// map once, so that the load measures holds on showtimes already loaded on
// the node rather than their first activation.
func newWarmShowtimes(ctx context.Context, env *Env, n int) ([]string, error) {
	ids := make([]string, n)
	errs := make([]error, n)
	sem := make(chan struct{}, setupParallelMax)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			id, err := env.newShowtime(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			ids[i] = id
			w := &Worker{ID: -1 - i, env: env, noStats: true}
			if w.seatMap(ctx, id, time.Now()) == nil {
				errs[i] = fmt.Errorf("setup: the seat map of new showtime %s could not be read", id)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}
