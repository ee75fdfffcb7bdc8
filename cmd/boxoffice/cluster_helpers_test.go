package main_test

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// testCluster is a set of `boxoffice serve` processes on 127.0.0.1 that
// share one PostgreSQL prefix and JWT secret.
type testCluster struct {
	t     *testing.T
	pg    postgres.Config
	mu    sync.Mutex
	nodes map[string]*member // by name, latest process
}

// member is one node process of a testCluster.
type member struct {
	*node
	name   string
	gossip string
	remote string
}

func newTestCluster(t *testing.T, pg postgres.Config) *testCluster {
	c := &testCluster{t: t, pg: pg, nodes: map[string]*member{}}
	t.Cleanup(func() {
		if !t.Failed() && os.Getenv("BOXOFFICE_TEST_LOGS") == "" {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for name, m := range c.nodes {
			t.Logf("---- logs of %s (last 60 lines) ----\n%s", name, tail(m.Output(), 60))
		}
	})
	return c
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// start runs a node named name that joins the given gossip addresses, on
// the given remote address ("" for a free one), and waits until it is
// ready. A node restarted under a name it had replaces it.
func (c *testCluster) start(name, remote string, join ...string) *member {
	t := c.t
	t.Helper()
	if remote == "" {
		remote = freeAddr(t)
	}
	m := &member{name: name, gossip: freeUDPAddr(t), remote: remote}
	args := []string{"--node", name, "--gossip", m.gossip, "--remote", remote, "--log-level", "warn"}
	if len(join) > 0 {
		args = append(args, "--join", strings.Join(join, ","))
	}
	n, err := nodeproc.Start(nodeproc.Options{Binary: binary, Args: args, Env: append(
		// Hold caps off: the races hold many seats as one user.
		[]string{"BOXOFFICE_ADMIN_EMAIL=" + testAdminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + testAdminPassword, "BOXOFFICE_HOLD_CAPS=off", "BOXOFFICE_RATE_LIMITS=off"},
		pgEnv(withSmallPools(c.pg.BaseURL), c.pg.Prefix)...)})
	require.NoError(t, err)
	m.node = n
	t.Cleanup(func() { m.cont(); m.Kill() })
	c.mu.Lock()
	c.nodes[name] = m
	c.mu.Unlock()
	waitReadyz(t, m, 30*time.Second)
	return m
}

// withSmallPools caps each service's pool at two connections: four nodes
// of six pools each must fit in the test server's max_connections beside
// the other tests that share it.
func withSmallPools(url string) string {
	if strings.Contains(url, "pool_max_conns") {
		return url
	}
	if strings.Contains(url, "?") {
		return url + "&pool_max_conns=2"
	}
	return url + "?pool_max_conns=2"
}

// waitReadyz waits until the node's /readyz answers 200.
func waitReadyz(t *testing.T, m *member, d time.Duration) {
	t.Helper()
	if err := m.WaitReady(d); err != nil {
		t.Fatalf("%s: %v:\n%s", m.name, err, tail(m.Output(), 40))
	}
}

// freeUDPAddr is a loopback port free for both TCP and UDP (memberlist
// listens on both).
func freeUDPAddr(t *testing.T) string {
	t.Helper()
	for i := 0; i < 20; i++ {
		addr := freeAddr(t)
		if u, err := net.ListenPacket("udp", addr); err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatal("no free TCP+UDP port")
	return ""
}

func (m *member) pause() { m.Signal(syscall.SIGSTOP) }
func (m *member) cont()  { m.Signal(syscall.SIGCONT) }

// clusterView is GET /api/v1/cluster.
type clusterView struct {
	Self struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Healthy bool   `json:"healthy"`
		Reason  string `json:"reason"`
		Rejoins int    `json:"rejoins"`
	} `json:"self"`
	Members []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		HTTP    string `json:"http"`
		Gossip  string `json:"gossip"`
		Remote  string `json:"remote"`
		Status  string `json:"status"`
		Blocked bool   `json:"blocked"`
	} `json:"members"`
	Showtimes []string `json:"showtimes"`
}

// view asks node m for its cluster view as admin.
func view(t *testing.T, admin *client, m *member) (clusterView, error) {
	c := *admin
	c.base = m.URL
	c.http = quickHTTP
	var v clusterView
	code, err := c.do("GET", "/api/v1/cluster", nil, &v)
	if err == nil && code != 200 {
		err = fmt.Errorf("GET /api/v1/cluster on %s: status %d", m.name, code)
	}
	return v, err
}

// has reports whether the view lists a member named name with status.
func (v clusterView) has(name, status string) bool {
	for _, mi := range v.Members {
		if mi.Name == name && mi.Status == status {
			return true
		}
	}
	return false
}

// waitView polls m's view until cond holds.
func waitView(t *testing.T, admin *client, m *member, d time.Duration, what string, cond func(clusterView) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		v, err := view(t, admin, m)
		if err == nil && cond(v) {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v (view of %s: %+v, err %v)", what, d, m.name, v, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allAlive reports whether a view lists every name alive and unblocked.
func allAlive(names ...string) func(clusterView) bool {
	return func(v clusterView) bool {
		for _, n := range names {
			ok := false
			for _, mi := range v.Members {
				ok = ok || (mi.Name == n && mi.Status == "alive" && !mi.Blocked)
			}
			if !ok {
				return false
			}
		}
		return v.Self.Healthy
	}
}

// showtimeAwayFrom puts showtimes of cat on sale until one is hosted by a
// member other than avoid, and returns it with its host's name.
func showtimeAwayFrom(t *testing.T, cat *catalog, admin *client, avoid string, ms ...*member) (st, host string) {
	t.Helper()
	for i := 0; i < 20 && (host == "" || host == avoid); i++ {
		st = cat.showtime()
		host = hostOf(t, admin, st, ms...)
	}
	require.NotEqual(t, avoid, host)
	return st, host
}

// hostOf activates showtime st (a seat map read through any node) and
// returns the name of the node whose GET /api/v1/cluster lists it.
func hostOf(t *testing.T, admin *client, st string, ms ...*member) string {
	t.Helper()
	c := *admin
	c.base = ms[0].URL
	c.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, nil)
	for _, m := range ms {
		v, err := view(t, admin, m)
		require.NoError(t, err)
		for _, id := range v.Showtimes {
			if id == st {
				return m.name
			}
		}
	}
	t.Fatalf("showtime %s is active on none of the nodes", st)
	return ""
}

// owners computes with protoactor's rendezvous hashing which remote
// address owns each showtime among the given remote addresses, as every
// node does.
func owners(t *testing.T, remotes []string, showtimes ...string) map[string]string {
	t.Helper()
	var members pcluster.Members
	for i, r := range remotes {
		host, ps, err := net.SplitHostPort(r)
		require.NoError(t, err)
		port, _ := strconv.Atoi(ps)
		members = append(members, &pcluster.Member{Id: strconv.Itoa(i), Host: host, Port: int32(port), Kinds: []string{"showtime"}})
	}
	rdv := pcluster.NewRendezvous()
	rdv.UpdateMembers(members)
	out := map[string]string{}
	for _, st := range showtimes {
		out[st] = rdv.GetByClusterIdentity(pcluster.NewClusterIdentity(st, "showtime"))
	}
	return out
}

// catalog creates showtimes in one hall as admin.
type catalog struct {
	admin   *client
	movieID string
	hallID  string
	n       int
}

// newCatalog creates a movie and a cinema with one hall of len(rows) rows
// of perRow seats.
func newCatalog(t testing.TB, admin *client, rows string, perRow int) *catalog {
	t.Helper()
	var movie, cinema struct {
		ID    string `json:"id"`
		Halls []struct {
			ID string `json:"id"`
		} `json:"halls"`
	}
	admin.must(201, "POST", "/api/v1/movies", map[string]any{"title": "Test Movie", "description": "d", "genres": []string{"drama"},
		"duration_minutes": 100, "rating": "PG", "release_date": "2026-01-01"}, &movie)
	var hallRows []map[string]any
	for _, r := range rows {
		hallRows = append(hallRows, map[string]any{"row": string(r), "seats": perRow, "category": "standard"})
	}
	admin.must(201, "POST", "/api/v1/cinemas", map[string]any{"name": "Test Cinema", "city": "Porto",
		"halls": []any{map[string]any{"name": "Hall 1", "rows": hallRows}}}, &cinema)
	return &catalog{admin: admin, movieID: movie.ID, hallID: cinema.Halls[0].ID}
}

func (c *catalog) showtime() string {
	c.n++
	var st struct {
		ID string `json:"id"`
	}
	c.admin.must(201, "POST", "/api/v1/showtimes", map[string]any{"movie_id": c.movieID, "hall_id": c.hallID,
		"starts_at": time.Now().Add(time.Duration(24+3*c.n) * time.Hour).UTC().Truncate(time.Minute).Format(time.RFC3339),
		"prices":    map[string]int{"standard": 1000}, "currency": "EUR"}, &st)
	return st.ID
}
