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
	stores := cfg.Persistence()
	stores.Logger = newLogger(stderr, cfg.LogLevel)
	if err := persistence.Migrate(ctx, stores); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
