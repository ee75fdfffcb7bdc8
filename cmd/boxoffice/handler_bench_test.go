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
// ratio whose target is >= 70 % through HTTP (BENCHMARKS.md), and shows a
// durable hold followed by its release (two requests per op, each
// goroutine on a seat of its own of another showtime). Run:
//
//	go test -run '^$' -bench Handler -benchmem ./cmd/boxoffice/
func BenchmarkHandler(b *testing.B) {
	m := mustStartEmbedded(b)
	h := m.HTTP.Handler()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sts := futureShowtimes(b, m)
	taken, free := sts[0], sts[1]
	seats := seatsOf(ctx, b, m, taken)
	for i := 0; i < len(seats); i += 10 {
		if _, err := m.Engine.Showtimes().Hold(ctx, taken, "bench-owner", seats[i:min(i+10, len(seats))]); err != nil {
			b.Fatal(err)
		}
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if code, _ := call(b, m, "POST", "/api/v1/auth/login", "", map[string]string{"email": demoUserEmail, "password": demoUserPassword}, &tok); code != 200 {
		b.Fatalf("login: %d", code)
	}
	request := func(method, path string, body []byte) *http.Request {
		r := httptest.NewRequest(method, path, bytes.NewReader(body))
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return r
	}
	// serve runs op in parallel; op answers its requests and says whether
	// each got the status it wanted.
	serve := func(b *testing.B, op func(g int) error) {
		var goroutines atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(16)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			g := int(goroutines.Add(1) - 1)
			for pb.Next() {
				if err := op(g); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	do := func(r *http.Request, want int) (*httptest.ResponseRecorder, error) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			return w, fmt.Errorf("%s %s: status %d, want %d: %s", r.Method, r.URL, w.Code, want, w.Body)
		}
		return w, nil
	}
	b.Run("healthz", func(b *testing.B) {
		serve(b, func(int) error {
			_, err := do(httptest.NewRequest("GET", "/healthz", nil), http.StatusOK)
			return err
		})
	})
	b.Run("hold-taken", func(b *testing.B) {
		path := fmt.Sprintf("/api/v1/showtimes/%s/holds", taken)
		bodies := seatBodies(seats)
		var n atomic.Uint64
		serve(b, func(int) error {
			_, err := do(request("POST", path, bodies[n.Add(1)%uint64(len(bodies))]), http.StatusConflict)
			return err
		})
	})
	b.Run("hold-release", func(b *testing.B) {
		path := fmt.Sprintf("/api/v1/showtimes/%s/holds", free)
		bodies := seatBodies(seatsOf(ctx, b, m, free))
		serve(b, func(g int) error {
			w, err := do(request("POST", path, bodies[g%len(bodies)]), http.StatusCreated)
			if err != nil {
				return err
			}
			var hold struct {
				ID string `json:"hold_id"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &hold); err != nil {
				return err
			}
			_, err = do(request("DELETE", "/api/v1/holds/"+hold.ID, nil), http.StatusNoContent)
			return err
		})
	})
}

// seatsOf returns the seat labels of a showtime.
func seatsOf(ctx context.Context, tb testing.TB, m *Main, st string) []string {
	tb.Helper()
	view, err := m.Engine.Showtimes().SeatMap(ctx, st)
	if err != nil {
		tb.Fatal(err)
	}
	var seats []string
	for _, s := range view.Seats {
		seats = append(seats, s.ID)
	}
	return seats
}

// seatBodies returns a hold request's body per seat.
func seatBodies(seats []string) [][]byte {
	bodies := make([][]byte, len(seats))
	for i, s := range seats {
		bodies[i], _ = json.Marshal(map[string][]string{"seats": {s}})
	}
	return bodies
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
