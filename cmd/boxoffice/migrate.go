package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boxoffice/boxoffice/persistence"
)

// migrate creates and migrates the databases of every service, then exits.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogLevel)
	pc := persistence.Config{DataDir: cfg.DataDir, DatabaseURL: cfg.DatabaseURL, Prefix: cfg.DatabasePrefix, URLs: cfg.ServiceURLs, Logger: logger}
	if err := persistence.Migrate(ctx, pc); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
