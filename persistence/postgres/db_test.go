package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// mustOpen opens stores for cfg and closes them when the test ends.
func mustOpen(t testing.TB, cfg postgres.Config) *boxoffice.Stores {
	t.Helper()
	s, err := postgres.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// databases lists which of cfg's six service databases exist.
func databases(t *testing.T, cfg postgres.Config) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), cfg.BaseURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(),
		`SELECT datname FROM pg_database WHERE datname LIKE $1 || '\_%' ORDER BY datname`, cfg.Prefix)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return names
}

func TestOpen(t *testing.T) {
	t.Parallel()
	t.Run("CreatesAndMigratesMissingDatabases", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		require.Empty(t, databases(t, cfg))
		s := mustOpen(t, cfg)
		require.NoError(t, s.Ping(t.Context()))

		var want []string
		for _, svc := range boxoffice.Services {
			want = append(want, cfg.DatabaseName(svc))
		}
		require.ElementsMatch(t, want, databases(t, cfg))
	})

	t.Run("ReopenKeepsData", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		s, err := postgres.Open(t.Context(), cfg)
		require.NoError(t, err)
		u := &boxoffice.User{ID: boxoffice.NewID(), Email: "a@example.com", Name: "A", Role: boxoffice.RoleUser,
			PasswordHash: "h", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		require.NoError(t, s.Users.CreateUser(t.Context(), u))
		require.NoError(t, s.Close())

		require.NoError(t, postgres.Migrate(t.Context(), cfg), "migrating an up-to-date schema is a no-op")
		got, err := mustOpen(t, cfg).Users.UserByID(t.Context(), u.ID)
		require.NoError(t, err)
		require.Equal(t, u, got)
	})

	// Nodes of a cluster start together: each must create (or find) the
	// databases and run (or wait for) the migrations without failing.
	t.Run("ConcurrentOpensWithOnePrefixBothSucceed", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		const opens = 3
		errs := make([]error, opens)
		var wg sync.WaitGroup
		for i := range opens {
			wg.Go(func() {
				s, err := postgres.Open(t.Context(), cfg)
				if err == nil {
					err = s.Ping(t.Context())
					_ = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, databases(t, cfg), len(boxoffice.Services))
	})

}

// TestOpenRefusesSynchronousCommitOff proves Open will not serve from a
// database that can lose acknowledged commits, however it was turned off.
func TestOpenRefusesSynchronousCommitOff(t *testing.T) {
	t.Parallel()
	t.Run("SynchronousCommitOffRefused", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		require.NoError(t, postgres.Migrate(t.Context(), cfg))
		seats := cfg.DatabaseName("seats")
		pgtest.Exec(t, cfg, "ALTER DATABASE "+seats+" SET synchronous_commit = off")

		_, err := postgres.Open(t.Context(), cfg)
		require.ErrorContains(t, err, "synchronous_commit = off")
		require.ErrorContains(t, err, seats)

		pgtest.Exec(t, cfg, "ALTER DATABASE "+seats+" RESET synchronous_commit")
		mustOpen(t, cfg)
	})

	t.Run("SynchronousCommitOffInURLRefused", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		sep := "?"
		if strings.Contains(cfg.BaseURL, "?") {
			sep = "&"
		}
		cfg.BaseURL += sep + "options=-c%20synchronous_commit%3Doff"
		_, err := postgres.Open(t.Context(), cfg)
		require.ErrorContains(t, err, "synchronous_commit = off")
	})

}

func TestOpenPerServiceURL(t *testing.T) {
	t.Parallel()
	t.Run("PerServiceURLOverridesBase", func(t *testing.T) {
		t.Parallel()
		cfg := pgtest.MustTestConfig(t)
		// The override names its own database; it is created like the
		// derived ones (and dropped by the cleanup of a second config).
		other := pgtest.MustTestConfig(t)
		u, err := url.Parse(cfg.BaseURL)
		require.NoError(t, err)
		u.Path = "/" + other.DatabaseName("payments")
		cfg.URLs = map[string]string{"payments": u.String()}
		mustOpen(t, cfg)
		require.Len(t, databases(t, cfg), len(boxoffice.Services)-1)
		require.Equal(t, []string{other.DatabaseName("payments")}, databases(t, other))
	})
}

