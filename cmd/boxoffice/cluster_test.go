package main_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// clusterRun is the state the cluster scenarios share: one cluster, put
// through them in order (starting nodes is the slow part).
type clusterRun struct {
	c      *testCluster
	admin  *client
	stores *boxoffice.Stores
	buyers []*client
	nodes  map[string]*member // live nodes by name
}

func (r *clusterRun) live(names ...string) []*member {
	var out []*member
	for _, n := range names {
		if m := r.nodes[n]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestCluster starts three `boxoffice serve` processes on 127.0.0.1, on one
// PostgreSQL prefix with one JWT secret, n2 and n3 joined to n1, and proves
// in turn: a token from one node works on the others; buyers racing through
// all three gateways get exactly one winner per seat; a node paused with
// SIGSTOP past the failure timeout cannot sell, once resumed, a seat the
// others sold meanwhile, rejoins by itself under a new member id and stops
// cleanly; a fourth node joining during load takes showtimes over with
// their state; kill -9 of a showtime's host during load leaves the
// survivors serving it within seconds with every acknowledged booking
// intact; the rest stop cleanly within 10s. After each load the databases
// are audited: every 201 booking confirmed with its seats, no seat in two
// bookings, the seat journal replays.
func TestCluster(t *testing.T) {
	pg := pgtest.MustTestConfig(t)
	start := time.Now()
	r := &clusterRun{c: newTestCluster(t, pg), nodes: map[string]*member{}}
	n1 := r.c.start("n1", "")
	r.nodes["n1"] = n1
	r.nodes["n2"] = r.c.start("n2", "", n1.gossip)
	r.nodes["n3"] = r.c.start("n3", "", n1.gossip)
	r.admin = newClient(t, n1.URL)
	r.admin.login(testAdminEmail, testAdminPassword)
	waitView(t, r.admin, n1, 10*time.Second, "three members", allAlive("n1", "n2", "n3"))
	t.Logf("three nodes up and joined in %v", time.Since(start).Round(time.Millisecond))
	r.stores = openStores(t, pg)

	steps := []struct {
		name string
		run  func(*testing.T)
	}{
		{"TokenFromOneNodeWorksOnAll", r.tokens},
		{"OneWinnerPerSeatThroughEveryGateway", r.race},
		{"SeatFeedFromAnyNode", r.feed},
		{"PausedNodeCannotSellWhatOthersSold", r.pause},
		{"JoiningNodeTakesShowtimesWithState", r.join},
		{"KillNineOfHostFailsOver", r.killHost},
		{"CleanStopDuringLoadWithinTenSeconds", r.stopUnderLoad},
		{"CleanStopOfTheRest", r.stopAll},
	}
	for _, s := range steps {
		begin := time.Now()
		if !t.Run(s.name, s.run) {
			return // later steps build on the cluster this one left
		}
		t.Logf("%s: %v", s.name, time.Since(begin).Round(time.Millisecond))
	}
}

func openStores(t *testing.T, pg postgres.Config) *boxoffice.Stores {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg.MaxConns = 1 // audits read one query at a time
	s, err := postgres.Open(ctx, pg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// tokens: a user registered and logged in on n2 uses the token on n1 and
// n3, rotates the refresh token on n3, and the admin token from n1 works
// on every node.
func (r *clusterRun) tokens(t *testing.T) {
	u := registerUser(t, r.nodes["n2"].URL, "roamer@example.com")
	for _, m := range r.live("n1", "n2", "n3") {
		c := *u
		c.base = m.URL
		var me struct {
			Email string `json:"email"`
		}
		c.must(200, "GET", "/api/v1/users/me", nil, &me)
		require.Equal(t, "roamer@example.com", me.Email, "on %s", m.name)
		_, err := view(t, r.admin, m)
		require.NoError(t, err, "admin token from n1 on %s", m.name)
	}
	c := newClient(t, r.nodes["n1"].URL)
	var pair struct {
		RefreshToken string `json:"refresh_token"`
	}
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "roamer@example.com", "password": "password-123"}, &pair)
	c.base = r.nodes["n3"].URL
	c.must(200, "POST", "/api/v1/auth/refresh", map[string]string{"refresh_token": pair.RefreshToken}, nil)
}

// race: 18 buyers, six per gateway, go through all 20 seats of one
// showtime in their own random order, one seat per hold, and book what
// they hold. Every seat must end in exactly one acknowledged booking.
func (r *clusterRun) race(t *testing.T) {
	cat := newCatalog(t, r.admin, "AB", 10)
	st := cat.showtime()
	seats := seatIDs("AB", 10)
	gateways := r.live("n1", "n2", "n3")
	for i := range 6 {
		r.buyers = append(r.buyers, registerUser(t, gateways[i%3].URL, fmt.Sprintf("racer%d@example.com", i)))
	}
	l := newLedger()
	var wg sync.WaitGroup
	for i := range 18 {
		wg.Add(1)
		go func(u client, seed uint64) {
			defer wg.Done()
			u.base, u.http = gateways[i%3].URL, quickHTTP
			rng := rand.New(rand.NewPCG(seed, 3))
			for _, k := range rng.Perm(len(seats)) {
				for attempt := 0; attempt < 10; attempt++ {
					id, code := buy(&u, st, []string{seats[k]})
					l.record(st, id, []string{seats[k]}, code)
					if code != 503 && code != 0 {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}(*r.buyers[i%6], uint64(i+1))
	}
	wg.Wait()
	winner := map[string]string{}
	for id, s := range l.acked {
		require.Empty(t, winner[s[0]], "seat %s won by %s and %s", s[0], winner[s[0]], id)
		winner[s[0]] = id
	}
	require.Len(t, winner, len(seats), "every seat has one winner (%s)", l)
	confirmed, booked := audit(t, r.stores, l, st)
	require.Equal(t, len(seats), booked)
	t.Logf("showtime on %s: %s; %d bookings confirmed", hostOf(t, r.admin, st, gateways...), l, confirmed)
}

// feed: a seat feed (SSE) opened on one node shows a hold placed through
// another, for a showtime whose grain lives on the third (or either).
func (r *clusterRun) feed(t *testing.T) {
	cat := newCatalog(t, r.admin, "A", 4)
	st := cat.showtime()
	all := r.live("n1", "n2", "n3")
	host := hostOf(t, r.admin, st, all...)
	var watch, buy *member
	for _, m := range all {
		switch {
		case m.name == host:
		case watch == nil:
			watch = m
		default:
			buy = m
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", watch.URL+"/api/v1/showtimes/"+st+"/seats/events", nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	lines := bufio.NewScanner(res.Body)
	next := func(want string) {
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), "data:") && strings.Contains(lines.Text(), want) {
				return
			}
		}
		t.Fatalf("feed on %s ended without %s: %v", watch.name, want, lines.Err())
	}
	next(`"status":"free"`) // the whole map first
	u := *r.buyers[0]
	u.base = buy.URL
	u.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A3"}}, nil)
	next(`{"id":"A3","status":"held"}`)
	t.Logf("feed on %s saw a hold placed through %s on a showtime hosted by %s", watch.name, buy.name, host)
}

// join: buyers load twelve showtimes through n1..n3; n4 starts and joins
// during the load and the buyers use it too. Some showtimes move to n4 (the
// test picks them with the nodes' own rendezvous hashing); after the load
// n4 hosts them, and the seat maps it serves show every seat of every
// acknowledged booking booked.
func (r *clusterRun) join(t *testing.T) {
	remote4 := freeAddr(t)
	three := []string{r.nodes["n1"].remote, r.nodes["n2"].remote, r.nodes["n3"].remote}
	four := append(append([]string(nil), three...), remote4)
	// Enough seats that the buyers cannot sell out before n4 joins: the
	// test needs bookings after the join.
	const rows = "ABCDEFGH"
	cat := newCatalog(t, r.admin, rows, 10)
	var showtimes, moving []string
	for i := 0; i < 60 && (len(moving) < 3 || len(showtimes)-len(moving) < 6); i++ {
		st := cat.showtime()
		if owners(t, four, st)[st] == remote4 {
			if len(moving) == 3 {
				continue
			}
			moving = append(moving, st)
		} else if len(showtimes)-len(moving) == 6 {
			continue
		}
		showtimes = append(showtimes, st)
	}
	require.Len(t, moving, 3)

	var gateways atomic.Pointer[[]*member]
	gs := r.live("n1", "n2", "n3")
	gateways.Store(&gs)
	l := newLedger()
	stop := make(chan struct{})
	wg := load(r.buyers, func() []*member { return *gateways.Load() }, showtimes, seatIDs(rows, 10), l, stop)
	testwait.Until(t, 20*time.Second, "bookings before the join", func() bool { return l.ok.Load() >= 5 })
	before := l.ok.Load()
	began := time.Now()
	n4 := r.c.start("n4", remote4, r.nodes["n1"].gossip)
	r.nodes["n4"] = n4
	waitView(t, r.admin, r.nodes["n1"], 10*time.Second, "n4 in", allAlive("n1", "n2", "n3", "n4"))
	t.Logf("n4 started and joined in %v", time.Since(began).Round(time.Millisecond))
	gs4 := r.live("n1", "n2", "n3", "n4")
	gateways.Store(&gs4)
	// The load goes on until the showtimes that move have taken bookings
	// since the join, so that the seat maps n4 serves are checked against
	// some.
	onMoving := l.okOn(moving...)
	testwait.Until(t, 20*time.Second, "bookings of the moving showtimes after the join", func() bool {
		return l.okOn(moving...) >= onMoving+3
	})
	close(stop)
	wg.Wait()
	require.Greater(t, l.ok.Load(), before, "no booking after the join")

	v, err := view(t, r.admin, n4)
	require.NoError(t, err)
	for _, st := range moving {
		require.Contains(t, v.Showtimes, st, "showtime %s should live on n4 now", st)
	}
	confirmed, booked := audit(t, r.stores, l, showtimes...)
	c := *r.admin
	c.base = n4.URL
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, st := range moving {
		var m struct {
			Seats []struct{ ID, Status string } `json:"seats"`
		}
		c.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &m)
		status := map[string]string{}
		for _, s := range m.Seats {
			status[s.ID] = s.Status
		}
		for id, seats := range l.acked {
			for _, s := range seats {
				if l.showtime[id] == st {
					require.Equal(t, "booked", status[s], "seat %s of booking %s on moved showtime %s", s, id, st)
				}
			}
		}
	}
	t.Logf("%d showtimes, %d moved to n4: %d acknowledged before the join, %d in all (%v); %d confirmed, %d seats booked",
		len(showtimes), len(moving), before, len(l.acked), l.outcomes, confirmed, booked)
}

// killHost: buyers load a showtime hosted on a node other than n1 through
// the other nodes; its host is killed with SIGKILL. The survivors must
// serve the showtime again within seconds, and every booking they
// acknowledged, before and after, must be intact.
func (r *clusterRun) killHost(t *testing.T) {
	all := r.live("n1", "n2", "n3", "n4")
	// Seats to spare, so that some are left to sell after the failover.
	const rows = "ABCDEF"
	cat := newCatalog(t, r.admin, rows, 10)
	st, host := showtimeAwayFrom(t, cat, r.admin, "n1", all...)
	victim := r.nodes[host]
	var survivors []*member
	for _, m := range all {
		if m != victim {
			survivors = append(survivors, m)
		}
	}
	l := newLedger()
	stop := make(chan struct{})
	wg := load(r.buyers, func() []*member { return survivors }, []string{st}, seatIDs(rows, 10), l, stop)
	testwait.Until(t, 20*time.Second, "bookings before the kill", func() bool { return l.ok.Load() >= 5 })
	before := l.ok.Load()
	victim.Kill()
	killed := time.Now()
	delete(r.nodes, host)

	probe := newClient(t, survivors[0].URL)
	probe.http = quickHTTP
	var failover time.Duration
	for failover == 0 {
		sent := time.Now()
		if code, err := probe.do("GET", "/api/v1/showtimes/"+st+"/seats", nil, nil); err == nil && code == 200 {
			failover = time.Since(killed)
			break
		}
		require.Less(t, time.Since(killed), 20*time.Second, "showtime not served after kill -9 of %s", host)
		time.Sleep(max(0, 50*time.Millisecond-time.Since(sent)))
	}
	atFailover := l.ok.Load()
	testwait.Until(t, 20*time.Second, "a booking after the failover", func() bool { return l.ok.Load() > atFailover })
	close(stop)
	wg.Wait()
	require.Greater(t, l.ok.Load(), atFailover, "no booking after the failover")
	require.Less(t, failover, 10*time.Second)
	t.Logf("FAILOVER: kill -9 of %s (hosting %s): survivors served it again after %v; %d acknowledged before the kill, %s",
		host, st, failover.Round(time.Millisecond), before, l)

	newHost := hostOf(t, r.admin, st, survivors...)
	v, err := view(t, r.admin, r.nodes["n1"])
	require.NoError(t, err)
	require.True(t, v.Self.Healthy, "n1 after losing one of four: %s", v.Self.Reason)
	confirmed, booked := audit(t, r.stores, l, st)
	t.Logf("now on %s; %d bookings confirmed, %d seats booked", newHost, confirmed, booked)
}
