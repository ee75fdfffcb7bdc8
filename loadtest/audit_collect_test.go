package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// An audit read answered 503 (a node rejoining after a fault) is asked
// again rather than leaving the audit incomplete.
func TestAuditReadRetriesUnavailable(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 3 {
			http.Error(w, `{"error":{"code":"unavailable"}}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"seats":[]}`))
	}))
	defer srv.Close()
	env := &Env{client: NewClient([]string{srv.URL}, 1, 5*time.Second)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r := auditDo(ctx, env, Request{Method: "GET", Path: "/api/v1/showtimes/x/seats"})
	if r.Status != http.StatusOK || calls.Load() != 4 {
		t.Fatalf("status %d after %d calls, want 200 after 4", r.Status, calls.Load())
	}
}