func TestConfig(t *testing.T) {
	t.Parallel()
	t.Run("FromEnv", func(t *testing.T) {
		env := map[string]string{
			"BOXOFFICE_DATABASE_URL":       "postgres://db/postgres",
			"BOXOFFICE_DATABASE_PREFIX":    "bo",
			"BOXOFFICE_SEATS_DATABASE_URL": "postgres://seats/seats",
		}
		cfg := postgres.ConfigFromEnv(func(k string) string { return env[k] })
		require.Equal(t, "postgres://db/postgres", cfg.BaseURL)
		require.Equal(t, map[string]string{"seats": "postgres://seats/seats"}, cfg.URLs)
		require.Equal(t, "bo_users", cfg.DatabaseName("users"))
		require.Equal(t, "boxoffice_users", postgres.Config{}.DatabaseName("users"))
	})

	for _, tc := range []struct {
		name string
		cfg  postgres.Config
		want string
	}{
		{"NoURLRefused", postgres.Config{}, "no database URL for the users service"},
		{"BadPrefixRefused", postgres.Config{BaseURL: "postgres://x/y", Prefix: "Box-Office"}, "database prefix"},
		{"UnknownServiceRefused", postgres.Config{BaseURL: "postgres://x/y", URLs: map[string]string{"seat": "postgres://x/y"}}, `unknown service "seat"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgres.Open(t.Context(), tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestOpenRefusesLostDatabase drops the seats database of an install that
// holds a user: a node must refuse to start, naming the database, instead
// of recreating it empty (and selling its seats again); migrate recreates
// it on purpose.
func TestOpenRefusesLostDatabase(t *testing.T) {
	t.Parallel()
	cfg := pgtest.MustTestConfig(t)
	s, err := postgres.Open(t.Context(), cfg)
	require.NoError(t, err)
	u := &boxoffice.User{ID: boxoffice.NewID(), Email: "a@example.com", Name: "A", Role: boxoffice.RoleUser,
		PasswordHash: "h", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	require.NoError(t, s.Users.CreateUser(t.Context(), u))
	require.NoError(t, s.Close())

	seats := cfg.DatabaseName("seats")
	pgtest.Exec(t, cfg, "DROP DATABASE "+seats+" WITH (FORCE)")
	_, err = postgres.Open(t.Context(), cfg)
	require.ErrorContains(t, err, `the seats database (database "`+seats+`") is missing`)
	require.ErrorContains(t, err, "backup")
	require.NotContains(t, databases(t, cfg), seats, "a refused start creates nothing")

	pgtest.Exec(t, cfg, "CREATE DATABASE "+seats)
	_, err = postgres.Open(t.Context(), cfg)
	require.ErrorContains(t, err, `the seats database (database "`+seats+`") is empty`)

	require.NoError(t, postgres.Migrate(t.Context(), cfg), "migrate is how an operator recreates a database")
	got, err := mustOpen(t, cfg).Users.UserByID(t.Context(), u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)
}

// TestOpenRefusesDatabaseOfAnotherInstall points the seats service at the
// seats database of another install.
func TestOpenRefusesDatabaseOfAnotherInstall(t *testing.T) {
	t.Parallel()
	cfg, other := pgtest.MustTestConfig(t), pgtest.MustTestConfig(t)
	require.NoError(t, postgres.Migrate(t.Context(), cfg))
	require.NoError(t, postgres.Migrate(t.Context(), other))
	u, err := url.Parse(cfg.BaseURL)
	require.NoError(t, err)
	u.Path = "/" + other.DatabaseName("seats")
	cfg.URLs = map[string]string{"seats": u.String()}
	_, err = postgres.Open(t.Context(), cfg)
	require.ErrorContains(t, err, "the seats database")
	require.ErrorContains(t, err, "belongs to another install")
}
