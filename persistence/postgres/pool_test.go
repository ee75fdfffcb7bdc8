package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParseMaxConns reads the --db-max-conns forms and refuses the bad
// ones with what is wrong.
func TestParseMaxConns(t *testing.T) {
	for _, tc := range []struct {
		in   string
		all  int32
		per  map[string]int32
		fail string
	}{
		{in: "", per: map[string]int32{}},
		{in: "16", all: 16, per: map[string]int32{}},
		{in: "seats=16, bookings=12", per: map[string]int32{"seats": 16, "bookings": 12}},
		{in: "8,seats=16", all: 8, per: map[string]int32{"seats": 16}},
		{in: "0", fail: "at least 1"},
		{in: "seats=-1", fail: "at least 1"},
		{in: "seats=many", fail: "whole number"},
		{in: "seat=4", fail: `unknown service "seat"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			all, per, err := ParseMaxConns(tc.in)
			if tc.fail != "" {
				require.ErrorContains(t, err, tc.fail)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.all, all)
			require.Equal(t, tc.per, per)
		})
	}
}

// TestPoolSizesReachPools resolves each service's pool configuration and
// expects its MaxConns from, in order: the URL's pool_max_conns, the
// service's own size, the size for all, the default.
func TestPoolSizesReachPools(t *testing.T) {
	base := "postgres://db/postgres"
	sizes := func(cfg Config) map[string]int32 {
		got := map[string]int32{}
		for _, s := range []string{"users", "catalog", "seats", "bookings", "payments", "notifications"} {
			tg, err := cfg.target(s)
			require.NoError(t, err)
			got[s] = tg.pool.MaxConns
		}
		return got
	}
	t.Run("Defaults", func(t *testing.T) {
		require.Equal(t, MaxConnsDefault, sizes(Config{BaseURL: base}))
	})
	t.Run("AllAndPerService", func(t *testing.T) {
		got := sizes(Config{BaseURL: base, MaxConns: 5, ServiceMaxConns: map[string]int32{"seats": 20}})
		require.Equal(t, map[string]int32{"users": 5, "catalog": 5, "seats": 20, "bookings": 5, "payments": 5, "notifications": 5}, got)
	})
	t.Run("URLWins", func(t *testing.T) {
		cfg := Config{BaseURL: base + "?pool_max_conns=3", ServiceMaxConns: map[string]int32{"seats": 20},
			URLs: map[string]string{"bookings": "host=db dbname=b pool_max_conns=7", "payments": "host=db dbname=p"}}
		got := sizes(cfg)
		require.Equal(t, int32(3), got["seats"], "the base URL's pool_max_conns")
		require.Equal(t, int32(7), got["bookings"], "a keyword/value URL's pool_max_conns")
		require.Equal(t, MaxConnsDefault["payments"], got["payments"], "a URL without it")
	})
	t.Run("Total", func(t *testing.T) {
		cfg := Config{MaxConns: 5, ServiceMaxConns: map[string]int32{"seats": 20}}
		require.Equal(t, int32(5*5+20), cfg.MaxConnsPerNode())
		require.Equal(t, "users=5,catalog=5,seats=20,bookings=5,payments=5,notifications=5", cfg.MaxConnsString())
	})
	t.Run("DefaultsFitThreeNodesOnADefaultServer", func(t *testing.T) {
		// max_connections = 100, 3 of them reserved for superusers.
		require.LessOrEqual(t, 3*Config{}.MaxConnsPerNode(), int32(100-3))
	})
	t.Run("UnknownServiceRefused", func(t *testing.T) {
		err := Config{BaseURL: base, ServiceMaxConns: map[string]int32{"seat": 2}}.validate()
		require.ErrorContains(t, err, `unknown service "seat"`)
	})
}
