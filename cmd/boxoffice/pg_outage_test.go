package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgserver"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// outageAnswerMax is the contract: with PostgreSQL down, a request
// answers 503 within 2 s and never hangs.
const outageAnswerMax = 2 * time.Second

// outageRecoveryMax bounds how long the node may take to work again by
// itself once PostgreSQL is back: pools replace their broken connections
// and grains reload on the next command.
const outageRecoveryMax = 20 * time.Second

// TestPostgresOutage runs a `serve` node on a private PostgreSQL server
// that the test stops, kills and freezes (never the machine's shared
// server). While the server is down every request that needs it answers
// 503 `unavailable` with Retry-After within 2 s, /readyz says 503, and none
// answers 500 or hangs; once the server is back the node serves holds and
// bookings again without being restarted, and a hold placed before the
// outage can still be booked.
func TestPostgresOutage(t *testing.T) {
	pg := pgserver.Start(t, pgserver.Options{})
	n := startNode(t, t.TempDir(), pgEnv(pg.URL(), "boxoffice")...)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "ABCDEFGH", 10)
	alice := registerUser(t, n.URL, "alice@example.com")
	seats := seatIDs("ABCDEFGH", 10)
	next := 0 // seats are used once each: holds of failed requests may linger
	seat := func() string { next++; return seats[next-1] }

	for _, mode := range []struct {
		name     string
		down, up func()
	}{
		{"Stopped", pg.Stop, pg.Start},
		{"Killed", pg.Kill, pg.Start},
		{"Frozen", pg.Freeze, pg.Thaw},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// A showtime whose grain is not active yet must load from the
			// store during the outage.
			cold := setupShowtime(t, admin, "A", 5)
			requireBooks(t, alice, st, seat())
			var before struct {
				HoldID string `json:"hold_id"`
			}
			alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat()}}, &before)

			mode.down()
			up := sync.OnceFunc(mode.up)
			defer up() // also when the test fails: the node must stop
			start := time.Now()
			requests := outageRequests(st, cold, before.HoldID, seat())
			var wg sync.WaitGroup
			for _, r := range requests {
				// At once, as users would: each must answer in time on
				// its own, and the run stays short while the server hangs.
				wg.Go(func() { r.checkUnavailable(t, alice) })
			}
			wg.Wait()
			t.Logf("%s: %d requests answered within %v", mode.name, len(requests), time.Since(start))

			up()
			start = time.Now()
			waitReady(t, n.URL)
			requireBooks(t, alice, st, seat())
			alice.must(201, "POST", "/api/v1/bookings", bookingBody(before.HoldID), nil, "Idempotency-Key", boxoffice.NewID())
			requireBooks(t, alice, cold, "A2")
			t.Logf("%s: serving again %v after the server came back", mode.name, time.Since(start))
		})
	}

	// The README: SIGTERM stops a node within 10 s. A store that hangs must not
	// hold the drain (a pool closes only once its calls return).
	t.Run("SIGTERMWhileFrozen", func(t *testing.T) {
		requireBooks(t, alice, st, seat())
		pg.Freeze()
		defer pg.Thaw()
		// Requests stuck on the database when the signal comes: the node
		// has each of them whole before it is signalled.
		requests := outageRequests(st, st, "", seat())[1:]
		var wrote atomic.Int64
		stuck := *alice
		stuck.http = &http.Client{Timeout: 15 * time.Second, Transport: wroteCounter{&wrote}}
		for _, r := range requests {
			go func() { _, _, _, _ = stuck.raw(r.method, r.path, r.body) }()
		}
		testwait.Until(t, 10*time.Second, "the requests sent", func() bool { return wrote.Load() == int64(len(requests)) })
		start := time.Now()
		err := n.Stop(15 * time.Second)
		took := time.Since(start)
		require.False(t, err != nil && contains(err.Error(), "no exit"), "%v:\n%s", err, n.Output())
		require.Less(t, took, 12*time.Second, "stopped after %v", took)
		t.Logf("stopped %v after SIGTERM with the database frozen (exit: %v)", took.Round(time.Millisecond), err)
	})
	require.NotContains(t, n.Output(), "panic")
}

