package persistence

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPostgresConfigCarriesPoolSizes proves the pool sizes chosen by
// flags reach the PostgreSQL stores' configuration.
func TestPostgresConfigCarriesPoolSizes(t *testing.T) {
	cfg := Config{DatabaseURL: "postgres://db/postgres", MaxConns: 6, ServiceMaxConns: map[string]int32{"seats": 12}}
	pg := cfg.postgres()
	require.Equal(t, int32(6), pg.MaxConns)
	require.Equal(t, map[string]int32{"seats": 12}, pg.ServiceMaxConns)
}
