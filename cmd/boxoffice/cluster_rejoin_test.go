package main_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// rejoinWithin bounds how long a node that the others blocked takes to
// serve again once it runs: the blocked notice (a second or two), then
// stopping its member and starting a new one (a few seconds).
const rejoinWithin = 30 * time.Second

// TestPausedNodeRejoinsByItself starts three `boxoffice serve` processes
// on PostgreSQL, sells a seat of a showtime hosted on n3 through n3, then
// stops n3 with SIGSTOP until n1 has declared it dead (and so blocked its
// member id for good) and sold more seats of that showtime. After SIGCONT,
// with no operator restart, n3 must answer /readyz 200 again within
// rejoinWithin under a new member id, the others must see it alive, and
// no seat may be sold twice: while it rejoins, its gateway never grants a
// seat sold meanwhile, and afterwards a seat held through one node is
// refused through the other, both ways.
func TestPausedNodeRejoinsByItself(t *testing.T) {
	pg := pgtest.MustTestConfig(t)
	c := newTestCluster(t, pg)
	n1 := c.start("n1", "")
	n2 := c.start("n2", "", n1.gossip)
	n3 := c.start("n3", "", n1.gossip)
	admin := newClient(t, n1.URL)
	admin.login(testAdminEmail, testAdminPassword)
	waitView(t, admin, n1, 10*time.Second, "three members", allAlive("n1", "n2", "n3"))
	stores := openStores(t, pg)
	before, err := view(t, admin, n3)
	require.NoError(t, err)

	cat := newCatalog(t, admin, "A", 10)
	st := ""
	for i := 0; i < 40 && st == ""; i++ {
		if s := cat.showtime(); hostOf(t, admin, s, n1, n2, n3) == "n3" {
			st = s
		}
	}
	require.NotEmpty(t, st, "no showtime landed on n3")
	buyer := registerUser(t, n1.URL, "rejoin@example.com")
	l := newLedger()
	at := func(m *member) *client {
		u := *buyer
		u.base, u.http = m.URL, quickHTTP
		return &u
	}
	id, code := buy(at(n3), st, []string{"A1"})
	require.Equal(t, 201, code, "A1 through n3")
	l.record(st, id, []string{"A1"}, code)

	n3.pause()
	paused := time.Now()
	sold := map[string]bool{"A1": true}
	for _, seat := range []string{"A2", "A3", "A4"} {
		for {
			id, code := buy(at(n1), st, []string{seat})
			l.record(st, id, []string{seat}, code)
			if code == 201 {
				sold[seat] = true
				break
			}
			require.Less(t, time.Since(paused), 30*time.Second, "%s not sold through n1 while n3 was paused (%s)", seat, l)
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitView(t, admin, n1, 15*time.Second, "n3 dead", func(v clusterView) bool { return v.has("n3", "dead") })
	time.Sleep(time.Second)
	t.Logf("n3 paused %v; n1 sold %d seats of its showtime meanwhile", time.Since(paused).Round(time.Millisecond), len(sold)-1)
	n3.cont()
	resumed := time.Now()

	// Until n3 serves again, buyers at its gateway try the seats sold
	// through n1 while it stood still.
	var (
		mu       sync.Mutex
		outcomes = map[int]int{}
		breaches []string
		wg       sync.WaitGroup
		done     = make(chan struct{})
	)
	for i := range 3 {
		wg.Go(func() {
			u := at(n3)
			for k := 0; ; k++ {
				select {
				case <-done:
					return
				default:
				}
				seat := []string{"A2", "A3", "A4"}[(i+k)%3]
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				code, _ := u.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, &hold)
				mu.Lock()
				outcomes[code]++
				if code == 201 {
					breaches = append(breaches, seat+" "+hold.HoldID)
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	err = n3.WaitReady(rejoinWithin)
	took := time.Since(resumed)
	close(done)
	wg.Wait()
	require.NoError(t, err, "n3 did not serve again within %v of SIGCONT:\n%s", rejoinWithin, tail(n3.Output(), 40))
	require.Empty(t, breaches, "n3 granted seats sold through n1 while it stood still")
	t.Logf("n3 ready again %v after SIGCONT, without a restart; its gateway meanwhile answered %v", took.Round(time.Millisecond), outcomes)

	after, err := view(t, admin, n3)
	require.NoError(t, err)
	require.True(t, after.Self.Healthy, "n3 after the rejoin: %s", after.Self.Reason)
	require.NotEqual(t, before.Self.ID, after.Self.ID, "n3 serves again under its old member id")
	require.GreaterOrEqual(t, after.Self.Rejoins, 1)
	waitView(t, admin, n1, 10*time.Second, "n1 sees n3 back", allAlive("n1", "n2", "n3"))
	var health struct{ Status, Reason string }
	at(n3).must(200, "GET", "/healthz", nil, &health)
	require.Empty(t, health.Reason, "n3 /healthz after the rejoin")
	out := n3.Output()
	require.Contains(t, out, "has blocked this node")
	require.Contains(t, out, "rejoined under a new member id")
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "rejoin") || strings.Contains(line, "blocked") {
			t.Log(line)
		}
	}

	// One seat, two gateways, both ways: only the first hold wins.
	for _, p := range [][2]*member{{n3, n1}, {n1, n3}} {
		seat := map[*member]string{n3: "A7", n1: "A8"}[p[0]]
		var hold struct {
			HoldID string `json:"hold_id"`
		}
		at(p[0]).must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, &hold)
		code, err := at(p[1]).do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, nil)
		require.NoError(t, err)
		require.Equal(t, 409, code, "%s held through %s, then through %s", seat, p[0].name, p[1].name)
	}
	for seat := range sold {
		code, err := at(n3).do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, nil)
		require.NoError(t, err)
		require.Equal(t, 409, code, "sold seat %s held through the rejoined n3", seat)
	}
	id, code = buy(at(n3), st, []string{"A9"})
	require.Equal(t, 201, code, "A9 bought through the rejoined n3")
	l.record(st, id, []string{"A9"}, code)
	_, booked := audit(t, stores, l, st)
	require.Equal(t, len(sold)+1, booked)
}
