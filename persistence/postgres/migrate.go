package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// migrateConnectTimeout bounds the connection that holds the migration lock.
const migrateConnectTimeout = 15 * time.Second

// migrations holds one directory of goose SQL files per service.
//
//go:embed migrations
var migrations embed.FS

// migrateLockID is the advisory lock that serializes the migrations of
// nodes starting together. Advisory locks are per database, so one ID
// serves every service.
const migrateLockID int64 = 0x626f786f6666 // "boxoff"

// Limits on waiting for a template database that another session is
// copying from (CREATE DATABASE refuses while template1 is in use).
const (
	createAttemptsMax = 20
	createRetryDelay  = 100 * time.Millisecond
)

// createDatabase creates a missing service database from the maintenance
// database of the same server.
func createDatabase(ctx context.Context, t *target, log *slog.Logger) error {
	maint, err := pgx.ConnectConfig(ctx, t.maint.ConnConfig)
	if err != nil {
		return fmt.Errorf("postgres: connect to %q to create the %s database: %v", t.maint.ConnConfig.Database, t.service, err)
	}
	defer maint.Close(context.WithoutCancel(ctx))
	sql := "CREATE DATABASE " + pgx.Identifier{t.name()}.Sanitize()
	for attempt := 1; ; attempt++ {
		_, err = maint.Exec(ctx, sql)
		switch code := pgCode(err); {
		case err == nil:
			log.Info("created database")
			return nil
		case code == "42P04" || code == "23505":
			// Another node created it at the same moment (the unique
			// violation is on pg_database's name index): that is success.
			return nil
		case code == "55006" && attempt < createAttemptsMax:
			// The template database is busy with a concurrent CREATE.
			if err := sleep(ctx, createRetryDelay); err != nil {
				return err
			}
		default:
			return fmt.Errorf("postgres: create the %s database %q: %v", t.service, t.name(), err)
		}
	}
}

// migrate applies the service's pending migrations. Only when some are
// pending does it take an advisory lock, so that nodes starting together
// migrate one after the other. The lock is held on a connection of its
// own, outside the pool, so that goose (which uses the pool) cannot wait
// for a connection the lock holds, whatever MaxConns is.
func (d *db) migrate(ctx context.Context, log *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migrations/"+d.service)
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(d.pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("postgres: %s migrations: %w", d.service, err)
	}
	if pending, err := p.HasPending(ctx); err != nil {
		return fmt.Errorf("postgres: %s database %q: read the schema version: %v", d.service, d.name, err)
	} else if !pending {
		return nil
	}
	// The lock connection is made once at start, when a busy server may
	// take longer to accept than the fail-fast timeout of request paths.
	cc := d.pool.Config().ConnConfig.Copy()
	cc.ConnectTimeout = migrateConnectTimeout
	lock, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("postgres: %s database %q: connect to migrate: %v", d.service, d.name, err)
	}
	// Ending the session releases the lock, also when ctx is cancelled.
	defer lock.Close(context.WithoutCancel(ctx))
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockID); err != nil {
		return fmt.Errorf("postgres: %s database %q: lock for migrations: %v", d.service, d.name, err)
	}
	results, err := p.Up(ctx) // applies only what the lock's previous holder did not
	if err != nil {
		return fmt.Errorf("postgres: %s database %q: migrate: %v", d.service, d.name, err)
	}
	for _, r := range results {
		log.Info("applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// pgCode is the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
