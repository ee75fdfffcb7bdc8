// Package sqlite is the embedded default store: every store of the root
// package kept in SQLite files under one data directory, one file per service
// (users.db, catalog.db, seats.db, bookings.db, payments.db,
// notifications.db), through the pure-Go modernc.org/sqlite driver so that
// the binary needs no C toolchain. It serves a single node only.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/install"
)

//go:embed migrations/*/*.sql
var migrations embed.FS

// busyTimeoutMs bounds how long a statement waits for a lock held by another
// process on the same file (a backup, the sqlite3 shell) before it fails.
const busyTimeoutMs = 5000

// db is one service's database file.
//
// Writes to one SQLite file are serialized by SQLite anyway, so the pool has
// a single connection: writers queue in Go instead of failing with
// SQLITE_BUSY, and a transaction never waits on a lock held by another of our
// own connections. Write transactions are group-committed (group.go): the
// ones waiting together share one transaction and one fsync. Queries that
// only read run on read-only connections beside the writer (conn.go).
type db struct {
	db      *conn
	service string
	path    string
}

// Open opens the database of every service under dir and returns their
// stores. It creates and migrates them only on a first start (no service
// database holds anything yet, the directory is created if missing), and
// marks an install from before install markers; otherwise it refuses
// unless the six files are one install at this binary's schema (package
// install): a lost store must stop the start, not be recreated empty.
func Open(ctx context.Context, dir string) (*boxoffice.Stores, error) {
	return open(ctx, dir, false)
}

// Migrate creates the missing databases under dir, applies pending
// migrations and marks the databases with the install's ID, then closes
// them (`boxoffice migrate`).
func Migrate(ctx context.Context, dir string) error {
	s, err := open(ctx, dir, true)
	if err != nil {
		return err
	}
	return s.Close()
}

func open(ctx context.Context, dir string, migrating bool) (_ *boxoffice.Stores, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: create data dir: %w", err)
	}
	dbs := make([]*db, len(boxoffice.Services))
	defer func() {
		if err != nil {
			_ = closeAll(dbs)
		}
	}()
	states := make([]install.State, len(boxoffice.Services))
	for i, service := range boxoffice.Services {
		if dbs[i], states[i], err = probe(ctx, dir, service); err != nil {
			return nil, err
		}
	}
	if err := prepare(ctx, dir, dbs, states, migrating); err != nil {
		return nil, err
	}
	byService := make(map[string]*db, len(boxoffice.Services))
	for i, service := range boxoffice.Services {
		byService[service] = dbs[i]
	}
	return &boxoffice.Stores{
		Users:         &userStore{db: byService["users"]},
		Catalog:       &catalogStore{db: byService["catalog"]},
		Seats:         &seatStore{db: byService["seats"]},
		Bookings:      &bookingStore{db: byService["bookings"]},
		Payments:      &paymentStore{db: byService["payments"]},
		Notifications: &notificationStore{db: byService["notifications"]},
		Events:        &eventStore{db: byService["bookings"]},
		Ping: func(ctx context.Context) error {
			for _, d := range dbs {
				if err := d.ping(ctx); err != nil {
					return err
				}
			}
			return nil
		},
		Close: func() error { return closeAll(dbs) },
	}, nil
}

// prepare carries out what the states call for (install.Decide for a
// serving node, install.MigrateID for migrate), opening the files that
// probe left closed; afterwards every dbs[i] is open.
func prepare(ctx context.Context, dir string, dbs []*db, states []install.State, migrating bool) error {
	versions, err := latest()
	if err != nil {
		return err
	}
	steps, err := install.Prepare(states, versions, migrating, boxoffice.NewID)
	if err != nil {
		return fmt.Errorf("sqlite: the data directory is not one whole install: %w", err)
	}
	for i, service := range boxoffice.Services {
		if dbs[i] == nil {
			if dbs[i], err = openFile(dir, service); err != nil {
				return err
			}
		}
		if steps.Migrate {
			if err := dbs[i].migrate(ctx); err != nil {
				return err
			}
		}
		if steps.MarkID != "" {
			if err := dbs[i].mark(ctx, steps.MarkID); err != nil {
				return err
			}
		}
	}
	return nil
}

func closeAll(dbs []*db) error {
	var errs []error
	for _, d := range dbs {
		if d != nil {
			errs = append(errs, d.close())
		}
	}
	return errors.Join(errs...)
}

// openService opens dir/<service>.db (one of boxoffice.Services) and
// applies its migrations.
func openService(ctx context.Context, dir, service string) (*db, error) {
	d, err := openFile(dir, service)
	if err != nil {
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		_ = d.close()
		return nil, err
	}
	return d, nil
}

