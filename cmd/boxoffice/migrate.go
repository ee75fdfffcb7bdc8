package main

import (
	"context"
	"fmt"
	"io"

	"github.com/boxoffice/boxoffice/persistence"
)

// migrate creates the missing databases of every service, applies pending
// migrations and marks the databases as one install, then exits. It is the
// only way, besides a first start, that databases come into being: serve
// refuses a missing or empty one while others hold data.
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
