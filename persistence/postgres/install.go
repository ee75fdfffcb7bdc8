package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/install"
)

// installLockID is the advisory lock, taken on the maintenance database,
// under which a node creates, migrates or marks the service databases, so
// that nodes starting together on a new server do it once: the others wait
// and then find one whole install.
const installLockID int64 = 0x626f78696e73 // "boxins"

// serviceDB is one service's database with where it lives.
type serviceDB struct {
	*db
	target *target
	log    *slog.Logger
}

// probe reads what the database holds: whether it exists, its tables, its
// schema version and its install marker. It never creates anything.
func (s serviceDB) probe(ctx context.Context) (install.State, error) {
	st := install.State{Service: s.service, Where: fmt.Sprintf("database %q", s.name), Exists: true}
	var tables []string
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(array_agg(tablename::text), '{}') FROM pg_tables
		WHERE schemaname = current_schema()`).Scan(&tables)
	if pgCode(err) == "3D000" { // invalid_catalog_name: no such database
		st.Exists = false
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("postgres: connect to the %s database %q: %v", s.service, s.name, err)
	}
	st.Blank = len(tables) == 0
	for _, t := range tables {
		switch t {
		case "goose_db_version":
			err = s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&st.Version)
		case install.MetaTable:
			err = s.pool.QueryRow(ctx, `SELECT install_id FROM `+install.MetaTable).Scan(&st.InstallID)
			if errors.Is(err, pgx.ErrNoRows) {
				err = nil
			}
		}
		if err != nil {
			return st, fmt.Errorf("postgres: read the %s database %q: %v", s.service, s.name, err)
		}
	}
	return st, nil
}

// mark writes the install ID into the database unless it has one already.
func (s serviceDB) mark(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+install.MetaTable+
		` (id INTEGER PRIMARY KEY CHECK (id = 1), install_id TEXT NOT NULL)`)
	if err == nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO `+install.MetaTable+` (id, install_id) VALUES (1, $1)
			ON CONFLICT (id) DO NOTHING`, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: mark the %s database %q: %v", s.service, s.name, err)
	}
	return nil
}

// probeAll probes the services in parallel, in the order of
// boxoffice.Services.
func probeAll(ctx context.Context, services []serviceDB) ([]install.State, error) {
	states := make([]install.State, len(services))
	errs := make([]error, len(services))
	var wg sync.WaitGroup
	for i, s := range services {
		wg.Go(func() { states[i], errs[i] = s.probe(ctx) })
	}
	wg.Wait()
	return states, errors.Join(errs...)
}

// prepare makes the databases one install a node may serve, or explains
// why they are not: a serving node only creates and migrates them on a
// first start (no service database holds anything) and marks an install
// from before markers; migrate creates what is missing, applies pending
// migrations and marks the new databases with the install's ID.
func prepare(ctx context.Context, cfg Config, services []serviceDB, migrating bool) error {
	if !migrating {
		states, err := probeAll(ctx, services)
		if err != nil {
			return err
		}
		if steps, err := plan(states, false); err == nil && steps == (install.Steps{}) {
			return nil // the common restart: no lock, no extra connection
		}
	}
	unlock, err := lockInstall(ctx, cfg)
	if err != nil {
		return err
	}
	defer unlock()
	// Under the lock: another node may have finished a first start meanwhile.
	states, err := probeAll(ctx, services)
	if err != nil {
		return err
	}
	steps, err := plan(states, migrating)
	if err != nil {
		return err
	}
	for i, s := range services {
		if steps.Create && !states[i].Exists {
			if err := createDatabase(ctx, s.target, s.log); err != nil {
				return err
			}
		}
		if steps.Migrate {
			if err := s.migrate(ctx, s.log); err != nil {
				return err
			}
		}
		if steps.MarkID != "" {
			if err := s.mark(ctx, steps.MarkID); err != nil {
				return err
			}
		}
	}
	return nil
}

// plan says what to do with the databases: create, migrate, mark (see
// install.Prepare).
func plan(states []install.State, migrating bool) (install.Steps, error) {
	versions, err := latest()
	if err != nil {
		return install.Steps{}, err
	}
	steps, err := install.Prepare(states, versions, migrating, boxoffice.NewID)
	if err != nil {
		return steps, fmt.Errorf("postgres: the service databases are not one whole install: %w", err)
	}
	return steps, nil
}

// lockInstall takes the install lock on the maintenance database of the
// first service (every node of a cluster has the same configuration, so
// the same one); unlock ends the session, which releases it.
func lockInstall(ctx context.Context, cfg Config) (unlock func(), err error) {
	t, err := cfg.target(boxoffice.Services[0])
	if err != nil {
		return nil, err
	}
	cc := t.maint.ConnConfig.Copy()
	cc.ConnectTimeout = migrateConnectTimeout
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect to %q to prepare the databases: %v", cc.Database, err)
	}
	unlock = func() { _ = conn.Close(context.WithoutCancel(ctx)) }
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", installLockID); err != nil {
		unlock()
		return nil, fmt.Errorf("postgres: lock %q to prepare the databases: %v", cc.Database, err)
	}
	return unlock, nil
}

// latest is the newest schema version of every service.
func latest() (map[string]int64, error) {
	v, err := install.Versions(migrations, boxoffice.Services)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return v, nil
}
