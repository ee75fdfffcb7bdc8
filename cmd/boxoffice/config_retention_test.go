package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/persistence"
)

// TestRetentionFlag proves --retention and BOXOFFICE_RETENTION: the
// defaults unless told, off or overridden by either, the flag winning,
// bad values refused.
func TestRetentionFlag(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ParseConfig(nil, env(nil), nil)
	require.NoError(t, err)
	assert.Equal(t, persistence.DefaultRetention(), c.Retention)
	assert.Contains(t, c.String(), "retention=refresh-tokens=168h0m0s,idempotency=24h0m0s,notifications=720h0m0s,events=168h0m0s,every=1m0s,batch=500")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_RETENTION": "off"}), nil)
	require.NoError(t, err)
	assert.True(t, c.Retention.Off)

	c, err = ParseConfig([]string{"--retention", "notifications=72h,every=30s"}, env(map[string]string{"BOXOFFICE_RETENTION": "off"}), nil)
	require.NoError(t, err)
	want := persistence.DefaultRetention()
	want.Notifications, want.Every = 72*time.Hour, 30*time.Second
	assert.Equal(t, want, c.Retention)

	_, err = ParseConfig([]string{"--retention", "notifications=forever"}, env(nil), nil)
	assert.Error(t, err)
}
