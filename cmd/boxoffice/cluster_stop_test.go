package main_test

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/internal/testwait"
)

// stopUnderLoad: buyers load a showtime hosted on a node other than n1
// through every node; that node gets SIGTERM. It must exit 0 within 10s,
// the survivors must serve the showtime at once (it left, so nobody waits
// for a failure detector), and every acknowledged booking, those that
// were in flight on it included, must be intact.
func (r *clusterRun) stopUnderLoad(t *testing.T) {
	var all []*member
	for _, m := range r.nodes {
		all = append(all, m)
	}
	cat := newCatalog(t, r.admin, "ABC", 10)
	st, host := showtimeAwayFrom(t, cat, r.admin, "n1", all...)
	victim := r.nodes[host]
	var gateways atomic.Pointer[[]*member]
	gateways.Store(&all)
	l := newLedger()
	stop := make(chan struct{})
	wg := load(r.buyers, func() []*member { return *gateways.Load() }, []string{st}, seatIDs("ABC", 10), l, stop)
	testwait.Until(t, 20*time.Second, "bookings before SIGTERM", func() bool { return l.ok.Load() >= 5 })
	began := time.Now()
	victim.Signal(syscall.SIGTERM)
	var survivors []*member
	for _, m := range all {
		if m != victim {
			survivors = append(survivors, m)
		}
	}
	gateways.Store(&survivors)
	probe := newClient(t, survivors[0].URL)
	probe.http = quickHTTP
	var served time.Duration
	for served == 0 {
		if code, err := probe.do("GET", "/api/v1/showtimes/"+st+"/seats", nil, nil); err == nil && code == 200 {
			// Served, but maybe still by the stopping node: count it
			// once a survivor hosts the showtime.
			for _, m := range survivors {
				if v, err := view(t, r.admin, m); err == nil && slices.Contains(v.Showtimes, st) {
					served = time.Since(began)
				}
			}
		}
		require.Less(t, time.Since(began), 10*time.Second, "showtime not served after SIGTERM of %s", host)
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-victim.Done():
	case <-time.After(10*time.Second - time.Since(began)):
		t.Fatalf("%s did not exit within 10s of SIGTERM", host)
	}
	stopped := time.Since(began)
	require.Zero(t, victim.Cmd.ProcessState.ExitCode(), "exit code of %s", host)
	delete(r.nodes, host)
	// The survivors answer the buyers some more (three requests a buyer on
	// average) before the audit; the seats may all be sold by then, so any
	// answer counts.
	answered := l.answered()
	testwait.Until(t, 20*time.Second, "requests answered after the exit", func() bool {
		return l.answered() >= answered+3*len(r.buyers)
	})
	close(stop)
	wg.Wait()
	_, booked := audit(t, r.stores, l, st)
	t.Logf("SIGTERM of %s under load: exited 0 after %v; survivors served its showtime after %v; %s; %d seats booked",
		host, stopped.Round(time.Millisecond), served.Round(time.Millisecond), l, booked)
}

// stopAll stops the remaining nodes together with SIGTERM: each must leave
// and exit 0 within 10s.
func (r *clusterRun) stopAll(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, len(r.nodes))
	for name, m := range r.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			if err := m.Stop(10 * time.Second); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				return
			}
			t.Logf("%s stopped in %v", name, time.Since(began).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
