// Package persistence opens the stores of the six services: embedded SQLite
// files by default, PostgreSQL databases when a server URL is given.
package persistence

import (
	"context"
	"log/slog"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

// Config chooses the stores.
type Config struct {
	DataDir     string            // SQLite files live here when no PostgreSQL URL is set
	DatabaseURL string            // a PostgreSQL server URL
	Prefix      string            // PostgreSQL database names are <Prefix>_<service>
	URLs        map[string]string // per-service PostgreSQL URL overrides
	Logger      *slog.Logger
}

// Postgres reports whether the config selects PostgreSQL.
func (c Config) Postgres() bool { return c.DatabaseURL != "" || len(c.URLs) > 0 }

// Open opens (creating and migrating as needed) every service's store.
func Open(ctx context.Context, cfg Config) (*boxoffice.Stores, error) {
	if cfg.Postgres() {
		return postgres.Open(ctx, cfg.postgres())
	}
	return sqlite.Open(ctx, cfg.DataDir)
}

// Migrate applies migrations without serving.
func Migrate(ctx context.Context, cfg Config) error {
	if cfg.Postgres() {
		return postgres.Migrate(ctx, cfg.postgres())
	}
	s, err := sqlite.Open(ctx, cfg.DataDir) // opening SQLite stores migrates them
	if err != nil {
		return err
	}
	return s.Close()
}

func (c Config) postgres() postgres.Config {
	return postgres.Config{BaseURL: c.DatabaseURL, Prefix: c.Prefix, URLs: c.URLs, Logger: c.Logger}
}
