package main

// In-process cluster tests: several Mains (separate actor systems, gossip
// and HTTP servers on loopback ports) in one test process, on one
// PostgreSQL prefix. Cheaper than processes where no signal is needed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cluster"
	bohttp "github.com/boxoffice/boxoffice/http"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

const inprocSecret = "in-process-cluster-test-secret-0123456789"

// mustStartMain runs a node in this process. demo seeds the demo catalog
// (the demo user among it); join lists gossip addresses to join.
func mustStartMain(tb testing.TB, name string, pg postgres.Config, demo bool, join ...string) *Main {
	tb.Helper()
	url := pg.BaseURL + "&pool_max_conns=4"
	if !strings.Contains(pg.BaseURL, "?") {
		url = pg.BaseURL + "?pool_max_conns=4"
	}
	return mustRunMain(tb, Config{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: url, DatabasePrefix: pg.Prefix, JWTSecret: inprocSecret,
		HoldTTL: time.Minute, IdleTimeout: 10 * time.Minute, Demo: demo, Node: name,
		GossipAddr: "127.0.0.1:0", RemoteAddr: "127.0.0.1:0", Join: join,
		OpsAddr:      "127.0.0.1:0",                // each node its own /metrics
		HoldCapsMode: "off",                        // the races hold many seats as one user
		RateLimits:   bohttp.RateLimits{Off: true}, // one address, faster than a client may
	})
}

// mustRunMain starts a node with cfg in this process and closes it when
// the test ends.
func mustRunMain(tb testing.TB, cfg Config) *Main {
	tb.Helper()
	m := &Main{Logger: inprocLogger(), Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close(ctx)
		tb.Fatalf("start %s: %v", cfg.Node, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			tb.Logf("close %s: %v", cfg.Node, err)
		}
	})
	return m
}

func inprocLogger() *slog.Logger {
	if os.Getenv("BOXOFFICE_TEST_LOGS") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func joined(ms ...*Main) func() bool {
	return func() bool {
		for _, m := range ms {
			if len(m.Node.Topology()) != len(ms) {
				return false
			}
		}
		return true
	}
}

// futureShowtimes lists the demo showtimes that start in more than a day.
func futureShowtimes(tb testing.TB, m *Main) []string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sts, _, err := m.Stores.Catalog.Showtimes(ctx, boxoffice.ShowtimeFilter{From: time.Now().Add(24 * time.Hour), Page: boxoffice.Page{Limit: 200}})
	if err != nil || len(sts) == 0 {
		tb.Fatalf("demo showtimes: %v (%d)", err, len(sts))
	}
	var ids []string
	for _, st := range sts {
		ids = append(ids, st.ID)
	}
	return ids
}

// ownedBy returns a showtime whose grain lives on want, by the rendezvous
// hashing every node uses over the topology.
func ownedBy(tb testing.TB, want *Main, showtimes []string) string {
	tb.Helper()
	rdv := pcluster.NewRendezvous()
	rdv.UpdateMembers(want.Node.Topology())
	for _, st := range showtimes {
		if rdv.GetByClusterIdentity(pcluster.NewClusterIdentity(st, actors.KindShowtime)) == want.Node.Address() {
			return st
		}
	}
	tb.Fatalf("no showtime lands on %s", want.Config.Node)
	return ""
}

// call sends one JSON request to a node's HTTP API.
func call(tb testing.TB, m *Main, method, path, token string, body, out any) (int, http.Header) {
	tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, m.HTTP.URL()+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := inprocHTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && len(data) > 0 {
		_ = json.Unmarshal(data, out)
	}
	return res.StatusCode, res.Header
}

