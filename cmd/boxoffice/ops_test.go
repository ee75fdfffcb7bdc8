package main

import (
	"context"
	"io"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpsFlags proves --ops-addr and --ops-pprof and their environment
// twins: the listener on loopback by default, off when empty or "off",
// profiles only when asked for and only with the listener, and an address
// that is not host:port refused.
func TestOpsFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ParseConfig(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, "127.0.0.1:9464", c.OpsAddr)
	assert.True(t, c.OpsOn())
	assert.False(t, c.OpsPprof)
	assert.Contains(t, c.String(), "ops=127.0.0.1:9464 ops-pprof=false")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_OPS_ADDR": "127.0.0.1:9999", "BOXOFFICE_OPS_PPROF": "true"}), io.Discard)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, "127.0.0.1:9999", c.OpsAddr)
	assert.True(t, c.OpsPprof)

	for _, off := range [][]string{{"--ops-addr", ""}, {"--ops-addr", "off"}} {
		c, err = ParseConfig(off, env(map[string]string{"BOXOFFICE_OPS_ADDR": "127.0.0.1:9999"}), io.Discard)
		require.NoError(t, err)
		require.NoError(t, c.Validate())
		assert.False(t, c.OpsOn(), "%q: the flag wins", off)
		assert.Contains(t, c.String(), "ops=off")
	}
	c, err = ParseConfig([]string{"--ops-addr", "off", "--ops-pprof"}, env(nil), io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, c.Validate(), "--ops-pprof")
	c, err = ParseConfig([]string{"--ops-addr", "9464"}, env(nil), io.Discard)
	require.NoError(t, err)
	require.ErrorContains(t, c.Validate(), "--ops-addr")
}

// TestOpsListener proves the ops listener serves the registry at /metrics
// and Go's profiles only when enabled (404 otherwise), never the command
// line.
func TestOpsListener(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ops_test_total", Help: "A test series."},
		func() float64 { return 7 }))
	client := &nethttp.Client{Timeout: 5 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := client.Get(url)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(body)
	}
	for _, pprof := range []bool{false, true} {
		ops, err := startOps("127.0.0.1:0", reg, pprof)
		require.NoError(t, err)
		base := "http://" + ops.Addr()
		code, body := get(base + "/metrics")
		require.Equal(t, nethttp.StatusOK, code)
		require.Contains(t, body, "ops_test_total 7")
		code, _ = get(base + "/debug/pprof/goroutine?debug=1")
		if pprof {
			require.Equal(t, nethttp.StatusOK, code, "profiles with --ops-pprof")
		} else {
			require.Equal(t, nethttp.StatusNotFound, code, "no profiles without --ops-pprof")
		}
		code, _ = get(base + "/debug/pprof/cmdline")
		require.Equal(t, nethttp.StatusNotFound, code, "never the command line")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		require.NoError(t, ops.Close(ctx))
		cancel()
	}
}
