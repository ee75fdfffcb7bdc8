package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	bohttp "github.com/boxoffice/boxoffice/http"
)

// TestRateLimitFlags proves --rate-limits and --trusted-proxies and their
// environment twins: on by default, off or overridden by either, the flag
// winning, bad values refused.
func TestRateLimitFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ParseConfig(nil, env(nil), nil)
	require.NoError(t, err)
	assert.False(t, c.RateLimits.Off)
	assert.Empty(t, c.TrustedProxies)
	assert.Contains(t, c.String(), "rate-limits=hold-account=10/1s")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_RATE_LIMITS": "off", "BOXOFFICE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}), nil)
	require.NoError(t, err)
	assert.True(t, c.RateLimits.Off)
	require.Len(t, c.TrustedProxies, 2)
	assert.Equal(t, "10.0.0.0/8", c.TrustedProxies[0].String())
	assert.Equal(t, "192.0.2.7/32", c.TrustedProxies[1].String())

	c, err = ParseConfig([]string{"--rate-limits", "hold-account=20/1s"}, env(map[string]string{"BOXOFFICE_RATE_LIMITS": "off"}), nil)
	require.NoError(t, err)
	assert.False(t, c.RateLimits.Off)
	assert.Equal(t, bohttp.RateLimit{Burst: 20, Per: time.Second}, c.RateLimits.Limits[bohttp.LimitHoldAccount])

	for _, args := range [][]string{{"--rate-limits", "holds=1/1s"}, {"--trusted-proxies", "not-an-ip"}} {
		_, err := ParseConfig(args, env(nil), nil)
		assert.Error(t, err, "%v", args)
	}
}
