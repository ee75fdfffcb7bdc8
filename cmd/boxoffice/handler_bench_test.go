package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	bohttp "github.com/boxoffice/boxoffice/http"
)

// BenchmarkHandler measures what one request costs a node on the embedded
// store, without the network: requests go straight to the node's HTTP
// handler from many goroutines at once (-cpu sets GOMAXPROCS, the
// parallelism is 16 per P), so ns/op is the node's CPU per request plus
// waiting, and allocs/op its garbage. It compares a hold attempt on seats
// already held (409: the hold-contention load test) with GET /healthz, the
// ratio whose target is >= 70 % through HTTP (BENCHMARKS.md). Run:
//
//	go test -run '^$' -bench Handler -benchmem ./cmd/boxoffice/
func BenchmarkHandler(b *testing.B) {
	m := mustStartEmbedded(b)
	h := m.HTTP.Handler()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := futureShowtimes(b, m)[0]
	view, err := m.Engine.Showtimes().SeatMap(ctx, st)
	if err != nil {
		b.Fatal(err)
	}
	var seats []string
	for _, s := range view.Seats {
		seats = append(seats, s.ID)
	}
	for i := 0; i < len(seats); i += 10 {
		if _, err := m.Engine.Showtimes().Hold(ctx, st, "bench-owner", seats[i:min(i+10, len(seats))]); err != nil {
			b.Fatal(err)
		}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code, _ := call(b, m, "POST", "/api/v1/auth/login", "", map[string]string{"email": demoUserEmail, "password": demoUserPassword}, &tok); code != 200 {
		b.Fatalf("login: %d", code)
	}
	bodies := make([][]byte, len(seats))
	for i, s := range seats {
		bodies[i], _ = json.Marshal(map[string][]string{"seats": {s}})
	}

	serve := func(b *testing.B, want int, req func(i uint64) *http.Request) {
		var n atomic.Uint64
		b.ReportAllocs()
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req(n.Add(1)))
				if w.Code != want {
					b.Errorf("status %d, want %d: %s", w.Code, want, w.Body)
					return
				}
			}
		})
	}
	b.Run("healthz", func(b *testing.B) {
		serve(b, http.StatusOK, func(uint64) *http.Request { return httptest.NewRequest("GET", "/healthz", nil) })
	})
	b.Run("hold-taken", func(b *testing.B) {
		path := fmt.Sprintf("/api/v1/showtimes/%s/holds", st)
		serve(b, http.StatusConflict, func(i uint64) *http.Request {
			r := httptest.NewRequest("POST", path, bytes.NewReader(bodies[i%uint64(len(bodies))]))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			return r
		})
	})
}

// mustStartEmbedded starts a node on the embedded store with demo data, in
// this process, and stops it when the test ends.
func mustStartEmbedded(tb testing.TB) *Main {
	tb.Helper()
	return mustRunMain(tb, Config{
		HTTPAddr: "127.0.0.1:0", DataDir: tb.TempDir(), JWTSecret: inprocSecret,
		HoldTTL: time.Hour, IdleTimeout: 10 * time.Minute, Demo: true, Node: "bench",
		GossipAddr: "127.0.0.1:0", RemoteAddr: "127.0.0.1:0",
		HoldCapsMode: "off",                        // a benchmark: one user holds and releases all the time
		RateLimits:   bohttp.RateLimits{Off: true}, // one address, faster than a client may
	})
}
