package main

import (
	"context"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDebugServerServesProfiles(t *testing.T) {
	d, err := startDebug("127.0.0.1:0")
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
