package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// TestComposePoolsFitTheServer adds up the PostgreSQL pools of every node
// of the compose file (BOXOFFICE_DB_MAX_CONNS) and expects them to fit the
// server's max_connections less its 3 reserved superuser connections: a
// cluster whose pools outgrow the server fails under load with "too many
// clients", not at start.
func TestComposePoolsFitTheServer(t *testing.T) {
	compose := readCompose(t)
	maxConnections := 100 // PostgreSQL's default
	for _, arg := range compose.Services["postgres"].Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok {
			var err error
			maxConnections, err = strconv.Atoi(v)
			require.NoError(t, err)
		}
	}
	total, nodes := int32(0), 0
	for _, svc := range compose.Services {
		if len(svc.Profiles) > 0 || len(svc.Command) == 0 || svc.Command[0] != "serve" {
			continue
		}
		all, per, err := postgres.ParseMaxConns(svc.Environment["BOXOFFICE_DB_MAX_CONNS"])
		require.NoError(t, err)
		total += postgres.Config{MaxConns: all, ServiceMaxConns: per}.MaxConnsPerNode()
		nodes++
	}
	require.Equal(t, 3, nodes)
	require.LessOrEqual(t, int(total), maxConnections-3, "%d nodes' pools: %d connections", nodes, total)
}
