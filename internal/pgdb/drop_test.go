package pgdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/internal/pgdb"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

func TestDropPrefixedDropsOnlyItsOwn(t *testing.T) {
	cfg := pgtest.MustTestConfig(t) // a random prefix of the test's own
	for _, name := range []string{cfg.Prefix + "_a", cfg.Prefix + "_b", cfg.Prefix + "x_keep"} {
		pgtest.Exec(t, cfg, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	}
	t.Cleanup(func() {
		pgtest.Exec(t, cfg, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Prefix + "x_keep"}.Sanitize())
	})

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupted run still cleans up
	require.NoError(t, pgdb.DropPrefixed(ctx, cfg.BaseURL, cfg.Prefix))

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, cfg.BaseURL)
	require.NoError(t, err)
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1 ORDER BY datname`, cfg.Prefix)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{cfg.Prefix + "x_keep"}, names, "prefix_* dropped, a name that only starts with the prefix kept")
}