var inprocHTTP = &http.Client{Timeout: 15 * time.Second}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// A node cut off from the others (both peers' gossip goes silent, as in a
// partition) loses its quorum and fences itself: its gateway answers
// showtime calls 503 unavailable with Retry-After without calling, its
// showtime grain refuses a call that still reaches it (from a peer whose
// view is frozen) and leaves, /readyz answers 503, and GET /api/v1/cluster
// says why.
func TestIsolatedNodeFencesItself(t *testing.T) {
	pg := pgtest.MustTestConfig(t)
	m1 := mustStartMain(t, "n1", pg, true)
	m2 := mustStartMain(t, "n2", pg, false, m1.Gossip.GossipAddr())
	m3 := mustStartMain(t, "n3", pg, false, m1.Gossip.GossipAddr())
	testwait.Until(t, 10*time.Second, "three members", joined(m1, m2, m3))
	st := ownedBy(t, m1, futureShowtimes(t, m1))
	path := "/api/v1/showtimes/" + st + "/seats"
	if code, _ := call(t, m3, "GET", path, "", nil, nil); code != 200 {
		t.Fatalf("seat map through n3: %d", code)
	}
	if !slices.Contains(m1.Engine.ActiveShowtimes(), st) {
		t.Fatalf("showtime %s not active on n1: %v", st, m1.Engine.ActiveShowtimes())
	}
	info, err := m1.clusterInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	members := info.(map[string]any)["members"].([]cluster.MemberInfo)
	for _, mi := range members {
		if mi.Status != cluster.StatusAlive || mi.HTTP == "" || mi.Gossip == "" || mi.Remote == "" || mi.ID == "" {
			t.Errorf("member %+v", mi)
		}
	}
	if len(members) != 3 {
		t.Fatalf("members = %+v", members)
	}

	for _, m := range []*Main{m2, m3} {
		if err := m.Gossip.Shutdown(false); err != nil {
			t.Fatal(err)
		}
	}
	d := testwait.Until(t, 15*time.Second, "n1 fenced", func() bool { return !m1.healthy() })
	t.Logf("n1 fenced itself %v after losing both peers: %s", d, m1.Gossip.Health().Reason)

	var e apiError
	code, hdr := call(t, m1, "GET", path, "", nil, &e)
	if code != 503 || e.Error.Code != "unavailable" || hdr.Get("Retry-After") == "" {
		t.Errorf("seat map through fenced n1: %d %+v Retry-After %q", code, e, hdr.Get("Retry-After"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := cluster.Request(ctx, m2.Node.Cluster(), st, actors.KindShowtime, &actors.GetSeats{})
	if f, ok := res.(*actors.Failure); err != nil || !ok || f.Code != boxoffice.EUNAVAILABLE {
		t.Errorf("call into n1's grain: %v, %v", res, err)
	}
	testwait.Until(t, 5*time.Second, "the grain left n1", func() bool { return !slices.Contains(m1.Engine.ActiveShowtimes(), st) })
	if code, _ := call(t, m1, "GET", "/readyz", "", nil, nil); code != 503 {
		t.Errorf("/readyz of fenced n1: %d", code)
	}
	info, _ = m1.clusterInfo(context.Background())
	// The lease lapses first (no peer answers), before the peers are
	// declared dead and the quorum is lost; failed probes may also raise
	// memberlist's health score.
	if self := info.(map[string]any)["self"].(clusterSelf); self.Healthy ||
		!(strings.Contains(self.Reason, "isolated") || strings.Contains(self.Reason, "health score") ||
			strings.Contains(self.Reason, "no majority of the nodes answered")) {
		t.Errorf("self = %+v", self)
	}
}

// BenchmarkCrossNodeHold measures what it costs to reach a showtime grain
// on another node: two nodes in this process, the gateway is always n1,
// one showtime lives on n1 and one on n2. "hold" is POST
// /showtimes/{id}/holds of one seat (released after, untimed); it includes
// the seat journal write. "seats" is GET /showtimes/{id}/seats, no write.
// "grain" is the same seat map read through the Showtimes client, without
// HTTP. Each reports p50 and p99 in microseconds. Run:
//
//	BOXOFFICE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench CrossNode -benchtime 2000x ./cmd/boxoffice/
func BenchmarkCrossNodeHold(b *testing.B) {
	pg := pgtest.MustTestConfig(b)
	m1 := mustStartMain(b, "n1", pg, true)
	m2 := mustStartMain(b, "n2", pg, false, m1.Gossip.GossipAddr())
	testwait.Until(b, 10*time.Second, "two members", joined(m1, m2))
	sts := futureShowtimes(b, m1)
	where := map[string]string{"same-node": ownedBy(b, m1, sts), "cross-node": ownedBy(b, m2, sts)}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code, _ := call(b, m1, "POST", "/api/v1/auth/login", "", map[string]string{"email": demoUserEmail, "password": demoUserPassword}, &tok); code != 200 {
		b.Fatalf("login: %d", code)
	}
	for _, place := range []string{"same-node", "cross-node"} {
		st := where[place]
		b.Run("hold/"+place, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				seat := fmt.Sprintf("%c%d", 'A'+i%6, 1+i/6%10)
				var h struct {
					HoldID string `json:"hold_id"`
				}
				start := time.Now()
				code, _ := call(b, m1, "POST", "/api/v1/showtimes/"+st+"/holds", tok.AccessToken, map[string]any{"seats": []string{seat}}, &h)
				lat = append(lat, time.Since(start))
				if code != 201 {
					b.Fatalf("hold %s: %d", seat, code)
				}
				b.StopTimer()
				if code, _ := call(b, m1, "DELETE", "/api/v1/holds/"+h.HoldID, tok.AccessToken, nil, nil); code != 204 {
					b.Fatalf("release: %d", code)
				}
				b.StartTimer()
			}
			reportPercentiles(b, lat)
		})
		b.Run("seats/"+place, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if code, _ := call(b, m1, "GET", "/api/v1/showtimes/"+st+"/seats", "", nil, nil); code != 200 {
					b.Fatalf("seats: %d", code)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		})
		b.Run("grain/"+place, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := m1.Engine.Showtimes().SeatMap(ctx, st); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
