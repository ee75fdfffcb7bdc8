package http_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// TestHealth proves /healthz always answers and /readyz follows Ready.
func TestHealth(t *testing.T) {
	var down atomic.Bool
	ts := MustOpenServer(t, func(c *boxhttp.Config) {
		c.Ready = func(context.Context) error {
			if down.Load() {
				return errors.New("catalog store: connection refused")
			}
			return nil
		}
	})
	var s struct{ Status string }
	ts.Do(t, "GET", "/healthz", "", nil).Decode(t, http.StatusOK, &s)
	assert.Equal(t, "ok", s.Status)
	ts.Do(t, "GET", "/readyz", "", nil).Decode(t, http.StatusOK, &s)
	assert.Equal(t, "ready", s.Status)

	down.Store(true)
	r := ts.Do(t, "GET", "/readyz", "", nil)
	e := r.RequireError(t, http.StatusServiceUnavailable, boxoffice.EUNAVAILABLE)
	assert.Equal(t, "1", r.Header.Get("Retry-After"))
	assert.NotContains(t, e.Message, "refused")
	assert.Contains(t, ts.Logs.String(), "connection refused")
	ts.Do(t, "GET", "/healthz", "", nil).Decode(t, http.StatusOK, nil)
}

// TestHealthzSaysWhyFenced proves /healthz stays 200 while the node is
// fenced (nothing must restart it) and gives the reason.
func TestHealthzSaysWhyFenced(t *testing.T) {
	var reason atomic.Value
	reason.Store("")
	ts := MustOpenServer(t, func(c *boxhttp.Config) { c.Fenced = func() string { return reason.Load().(string) } })
	var s struct{ Status, Reason string }
	ts.Do(t, "GET", "/healthz", "", nil).Decode(t, http.StatusOK, &s)
	assert.Equal(t, "ok", s.Status)
	assert.Empty(t, s.Reason)
	reason.Store("rejoining the cluster")
	ts.Do(t, "GET", "/healthz", "", nil).Decode(t, http.StatusOK, &s)
	assert.Equal(t, "rejoining the cluster", s.Reason)
}

// TestMetrics proves the server counts requests in its registry labelled
// by route template, not by raw path: each method, route and status its
// own series, counted again on every later request of the same kind, and
// unknown methods under one label. The API port itself serves no
// /metrics: cmd/boxoffice serves the registry on the ops listener.
func TestMetrics(t *testing.T) {
	ts := MustOpenServer(t)
	ts.Do(t, "GET", path("/movies/%s", boxoffice.NewID()), "", nil)
	ts.Do(t, "GET", "/no/such/path/"+boxoffice.NewID(), "", nil)
	for range 3 {
		ts.Do(t, "GET", path("/movies/%s", boxoffice.NewID()+"x"), "", nil)
		ts.Do(t, "DELETE", path("/movies/%s", boxoffice.NewID()), "", nil)
	}
	ts.Do(t, "BREW", "/healthz", "", nil)
	ts.Do(t, "GET", "/metrics", "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	body := ts.Metrics(t)
	assert.Contains(t, body, `boxoffice_http_requests_total{method="GET",route="/api/v1/movies/:id",status="404"} 4`)
	assert.Contains(t, body, `boxoffice_http_requests_total{method="DELETE",route="/api/v1/movies/:id",status="401"} 3`)
	assert.Contains(t, body, `boxoffice_http_requests_total{method="GET",route="unmatched",status="404"} 2`)
	assert.Contains(t, body, `boxoffice_http_requests_total{method="other",route="/healthz",status="405"} 1`)
	assert.Contains(t, body, `boxoffice_http_request_duration_seconds_count{method="GET",route="/api/v1/movies/:id"} 4`)
	assert.Contains(t, body, `boxoffice_http_request_duration_seconds_count{method="DELETE",route="/api/v1/movies/:id"} 3`)
	assert.Contains(t, body, "boxoffice_http_request_duration_seconds_bucket")
	assert.Contains(t, body, "boxoffice_sse_streams 0")
}

// TestCluster proves the cluster route is admin-only and 404 without a
// cluster.
func TestCluster(t *testing.T) {
	t.Run("NotClustered", func(t *testing.T) {
		ts := MustOpenServer(t)
		ts.Do(t, "GET", "/api/v1/cluster", ts.Admin(t), nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("Clustered", func(t *testing.T) {
		info := map[string]any{"self": map[string]any{"id": "n1", "name": "node-1"}, "members": []any{}, "showtimes": []any{}}
		ts := MustOpenServer(t, func(c *boxhttp.Config) {
			c.ClusterInfo = func(context.Context) (any, error) { return info, nil }
		})
		var got map[string]any
		ts.Do(t, "GET", "/api/v1/cluster", ts.Admin(t), nil).Decode(t, http.StatusOK, &got)
		assert.Equal(t, "node-1", got["self"].(map[string]any)["name"])
		_, user := ts.Register(t, "ann")
		ts.Do(t, "GET", "/api/v1/cluster", user.AccessToken, nil).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
		ts.Do(t, "GET", "/api/v1/cluster", "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
}

// TestNewServerPanicsOnBadWiring proves wiring mistakes fail at start.
func TestNewServerPanicsOnBadWiring(t *testing.T) {
	ts := NewTestServer(t)
	short := ts.Config
	short.JWTSecret = []byte("short")
	assert.PanicsWithValue(t, "http.NewServer: JWTSecret must be at least 32 bytes", func() { boxhttp.NewServer(short) })
	noHolds := ts.Config
	noHolds.Showtimes = nil
	assert.Panics(t, func() { boxhttp.NewServer(noHolds) })
}

// TestOpenTwice proves a server opens once and reports its URL.
func TestOpenTwice(t *testing.T) {
	ts := MustOpenServer(t)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, ts.URL())
	assert.Error(t, ts.Open())
	assert.Empty(t, NewTestServer(t).URL())
}