// openFile opens dir/<service>.db, which SQLite creates at the first
// statement if it is missing.
func openFile(dir, service string) (*db, error) {
	if !slices.Contains(boxoffice.Services, service) {
		return nil, fmt.Errorf("sqlite: unknown service %q", service)
	}
	path, err := filepath.Abs(filepath.Join(dir, service+".db"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", service, err)
	}
	sdb, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(1)
	sdb.SetMaxIdleConns(1)
	sdb.SetConnMaxLifetime(0)
	sdb.SetConnMaxIdleTime(0)
	rdb, err := sql.Open("sqlite", readerDSN(path))
	if err != nil {
		_ = sdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(readConnsMax)
	rdb.SetMaxIdleConns(readConnsMax)
	rdb.SetConnMaxLifetime(0)
	rdb.SetConnMaxIdleTime(0)
	return &db{db: &conn{DB: sdb, read: rdb, gc: newCommitter(sdb, service, groupQueueMax)}, service: service, path: path}, nil
}

// readConnsMax bounds the read-only connections of one file; more would
// only add memory on a machine with few cores.
const readConnsMax = 4

// dsn sets the pragmas on every connection the pool opens. WAL lets readers
// of other processes run beside the writer; synchronous=FULL syncs the WAL at
// every commit, so a write that was answered with a 2xx survives kill -9 and
// power loss. Transactions begin IMMEDIATE: they take the write lock at once
// instead of failing to upgrade a read lock halfway.
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMs)+")")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// readerDSN is dsn for the read-only connections: query_only makes a
// write sent to one fail instead of competing with the writer for the lock.
func readerDSN(path string) string {
	u, err := url.Parse(dsn(path))
	if err != nil {
		panic(err) // dsn builds a valid URL
	}
	q := u.Query()
	q.Add("_pragma", "query_only(1)")
	q.Del("_txlock")
	u.RawQuery = q.Encode()
	return u.String()
}

// migrate applies the service's embedded migrations with a goose Provider,
// which keeps no global state (unlike goose.Up), so services and tests can
// migrate side by side.
func (d *db) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations/"+d.service)
	if err != nil {
		return fmt.Errorf("sqlite: %s migrations: %w", d.service, err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.db.DB, fsys,
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: %s migrations: %w", d.service, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", d.path, err)
	}
	return nil
}

// ping checks that the file answers a query.
func (d *db) ping(ctx context.Context) error {
	var one int
	if err := d.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		// The code tells /readyz what to answer; the cause is kept for the log.
		return fmt.Errorf("%w: %w", boxoffice.Errorf(boxoffice.EUNAVAILABLE,
			"%s database does not answer", d.service), err)
	}
	return nil
}

// close closes the file. Calling it again does nothing.
func (d *db) close() error { return d.db.Close() }

// withTx runs fn as a transaction of its own in the next group commit
// (group.go) and returns once it is committed: fn's error if it failed
// (nothing of it is kept), or the group's if the group failed. It returns
// EUNAVAILABLE at once when too many transactions wait, and ctx's error if
// ctx ends before fn's turn (fn is then never run). If ctx ends while one
// of fn's writes runs, SQLite interrupts it and rolls back the whole group,
// which then fails every caller in it with EUNAVAILABLE (nothing kept).
func (d *db) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.db.gc.do(ctx, fn)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// translate turns a driver error into the domain's codes so that callers
// never see one: what names the thing the statement was about ("movie X").
// Errors that no code fits are wrapped, and so internal.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var be *boxoffice.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return boxoffice.Errorf(boxoffice.ECONFLICT, "%s already exists", what)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return boxoffice.Errorf(boxoffice.EINVALID, "%s refers to something that does not exist", what)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "database busy, try again")
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %s: %w", boxoffice.ErrStorageFull, what, err)
		case sqlite3.SQLITE_IOERR:
			// A write the file system refused (EIO, a failed fsync or
			// truncate): nothing of the transaction is kept, and the same
			// write may work once the disk recovers.
			return fmt.Errorf("%w: %s: %w", errDiskIO, what, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}

// errDiskIO answers a write that failed in the file system.
var errDiskIO = boxoffice.Errorf(boxoffice.EUNAVAILABLE, "storage error (disk I/O); try again later")

// isUnique reports whether err is a unique or primary key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
		se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

// notFoundIfNone returns ENOTFOUND when an UPDATE or DELETE touched no row.
func notFoundIfNone(res sql.Result, err error, what string) error {
	if err != nil {
		return translate(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, what)
	}
	if n == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// Times are stored as UTC unix microseconds: integers compare and index
// cheaply, and microseconds are what PostgreSQL keeps, so both stores round
// the same way.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores a nil time as NULL.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromNullMicros(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
