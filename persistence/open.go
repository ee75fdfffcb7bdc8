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
	// MaxConns and ServiceMaxConns size the PostgreSQL pools (postgres.Config).
	MaxConns        int32
	ServiceMaxConns map[string]int32
	Logger          *slog.Logger
}

// Postgres reports whether the config selects PostgreSQL.
func (c Config) Postgres() bool { return c.DatabaseURL != "" || len(c.URLs) > 0 }

// Open opens every service's store. Only a first start (no service
// database holds anything) creates and migrates them; a lost or foreign
// store, or a schema behind this binary, refuses the start with what to do.
func Open(ctx context.Context, cfg Config) (*boxoffice.Stores, error) {
	if cfg.Postgres() {
		return postgres.Open(ctx, cfg.postgres())
	}
	return sqlite.Open(ctx, cfg.DataDir)
}

// Migrate creates missing databases, applies migrations and marks the
// databases as one install, without serving.
func Migrate(ctx context.Context, cfg Config) error {
	if cfg.Postgres() {
		return postgres.Migrate(ctx, cfg.postgres())
	}
	return sqlite.Migrate(ctx, cfg.DataDir)
}

func (c Config) postgres() postgres.Config {
	return postgres.Config{BaseURL: c.DatabaseURL, Prefix: c.Prefix, URLs: c.URLs,
		MaxConns: c.MaxConns, ServiceMaxConns: c.ServiceMaxConns, Logger: c.Logger}
}
