package actors

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestDispatcherRunsEverything schedules from many goroutines at once and
// checks every function runs exactly once, that idle goroutines are reused,
// and that none is left after stop.
func TestDispatcherRunsEverything(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := newDispatcher()
	const senders, each = 16, 2000
	var ran [senders * each]atomic.Int32
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				wg.Add(1)
				d.Schedule(func() {
					defer wg.Done()
					ran[s*each+i].Add(1)
				})
			}
		})
	}
	wg.Wait()
	for i := range ran {
		require.EqualValues(t, 1, ran[i].Load(), "function %d", i)
	}
	d.stop()
	d.Schedule(func() {}) // after stop: still runs, on a goroutine that exits
}

// TestDispatcherReusesGoroutines checks that work handed out one piece at
// a time runs on the goroutine that is already waiting.
func TestDispatcherReusesGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d := newDispatcher()
	defer d.stop()
	ids := make(chan uint64, 1)
	gid := func() uint64 {
		var buf [64]byte
		n := runtime.Stack(buf[:], false)
		var id uint64
		for _, c := range buf[len("goroutine "):n] {
			if c < '0' || c > '9' {
				break
			}
			id = id*10 + uint64(c-'0')
		}
		return id
	}
	d.Schedule(func() { ids <- gid() })
	first := <-ids
	reused := 0
	for range 20 {
		testwait.Until(t, 10*time.Second, "the worker waits for work", func() bool { return waitingForWork(first) })
		d.Schedule(func() { ids <- gid() })
		if <-ids == first {
			reused++
		}
	}
	// A goroutine per Schedule (protoactor's default) never reuses one.
	t.Logf("%d of 20 ran on the first goroutine", reused)
	assert.Positive(t, reused, "the waiting goroutine takes the next piece of work")
	assert.Equal(t, 20, reused, "work handed to a waiting goroutine ran elsewhere")
}

// waitingForWork tells whether goroutine id is parked in the select of
// dispatcher.run: then it is queued on the work channel, and the next
// Schedule hands it the work.
func waitingForWork(id uint64) bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		header, frames, _ := strings.Cut(g, "\n")
		if strings.HasPrefix(header, fmt.Sprintf("goroutine %d [select", id)) {
			return strings.Contains(frames, "actors.(*dispatcher).run(")
		}
	}
	return false
}