// outageRequests are calls to make while PostgreSQL is down: a grain in
// memory that must write (hold on st), a grain that must load (cold), the
// saga (booking a hold from before the outage), the plain stores and the
// readiness probe.
func outageRequests(st, cold, holdID, seat string) []outageRequest {
	return []outageRequest{
		{"GET", "/readyz", nil, false},
		{"POST", "/api/v1/showtimes/" + st + "/holds", map[string]any{"seats": []string{seat}}, false},
		{"POST", "/api/v1/bookings", bookingBody(holdID), false},
		{"GET", "/api/v1/showtimes/" + cold + "/seats", nil, false},
		{"POST", "/api/v1/showtimes/" + cold + "/holds", map[string]any{"seats": []string{"A1"}}, false},
		{"GET", "/api/v1/bookings", nil, false},
		{"GET", "/api/v1/notifications", nil, false},
		{"GET", "/api/v1/movies", nil, false},
		{"GET", "/api/v1/showtimes/" + st, nil, false},
		{"POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": "password-123"}, false},
		{"POST", "/api/v1/auth/register", map[string]string{"email": "bob@example.com", "password": "password-123", "name": "Bob"}, false},
		// The seat map of an active grain may come from memory.
		{"GET", "/api/v1/showtimes/" + st + "/seats", nil, true},
	}
}

// outageRequest is a call made while PostgreSQL is down.
type outageRequest struct {
	method, path string
	body         any
	mayServe     bool // may answer 2xx from memory
}

// checkUnavailable expects 503 `unavailable` with Retry-After within
// outageAnswerMax (or a 2xx, if the node may answer from memory). It
// reports every miss and goes on, so one run shows every route that hangs.
func (r outageRequest) checkUnavailable(t *testing.T, c *client) {
	t.Helper()
	start := time.Now()
	code, raw, hdr, err := c.raw(r.method, r.path, r.body)
	took := time.Since(start)
	switch {
	case err != nil:
		t.Errorf("%s %s: %v after %v", r.method, r.path, err, took)
	case took > outageAnswerMax:
		t.Errorf("%s %s answered %d after %v, more than %v: %s", r.method, r.path, code, took.Round(time.Millisecond), outageAnswerMax, raw)
	case r.mayServe && code/100 == 2:
	case code != http.StatusServiceUnavailable:
		t.Errorf("%s %s answered %d, want 503: %s", r.method, r.path, code, raw)
	default:
		var e errorJSON
		if err := json.Unmarshal(raw, &e); err != nil || e.Error.Code != "unavailable" {
			t.Errorf("%s %s: body %s, want code unavailable", r.method, r.path, raw)
		}
		if r.path != "/readyz" && hdr.Get("Retry-After") == "" {
			t.Errorf("%s %s: 503 without Retry-After", r.method, r.path)
		}
	}
}

// raw sends a request and returns the status, body and headers.
func (c *client) raw(method, path string, body any) (int, []byte, http.Header, error) {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, data, res.Header, err
}

func bookingBody(holdID string) map[string]any {
	return map[string]any{"hold_id": holdID, "payment": map[string]string{"method": "card", "token": "tok_visa"}}
}

// requireBooks holds and books one seat, retrying while the node answers
// 503: right after an outage the first calls may still meet a broken
// pooled connection.
func requireBooks(t *testing.T, c *client, showtimeID, seat string) {
	t.Helper()
	deadline := time.Now().Add(outageRecoveryMax)
	for {
		var hold struct {
			HoldID string `json:"hold_id"`
		}
		code, err := c.do("POST", "/api/v1/showtimes/"+showtimeID+"/holds", map[string]any{"seats": []string{seat}}, &hold)
		if err == nil && code == 201 {
			var b bookingJSON
			code, err = c.do("POST", "/api/v1/bookings", bookingBody(hold.HoldID), &b, "Idempotency-Key", boxoffice.NewID())
			if err == nil && code == 201 && b.Status == boxoffice.BookingConfirmed {
				return
			}
		}
		require.True(t, err != nil || code == http.StatusServiceUnavailable, "booking %s: status %d, err %v", seat, code, err)
		if time.Now().After(deadline) {
			t.Fatalf("seat %s of %s not booked %v after the database came back: status %d, err %v", seat, showtimeID, outageRecoveryMax, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wroteCounter is a transport that counts the requests it has written
// whole to the server.
type wroteCounter struct{ n *atomic.Int64 }

func (w wroteCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { w.n.Add(1) }}
	return http.DefaultTransport.RoundTrip(r.WithContext(httptrace.WithClientTrace(r.Context(), trace)))
}

// waitReady waits until /readyz answers 200.
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(outageRecoveryMax)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 %v after the database came back", outageRecoveryMax)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
