package actors_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/leaktest"
	"github.com/boxoffice/boxoffice/internal/racedetect"
)

// BenchmarkShowtimeHold measures hold+release cycles on one 500-seat
// showtime from 64 parallel clients (one seat each), through the cluster
// request path and the grain: against SQLite, and against a seat store that
// stores nothing, which leaves the grain's (and protoactor's) own cost.
// One op is a hold and its release: two commands, two events. The
// showtimes=N cases spread the clients over N showtimes, each client moving
// to the next after every op, so that the node's journal committer has to
// gather many showtimes' batches into each write.
func BenchmarkShowtimeHold(b *testing.B) {
	cases := []struct {
		name      string
		seats     func(boxoffice.SeatStore) boxoffice.SeatStore
		showtimes int
	}{
		{"sqlite", nil, 1},
		{"nostore", func(boxoffice.SeatStore) boxoffice.SeatStore { return noopSeats{} }, 1},
		{"sqlite/showtimes=100", nil, 100},
		{"sqlite/showtimes=1000", nil, 1000},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			stores := MustOpenStores(b)
			ids := []string{MustCreateShowtime(b, stores, time.Now().Add(48*time.Hour))}
			for i := 1; i < bc.showtimes; i++ {
				ids = append(ids, mustAddShowtime(b, stores, ids[0], time.Now().Add(time.Duration(48+3*i)*time.Hour)))
			}
			flushes := &flushMeter{}
			seats := bc.seats
			if seats == nil {
				seats = flushes.wrap
			}
			e := MustOpenShowtimes(b, ShowtimeOptions{Stores: stores, ShowtimeID: ids[0], Seats: seats})
			ctx := context.Background()
			for _, id := range ids {
				if _, err := e.Holds().SeatMap(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
			flushes.reset()
			var clients atomic.Int64
			b.SetParallelism(32)
			n := int64(32 * runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				c := clients.Add(1) - 1
				user := fmt.Sprintf("bench-%d", c)
				seat := seatIDs(int(c%500), 1)
				for k := int64(0); pb.Next(); k++ {
					st := ids[(c+k*n)%int64(len(ids))]
					h, err := e.Holds().Hold(ctx, st, user, seat)
					if err == nil {
						err = e.Holds().ReleaseHold(ctx, h.ID, boxoffice.Caller{UserID: user})
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "holds/s")
			// CPU time says what a hold costs even on a busy machine, where
			// holds/s mostly says how much CPU the process was given.
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
			flushes.report(b)
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestShowtimeMemory: an active 500-seat showtime with 50 live holds of 5
// seats and 10 bookings keeps at most 100 KiB of heap. Not parallel: it
// measures the whole heap.
func TestShowtimeMemory(t *testing.T) {
	if testing.Short() || racedetect.Enabled {
		t.Skip("measures the heap: not in -short, and -race inflates it")
	}
	const limit = 100 << 10
	per := showtimeMemory(t, 20)
	t.Logf("%.0f bytes (%.1f KiB) per active showtime", per, per/1024)
	if per > limit {
		t.Fatalf("%.0f bytes per showtime, want <= %d", per, limit)
	}
}

// showtimeMemory activates n showtimes of one hall (a hall's week of
// screenings: what a seat map may share with its hall is not counted per
// showtime), fills each, and returns the heap growth per showtime after a
// GC. A few showtimes filled first warm up pools and caches.
func showtimeMemory(tb testing.TB, n int) float64 {
	const warm = 3
	stores := MustOpenStores(tb)
	ids := []string{MustCreateShowtime(tb, stores, time.Now().Add(48*time.Hour))}
	for i := 1; i < n+warm; i++ {
		ids = append(ids, mustAddShowtime(tb, stores, ids[0], time.Now().Add(time.Duration(48+3*i)*time.Hour)))
	}
	e := MustOpenShowtimes(tb, ShowtimeOptions{Stores: stores, ShowtimeID: ids[0]})
	for _, id := range ids[:warm] {
		fillShowtime(tb, e, id)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, id := range ids[warm:] {
		fillShowtime(tb, e, id)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, id := range ids { // the activations are alive up to here
		if _, err := e.Holds().SeatMap(testCtx(tb), id); err != nil {
			tb.Fatal(err)
		}
	}
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// fillShowtime places 60 holds of 5 seats (10 clients at once) and
// confirms 10 of them.
func fillShowtime(tb testing.TB, e *ShowtimeEnv, id string) {
	ctx := testCtx(tb)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for c := range 10 {
		wg.Go(func() {
			user := fmt.Sprintf("mem-%d", c)
			for i := range 6 {
				h, err := e.Holds().Hold(ctx, id, user, seatIDs((c*6+i)*5, 5))
				if err == nil && i == 0 {
					_, err = e.Holds().Confirm(ctx, h.ID, user, boxoffice.NewID())
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// TestShowtimeLeavesNoGoroutines: once its node stops, nothing a showtime
// grain started is still running: writes, expiry timers, parked watchers.
// Not parallel: it looks at every goroutine.
func TestShowtimeLeavesNoGoroutines(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	var watchErr error
	t.Run("work", func(t *testing.T) {
		e := MustOpenShowtimes(t, ShowtimeOptions{HoldTTL: time.Minute})
		ctx := testCtx(t)
		churn(t, e, 8, 5)
		if _, err := e.Holds().Hold(ctx, e.ShowtimeID, "alice", []string{"A1"}); err != nil {
			t.Fatal(err) // arms the expiry timer
		}
		_, version := seatStatuses(t, e)
		got := watchParked(t, ctx, e, version)
		start := time.Now()
		MustStopNode(t, e.Node)
		select {
		case r := <-got:
			watchErr = r.err
		case <-time.After(10 * time.Second):
			t.Fatal("a parked watcher outlived its node by 10s")
		}
		t.Logf("node stopped, watcher answered after %v", time.Since(start))
	})
	if watchErr == nil {
		t.Error("a watcher parked on a stopped node got no error")
	}
	goleak.VerifyNone(t, leaktest.Options(ignore)...)
}
