// Package pgtest gives tests of any package isolated PostgreSQL stores:
// every call gets its own six databases under a random prefix, dropped
// when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/install"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// EnvURL names the variable with the test server's URL, for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const EnvURL = "BOXOFFICE_TEST_DATABASE_URL"

// Timeouts for reaching the server and emptying databases, and for
// dropping one database.
const (
	setupTimeout = 10 * time.Second
	dropTimeout  = time.Minute
)

// MustTestConfig returns a Config for a test's own databases: the server
// from BOXOFFICE_TEST_DATABASE_URL and a random prefix. It skips the test
// when the variable is unset or the server does not answer, except under
// CI (env CI set), where a missing database must fail loudly rather than
// pass by skipping. A cleanup drops the test's databases, closing any
// session still connected to them.
func MustTestConfig(tb testing.TB) postgres.Config {
	tb.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		skipOrFail(tb, EnvURL+" is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := connect(ctx, url)
	if err != nil {
		skipOrFail(tb, "PostgreSQL at "+EnvURL+" is unreachable: "+err.Error())
	}
	_ = conn.Close(ctx)

	cfg := postgres.Config{BaseURL: url, Prefix: randomPrefix(tb), MaxConns: 4}
	tb.Cleanup(func() { dropDatabases(tb, cfg) })
	return cfg
}

// MustOpen opens stores on a test's own databases and closes them when
// the test ends (before the databases are dropped).
func MustOpen(tb testing.TB) *boxoffice.Stores {
	tb.Helper()
	cfg := MustTestConfig(tb)
	stores, err := postgres.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("open postgres stores: %v", err)
	}
	tb.Cleanup(func() { _ = stores.Close() })
	return stores
}

// Exec runs one statement on the test server's maintenance database, for
// tests that change server settings (ALTER DATABASE ...).
func Exec(tb testing.TB, cfg postgres.Config, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := connect(ctx, cfg.BaseURL)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// Reset empties every table of a config's six databases (but not goose's
// version table nor the install marker), so that one Open can serve many tests: creating six
// databases per test would cost more than the tests. DELETE, not
// TRUNCATE: on tables this small it is much faster than replacing files.
func Reset(tb testing.TB, cfg postgres.Config) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	errs := make([]error, len(boxoffice.Services))
	var wg sync.WaitGroup
	for i, s := range boxoffice.Services {
		wg.Go(func() { errs[i] = empty(ctx, cfg, s) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("pgtest: empty the test databases: %v", err)
	}
}

func empty(ctx context.Context, cfg postgres.Config, service string) error {
	ccfg, err := pgx.ParseConfig(cfg.BaseURL)
	if err != nil {
		return err
	}
	ccfg.Database = cfg.DatabaseName(service)
	conn, err := pgx.ConnectConfig(ctx, ccfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var deletes string
	err = conn.QueryRow(ctx, `SELECT COALESCE(string_agg('DELETE FROM ' || quote_ident(tablename), '; '), '')
		FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('goose_db_version', '`+install.MetaTable+`')`).Scan(&deletes)
	if err != nil || deletes == "" {
		return err
	}
	_, err = conn.Exec(ctx, deletes)
	return err
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("pgtest: %s (CI is set: PostgreSQL tests must run)", msg)
	}
	tb.Skipf("pgtest: skipping PostgreSQL test: %s", msg)
}

func connect(ctx context.Context, url string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = postgres.ConnectTimeout
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// randomPrefix is lowercase so the database names need no quoting.
func randomPrefix(tb testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("pgtest: random prefix: %v", err)
	}
	return "bxtest_" + hex.EncodeToString(b[:])
}

// dropDatabases drops in parallel, each with its own generous timeout:
// DROP DATABASE waits for a checkpoint, which takes seconds on a busy
// machine.
func dropDatabases(tb testing.TB, cfg postgres.Config) {
	errs := make([]error, len(boxoffice.Services))
	var wg sync.WaitGroup
	for i, s := range boxoffice.Services {
		wg.Go(func() { errs[i] = drop(cfg, cfg.DatabaseName(s)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Errorf("pgtest: drop test databases: %v", err)
	}
}

func drop(cfg postgres.Config, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dropTimeout)
	defer cancel()
	conn, err := connect(ctx, cfg.BaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}
