package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

func TestDebugServerServesProfiles(t *testing.T) {
	d, err := startDebug("127.0.0.1:0", nil, slog.Default())
	require.NoError(t, err)
	client := &nethttp.Client{Timeout: 5 * time.Second}
	res, err := client.Get("http://" + d.Addr() + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, nethttp.StatusOK, res.StatusCode)

	// The command line is not served, whatever it holds.
	res, err = client.Get("http://" + d.Addr() + "/debug/pprof/cmdline")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, nethttp.StatusNotFound, res.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, d.Close(ctx))
	_, err = client.Get("http://" + d.Addr() + "/debug/pprof/")
	require.Error(t, err, "the listener is closed")
}

func TestDebugAddrFlag(t *testing.T) {
	c, err := ParseConfig([]string{"--debug-addr", "127.0.0.1:6060"}, func(string) string { return "" }, nil)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:6060", c.DebugAddr)
	require.Contains(t, c.String(), "debug=127.0.0.1:6060")
	c, err = ParseConfig(nil, func(k string) string {
		if k == "BOXOFFICE_DEBUG_ADDR" {
			return "127.0.0.1:6061"
		}
		return ""
	}, nil)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:6061", c.DebugAddr)
}

// TestDebugClock drives /debug/clock the way the fault harness does: GET
// reads the offset, POST sets it (absolute, either way, within 24h), a bad
// or missing offset is a 400 with a JSON error that leaves the clock as it
// was, and a node without the debug clock has no such route.
func TestDebugClock(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := boxoffice.NewOffsetClock(clocktest.New(t0))
	d, err := startDebug("127.0.0.1:0", clock, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close(context.Background()) }) //nolint:errcheck
	url := "http://" + d.Addr() + "/debug/clock"
	client := &nethttp.Client{Timeout: 5 * time.Second}
	call := func(method, query string) (int, map[string]string) {
		t.Helper()
		req, err := nethttp.NewRequestWithContext(t.Context(), method, url+query, nil)
		require.NoError(t, err)
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var body map[string]string
		if res.StatusCode != nethttp.StatusMethodNotAllowed {
			require.Equal(t, "application/json", res.Header.Get("Content-Type"))
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
		}
		return res.StatusCode, body
	}

	code, body := call("GET", "")
	require.Equal(t, 200, code)
	require.Equal(t, map[string]string{"offset": "0s", "now": t0.Format(time.RFC3339Nano)}, body)

	for _, c := range []struct {
		offset string
		want   time.Duration
	}{{"11m", 11 * time.Minute}, {"-1h30m", -90 * time.Minute}, {"24h", 24 * time.Hour}, {"-24h", -24 * time.Hour}, {"0", 0}} {
		code, body = call("POST", "?offset="+c.offset)
		require.Equal(t, 200, code, c.offset)
		require.Equal(t, map[string]string{"offset": c.want.String(), "now": t0.Add(c.want).Format(time.RFC3339Nano)}, body, c.offset)
		require.Equal(t, c.want, clock.Offset())
		code, body = call("GET", "")
		require.Equal(t, 200, code)
		require.Equal(t, c.want.String(), body["offset"])
	}

	clock.SetOffset(time.Minute)
	for _, bad := range []string{"", "?offset=", "?offset=soon", "?offset=10", "?offset=24h0m1s", "?offset=-25h", "?other=1m"} {
		code, body = call("POST", bad)
		require.Equal(t, 400, code, bad)
		require.NotEmpty(t, body["error"], bad)
		require.Equal(t, time.Minute, clock.Offset(), "a refused offset leaves the clock alone: %s", bad)
	}
	code, _ = call("PUT", "?offset=1m")
	require.Equal(t, nethttp.StatusMethodNotAllowed, code)

	off, err := startDebug("127.0.0.1:0", nil, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { off.Close(context.Background()) }) //nolint:errcheck
	for _, method := range []string{"GET", "POST"} {
		req, err := nethttp.NewRequestWithContext(t.Context(), method, "http://"+off.Addr()+"/debug/clock?offset=1m", nil)
		require.NoError(t, err)
		res, err := client.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, nethttp.StatusNotFound, res.StatusCode, "%s without --debug-clock", method)
	}
}

func TestDebugClockFlag(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	c, err := ParseConfig([]string{"--debug-clock"}, env(nil), io.Discard)
	require.NoError(t, err)
	require.True(t, c.DebugClock)
	require.ErrorContains(t, c.Validate(), "--debug-clock (BOXOFFICE_DEBUG_CLOCK) needs --debug-addr")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_DEBUG_CLOCK": "true", "BOXOFFICE_DEBUG_ADDR": "127.0.0.1:6060"}), io.Discard)
	require.NoError(t, err)
	require.True(t, c.DebugClock)
	require.NoError(t, c.Validate())
	require.Contains(t, c.String(), "debug=127.0.0.1:6060 debug-clock=on")

	c, err = ParseConfig([]string{"--debug-clock=false"}, env(map[string]string{"BOXOFFICE_DEBUG_CLOCK": "true"}), io.Discard)
	require.NoError(t, err)
	require.False(t, c.DebugClock, "the flag wins over the environment")
	require.NoError(t, c.Validate())
}
