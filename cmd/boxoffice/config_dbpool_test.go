package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDBMaxConnsFlags proves --db-max-conns and BOXOFFICE_DB_MAX_CONNS:
// unset keeps the defaults, either sets the pool sizes that Persistence
// hands to the stores, the flag wins over the environment, and bad values
// are refused.
func TestDBMaxConnsFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	pg := map[string]string{"BOXOFFICE_DATABASE_URL": "postgres://db/postgres"}

	c, err := ParseConfig(nil, env(pg), nil)
	require.NoError(t, err)
	assert.Zero(t, c.Persistence().MaxConns)
	assert.Empty(t, c.Persistence().ServiceMaxConns)
	assert.Contains(t, c.String(), "db-max-conns=users=3,catalog=3,seats=10,")

	c, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_DATABASE_URL": "postgres://db/postgres", "BOXOFFICE_DB_MAX_CONNS": "6,seats=12"}), nil)
	require.NoError(t, err)
	assert.Equal(t, int32(6), c.Persistence().MaxConns)
	assert.Equal(t, map[string]int32{"seats": 12}, c.Persistence().ServiceMaxConns)
	assert.Contains(t, c.String(), "db-max-conns=users=6,catalog=6,seats=12,bookings=6,payments=6,notifications=6 (42 a node)")

	c, err = ParseConfig([]string{"--db-max-conns", "bookings=3"}, env(map[string]string{"BOXOFFICE_DB_MAX_CONNS": "6"}), nil)
	require.NoError(t, err)
	assert.Zero(t, c.Persistence().MaxConns, "the flag replaces the environment's setting")
	assert.Equal(t, map[string]int32{"bookings": 3}, c.Persistence().ServiceMaxConns)

	for _, bad := range []string{"0", "seat=4", "seats=lots"} {
		_, err = ParseConfig([]string{"--db-max-conns", bad}, env(nil), nil)
		assert.Error(t, err, bad)
	}
	_, err = ParseConfig(nil, env(map[string]string{"BOXOFFICE_DB_MAX_CONNS": "x"}), nil)
	assert.ErrorContains(t, err, "BOXOFFICE_DB_MAX_CONNS")
}
