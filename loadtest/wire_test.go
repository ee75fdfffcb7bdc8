package loadtest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWireClient checks the harness's own HTTP/1.1 client against
// net/http's server: headers and bodies arrive, chunked and empty answers
// are read, closed connections are replaced, and timeouts and
// cancellation end a request with the right outcome.
func TestWireClient(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{
				"method": r.Method, "auth": r.Header.Get("Authorization"), "key": r.Header.Get("Idempotency-Key"),
				"type": r.Header.Get("Content-Type"), "body": string(b), "query": r.URL.RawQuery,
			})
		case "/big": // more than net/http buffers: chunked
			w.Write([]byte(strings.Repeat("x", 100_000)))
			w.(http.Flusher).Flush()
			w.Write([]byte("end"))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/huge":
			w.Write([]byte(strings.Repeat("y", bodyBytesMax+10)))
		case "/slow":
			select {
			case <-time.After(20 * time.Second):
			case <-r.Context().Done():
			}
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewClient([]string{srv.URL}, 4, 300*time.Millisecond)
	defer c.Close()
	require.NotNil(t, c.wire[0], "plain HTTP goes over the lean client")
	ctx := context.Background()

	var got map[string]string
	r := c.Do(ctx, Request{Method: "POST", Path: "/echo?x=1", Token: "tok", Key: "k1", Body: map[string]int{"a": 1}})
	require.NoError(t, r.Err)
	require.NoError(t, r.decode(&got))
	assert.Equal(t, map[string]string{"method": "POST", "auth": "Bearer tok", "key": "k1", "type": "application/json",
		"body": `{"a":1}`, "query": "x=1"}, got)
	r = c.Do(ctx, Request{Method: "DELETE", Path: "/echo"})
	require.NoError(t, r.decode(&got))
	assert.Equal(t, "DELETE", got["method"])
	assert.Empty(t, got["type"])

	r = c.Do(ctx, Request{Method: "GET", Path: "/big"})
	require.NoError(t, r.Err)
	assert.Len(t, r.Body, 100_003)
	r = c.Do(ctx, Request{Method: "GET", Path: "/empty"})
	require.NoError(t, r.Err)
	assert.Equal(t, http.StatusNoContent, r.Status)
	assert.Empty(t, r.Body)
	assert.EqualValues(t, 1, conns.Load(), "one kept-alive connection carried every exchange")

	r = c.Do(ctx, Request{Method: "GET", Path: "/close"})
	require.NoError(t, r.Err)
	assert.Equal(t, "bye", string(r.Body))
	r = c.Do(ctx, Request{Method: "GET", Path: "/empty"})
	require.NoError(t, r.Err)
	assert.EqualValues(t, 2, conns.Load(), "a connection the server closed is replaced")

	r = c.Do(ctx, Request{Method: "GET", Path: "/huge"})
	require.ErrorIs(t, r.Err, errBodyTooLong)

	r = c.Do(ctx, Request{Method: "GET", Path: "/slow"})
	assert.Equal(t, OutcomeTimeout, r.Outcome())
	assert.Zero(t, r.Status)

	patient := NewClient([]string{srv.URL}, 1, time.Minute)
	defer patient.Close()
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	r = patient.Do(cctx, Request{Method: "GET", Path: "/slow"})
	assert.Equal(t, OutcomeCancelled, r.Outcome())
	assert.Less(t, r.Done.Sub(r.Sent), 15*time.Second, "cancellation ends the wait, not the server's answer at 20 s")

	r = c.Do(ctx, Request{Method: "GET", Path: "/empty"})
	require.NoError(t, r.Err, "the client recovers after a timeout and a cancellation")
}

// TestWireClientLetsBurstConnectionsGo: after a burst opened many
// connections, a steady load of one request at a time keeps one warm and
// closes the others once idle for wireIdleMax. A queue that handed out the
// least recently used connection first kept all of them warm for ever, so
// a node's open files rose with every burst of a long run (the soak's
// open_fds series).
func TestWireClientLetsBurstConnectionsGo(t *testing.T) {
	const burst = 10
	var arrived atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/burst" && arrived.Add(1) == burst {
			close(release)
		}
		if r.URL.Path == "/burst" {
			<-release
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := NewClient([]string{srv.URL}, 64, 5*time.Second)
	defer c.Close()
	target := c.wire[0]
	require.NotNil(t, target)
	ctx := t.Context()

	done := make(chan Result, burst)
	for range burst {
		go func() { done <- c.Do(ctx, Request{Method: "GET", Path: "/burst"}) }()
	}
	for range burst {
		require.NoError(t, (<-done).Err)
	}
	require.Equal(t, burst, target.idleConns(), "the burst's connections are kept")

	// 20 s of a steady 10 requests a second, one at a time, with the
	// idle connections aged by hand instead of waiting.
	for range 200 {
		target.mu.Lock()
		for _, ic := range target.idle {
			ic.lastUsed = ic.lastUsed.Add(-100 * time.Millisecond)
		}
		target.mu.Unlock()
		require.NoError(t, c.Do(ctx, Request{Method: "GET", Path: "/steady"}).Err)
	}
	require.Equal(t, 1, target.idleConns(), "one connection serves the steady load; the rest were closed")
}
