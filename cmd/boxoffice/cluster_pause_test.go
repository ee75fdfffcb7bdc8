package main_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pause: a showtime hosted on n3 with one seat sold through n3. n3 is
// stopped with SIGSTOP; the others declare it dead and sell five more
// seats of that showtime through n1. n3 is resumed: whatever it is asked
// through its own gateway, it must not sell one of those seats (its old
// activation is fenced by self-fencing and by the journal's sequence, and
// its new member loads the journal), and it rejoins by itself under a new
// member id, ready again within rejoinWithin. It then stops cleanly within
// 10s, and starts again under the same name.
func (r *clusterRun) pause(t *testing.T) {
	n1, n3 := r.nodes["n1"], r.nodes["n3"]
	cat := newCatalog(t, r.admin, "A", 10)
	st := ""
	for i := 0; i < 40 && st == ""; i++ {
		if s := cat.showtime(); hostOf(t, r.admin, s, r.live("n1", "n2", "n3")...) == "n3" {
			st = s
		}
	}
	require.NotEmpty(t, st, "no showtime landed on n3")
	l := newLedger()
	u := *r.buyers[0]
	u.base = n3.URL
	id, code := buy(&u, st, []string{"A1"})
	require.Equal(t, 201, code, "A1 through n3")
	l.record(st, id, []string{"A1"}, code)

	n3.pause()
	paused := time.Now()
	u.base = n1.URL
	u.http = quickHTTP
	// Sell five more seats through n1. A seat whose hold succeeded but
	// whose booking did not stays held: go on with the next one.
	var served time.Duration
	sold := map[string]bool{"A1": true}
	for _, seat := range seatIDs("A", 10)[1:] {
		for len(sold) < 6 {
			id, code := buy(&u, st, []string{seat})
			l.record(st, id, []string{seat}, code)
			if code == 201 {
				sold[seat] = true
				if served == 0 {
					served = time.Since(paused)
				}
			}
			if code != 503 && code != 0 {
				break
			}
			require.Less(t, time.Since(paused), 30*time.Second, "%s not sold through n1 (%s)", seat, l)
			time.Sleep(100 * time.Millisecond)
		}
	}
	require.Len(t, sold, 6, "seats sold through n1 while n3 was paused: %s", l)
	waitView(t, r.admin, n1, 15*time.Second, "n3 dead", func(v clusterView) bool { return v.has("n3", "dead") })
	t.Logf("n3 paused: the others sold its showtime's seats again %v after the pause (%s)", served.Round(time.Millisecond), l)
	time.Sleep(time.Second)
	pausedFor := time.Since(paused)
	n3.cont()

	// Buyers at n3's gateway the moment it runs again, for 3s.
	seats := seatIDs("A", 10)
	var (
		mu       sync.Mutex
		outcomes = map[int]int{}
		breaches []string
		wg       sync.WaitGroup
	)
	until := time.Now().Add(3 * time.Second)
	for i := range 4 {
		wg.Add(1)
		go func(u client) {
			defer wg.Done()
			u.base, u.http = n3.URL, quickHTTP
			for k := 0; time.Now().Before(until); k++ {
				seat := seats[(i+k)%len(seats)]
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				code, _ := u.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, &hold)
				mu.Lock()
				outcomes[code]++
				if code == 201 && sold[seat] {
					breaches = append(breaches, seat+" "+hold.HoldID)
				}
				mu.Unlock()
			}
		}(*r.buyers[1+i])
	}
	wg.Wait()
	// Seats nobody sold may be held once n3 has rejoined; the sold ones
	// never.
	require.Empty(t, breaches, "resumed n3 held seats the others had sold")
	require.NoError(t, n3.WaitReady(rejoinWithin), "n3 did not rejoin by itself")
	rejoined := time.Since(until.Add(-3 * time.Second))
	v, err := view(t, r.admin, n3)
	require.NoError(t, err)
	require.True(t, v.Self.Healthy, "n3 after the rejoin: %s", v.Self.Reason)
	t.Logf("n3 paused %v; resumed, its gateway answered %v; ready again %v after SIGCONT", pausedFor.Round(time.Millisecond), outcomes, rejoined.Round(time.Millisecond))
	// Both fences fired, the pause watch at once and the peers' notice
	// next, and then the rejoin.
	var watched, blocked, back bool
	for _, line := range strings.Split(n3.Output(), "\n") {
		w, b, j := strings.Contains(line, "stood still"), strings.Contains(line, "has blocked this node"), strings.Contains(line, "rejoined under a new member id")
		if w || b || j {
			t.Log(line)
		}
		watched, blocked, back = watched || w, blocked || b, back || j
	}
	require.True(t, watched && blocked && back, "n3's log should show the pause watch, the blocked notice and the rejoin")
	_, booked := audit(t, r.stores, l, st)
	require.Equal(t, len(sold), booked)

	began := time.Now()
	require.NoError(t, n3.Stop(10*time.Second), "SIGTERM of rejoined n3")
	t.Logf("rejoined n3 stopped cleanly in %v", time.Since(began).Round(time.Millisecond))
	r.nodes["n3"] = r.c.start("n3", "", n1.gossip)
	waitView(t, r.admin, n1, 10*time.Second, "n3 back", allAlive("n1", "n2", "n3"))
}
