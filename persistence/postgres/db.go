// Package postgres implements the boxoffice stores on PostgreSQL with pgx:
// one database, pool and set of migrations per service, so that a service
// can later move to its own server by changing one URL. Services never join
// across databases.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// db is one service's database.
type db struct {
	service string
	name    string
	pool    *pgxpool.Pool
}

// Open connects to the six service databases, creating any that are
// missing and applying their migrations, and returns the stores. It
// refuses a database where synchronous_commit is off: every store backs an
// answer that tells a user something was saved.
func Open(ctx context.Context, cfg Config) (*boxoffice.Stores, error) {
	dbs, err := openAll(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	return &boxoffice.Stores{
		Users:         &userStore{db: dbs["users"]},
		Catalog:       &catalogStore{db: dbs["catalog"]},
		Seats:         &seatStore{db: dbs["seats"]},
		Bookings:      &bookingStore{db: dbs["bookings"]},
		Payments:      &paymentStore{db: dbs["payments"]},
		Notifications: &notificationStore{db: dbs["notifications"]},
		Ping:          func(ctx context.Context) error { return pingAll(ctx, dbs) },
		Close:         func() error { closeAll(dbs); return nil },
	}, nil
}

// Migrate creates the missing service databases and applies pending
// migrations, then disconnects (`boxoffice migrate`).
func Migrate(ctx context.Context, cfg Config) error {
	dbs, err := openAll(ctx, cfg, false)
	if err != nil {
		return err
	}
	closeAll(dbs)
	return nil
}

// openAll opens the services in parallel (a cold start creates and
// migrates six databases) and closes whatever opened if any one fails.
func openAll(ctx context.Context, cfg Config, serving bool) (map[string]*db, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var (
		mu   sync.Mutex
		dbs  = make(map[string]*db, len(boxoffice.Services))
		errs []error
		wg   sync.WaitGroup
	)
	for _, service := range boxoffice.Services {
		wg.Go(func() {
			d, err := openService(ctx, cfg, service, serving)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			dbs[service] = d
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		closeAll(dbs)
		return nil, errors.Join(errs...)
	}
	return dbs, nil
}

func openService(ctx context.Context, cfg Config, service string, serving bool) (*db, error) {
	t, err := cfg.target(service)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, t.pool) // connects on first use
	if err != nil {
		return nil, fmt.Errorf("postgres: %s database %q: %v", service, t.name(), err)
	}
	d := &db{service: service, name: t.name(), pool: pool}
	if err := d.open(ctx, t, cfg.logger().With("service", service, "database", t.name()), serving); err != nil {
		pool.Close()
		return nil, err
	}
	return d, nil
}

// open makes the database ready: the first query (the durability check)
// also tells whether the database exists, so that a restart costs one
// connection, not one more to look for the database.
func (d *db) open(ctx context.Context, t *target, log *slog.Logger, serving bool) error {
	v, err := d.synchronousCommit(ctx)
	if pgCode(err) == "3D000" { // invalid_catalog_name: no such database
		if err := createDatabase(ctx, t, log); err != nil {
			return err
		}
		v, err = d.synchronousCommit(ctx)
	}
	if err != nil {
		return fmt.Errorf("postgres: connect to the %s database %q: %v", d.service, d.name, err)
	}
	// A database that acknowledges commits before they are flushed could
	// lose, in a crash, a booking its user was told about.
	if serving && v == "off" {
		return fmt.Errorf("postgres: %s database %q has synchronous_commit = off, which can lose acknowledged bookings in a crash; "+
			"turn it on (ALTER DATABASE %s SET synchronous_commit = on, or fix postgresql.conf, the role or the URL options)",
			d.service, d.name, d.name)
	}
	return d.migrate(ctx, log)
}

// synchronousCommit is the setting as a session of the pool sees it, which
// covers every way to change it: server, database, role and URL options.
func (d *db) synchronousCommit(ctx context.Context) (string, error) {
	var v string
	err := d.pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&v)
	return v, err
}

// bound gives one store call at most CallTimeout, or less if ctx ends
// sooner. Without it a server that hangs (frozen, or a network that drops
// packets) holds a call until the caller's deadline, which for background
// work may be never, and a pool with such a call cannot close.
func (d *db) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, CallTimeout)
}

// pingAll checks every database in parallel, each with PingTimeout, so
// that /readyz answers quickly even when a server does not.
func pingAll(ctx context.Context, dbs map[string]*db) error {
	errs := make([]error, len(boxoffice.Services))
	var wg sync.WaitGroup
	for i, service := range boxoffice.Services {
		d := dbs[service]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, PingTimeout)
			defer cancel()
			if err := d.pool.Ping(ctx); err != nil {
				errs[i] = unavailable(d.service, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeTimeout bounds Close. A pool closes once every connection has said
// goodbye, and pgx gives a connection that timed out against a hung server
// 15 s for that (it first sends the server a cancel request, which a hung
// server never answers). A stopping node must not wait so long (the README
// promises a stop within 10 s of SIGTERM); the closing goes on in the
// background and ends by itself, and the server drops the sessions of a
// process that exits.
const closeTimeout = 3 * time.Second

// closeAll closes the pools in parallel and waits at most closeTimeout.
func closeAll(dbs map[string]*db) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, d := range dbs {
			wg.Go(d.pool.Close)
		}
		wg.Wait()
	}()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}
