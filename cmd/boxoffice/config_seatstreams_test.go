package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bohttp "github.com/boxoffice/boxoffice/http"
)

// TestSeatStreamFlags proves --seat-streams and BOXOFFICE_SEAT_STREAMS:
// the defaults unless told, off or overridden by either, the flag winning,
// bad values refused.
func TestSeatStreamFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ParseConfig(nil, env(nil), nil)
	require.NoError(t, err)
	assert.False(t, c.SeatStreams.Off)
	assert.Contains(t, c.String(), "seat-streams=total=10000,per-ip=100,lifetime=30m0s")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_SEAT_STREAMS": "off"}), nil)
	require.NoError(t, err)
	assert.True(t, c.SeatStreams.Off)

	c, err = ParseConfig([]string{"--seat-streams", "per-ip=5,lifetime=10m"}, env(map[string]string{"BOXOFFICE_SEAT_STREAMS": "off"}), nil)
	require.NoError(t, err)
	assert.Equal(t, bohttp.SeatStreamLimits{Total: bohttp.SeatStreamsTotalDefault, PerIP: 5, Lifetime: 10 * time.Minute}, c.SeatStreams)

	_, err = ParseConfig([]string{"--seat-streams", "per-ip=none"}, env(nil), nil)
	assert.Error(t, err)
}
