// Package postgres implements the boxoffice stores on PostgreSQL with pgx:
// one database, pool and set of migrations per service, so that a service
// can later move to its own server by changing one URL. Services never join
// across databases.
package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// db is one service's database.
type db struct {
	service string
	name    string
	pool    *pgxpool.Pool
	// group commits the single-statement writes of the databases every
	// booking writes (groupedServices); nil elsewhere.
	group *groupWriter
}

// exec runs one write statement: through the group commit when the
// database has one, else alone on the pool.
func (d *db) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if d.group != nil {
		return d.group.exec(ctx, sql, args...)
	}
	return d.pool.Exec(ctx, sql, args...)
}

// Open connects to the six service databases and returns the stores. It
// creates and migrates them only on a first start (none of them holds
// anything), and marks an install from before install markers; otherwise
// it refuses unless the six are one install at this binary's schema
// (package install): a dropped database must stop the start, not be
// recreated empty. It also refuses a database where synchronous_commit is
// off: every store backs an answer that tells a user something was saved.
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
		Events:        &eventStore{db: dbs["bookings"], settle: cmp.Or(cfg.EventSettle, boxoffice.EventSettle)},
		Ping:          func(ctx context.Context) error { return pingAll(ctx, dbs) },
		Close:         func() error { closeAll(dbs); return nil },
		Conns:         func() map[string]boxoffice.ConnStats { return connStats(dbs) },
	}, nil
}

// connStats reads each service pool's counters.
func connStats(dbs map[string]*db) map[string]boxoffice.ConnStats {
	out := make(map[string]boxoffice.ConnStats, len(dbs))
	for name, d := range dbs {
		st := d.pool.Stat()
		out[name] = boxoffice.ConnStats{Open: int(st.TotalConns()), InUse: int(st.AcquiredConns()), Max: int(st.MaxConns())}
	}
	return out
}

// Migrate creates the missing service databases, applies pending
// migrations and marks the databases as one install, then disconnects
// (`boxoffice migrate`).
func Migrate(ctx context.Context, cfg Config) error {
	dbs, err := openAll(ctx, cfg, false)
	if err != nil {
		return err
	}
	closeAll(dbs)
	return nil
}

// openAll makes a pool per service, prepares the databases (prepare) and
// closes the pools if anything fails.
func openAll(ctx context.Context, cfg Config, serving bool) (_ map[string]*db, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dbs := make(map[string]*db, len(boxoffice.Services))
	defer func() {
		if err != nil {
			closeAll(dbs)
		}
	}()
	services := make([]serviceDB, 0, len(boxoffice.Services))
	for _, name := range boxoffice.Services {
		s, err := newServiceDB(ctx, cfg, name)
		if err != nil {
			return nil, err
		}
		dbs[name] = s.db
		services = append(services, s)
	}
	if err := prepare(ctx, cfg, services, !serving); err != nil {
		return nil, err
	}
	if serving {
		if err := checkDurable(ctx, services); err != nil {
			return nil, err
		}
	}
	return dbs, nil
}

// newServiceDB makes the pool of one service; it connects on first use.
func newServiceDB(ctx context.Context, cfg Config, service string) (serviceDB, error) {
	t, err := cfg.target(service)
	if err != nil {
		return serviceDB{}, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, t.pool)
	if err != nil {
		return serviceDB{}, fmt.Errorf("postgres: %s database %q: %v", service, t.name(), err)
	}
	d := &db{service: service, name: t.name(), pool: pool}
	if slices.Contains(groupedServices, service) {
		d.group = newGroupWriter(d, groupQueueMax)
		d.group.start(groupWriters)
	}
	return serviceDB{
		db:     d,
		target: t,
		log:    cfg.logger().With("service", service, "database", t.name()),
	}, nil
}

// checkDurable refuses a database that acknowledges commits before they
// are flushed: in a crash it could lose a booking its user was told about.
func checkDurable(ctx context.Context, services []serviceDB) error {
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	for i, s := range services {
		wg.Go(func() {
			v, err := s.synchronousCommit(ctx)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("postgres: connect to the %s database %q: %v", s.service, s.name, err)
			case v == "off":
				errs[i] = fmt.Errorf("postgres: %s database %q has synchronous_commit = off, which can lose acknowledged bookings in a crash; "+
					"turn it on (ALTER DATABASE %s SET synchronous_commit = on, or fix postgresql.conf, the role or the URL options)",
					s.service, s.name, s.name)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
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
			if d != nil {
				wg.Go(func() {
					if d.group != nil {
						d.group.close()
					}
					d.pool.Close()
				})
			}
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
