package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/install"
)

// quickCheckErrorsMax bounds the problems PRAGMA quick_check lists.
const quickCheckErrorsMax = 5

// probe looks at dir/<service>.db without creating it: a missing or 0-byte
// file is reported as such and not opened; any other file is opened,
// checked for corruption (PRAGMA quick_check) and read for its schema
// version and install marker. The returned db is nil when the file was not
// opened.
func probe(ctx context.Context, dir, service string) (*db, install.State, error) {
	path, err := filepath.Abs(filepath.Join(dir, service+".db"))
	if err != nil {
		return nil, install.State{}, fmt.Errorf("sqlite: %s: %w", service, err)
	}
	st := install.State{Service: service, Where: path, Exists: true}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st.Exists = false
		return nil, st, nil
	case err != nil:
		return nil, st, fmt.Errorf("sqlite: %s database: %w", service, err)
	case fi.Size() == 0:
		st.Blank = true
		return nil, st, nil
	}
	d, err := openFile(dir, service)
	if err != nil {
		return nil, st, err
	}
	if err := d.read(ctx, &st); err != nil {
		_ = d.close()
		return nil, st, err
	}
	return d, st, nil
}

// read fills st from an open database file.
func (d *db) read(ctx context.Context, st *install.State) error {
	if err := d.quickCheck(ctx); err != nil {
		return err
	}
	tables, err := d.tables(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: read the %s database (%s): %w", d.service, d.path, err)
	}
	st.Blank = len(tables) == 0
	if tables["goose_db_version"] {
		if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version`).Scan(&st.Version); err != nil {
			return fmt.Errorf("sqlite: read the schema version of %s: %w", d.path, err)
		}
	}
	if tables[install.MetaTable] {
		err := d.db.QueryRowContext(ctx, `SELECT install_id FROM `+install.MetaTable).Scan(&st.InstallID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: read the install ID of %s: %w", d.path, err)
		}
	}
	return nil
}

// quickCheck refuses a corrupt file, so that a node fails its start
// instead of answering 500 for whatever lives on the broken pages. It
// reads every page once, which a start can afford.
func (d *db) quickCheck(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, fmt.Sprintf(`PRAGMA quick_check(%d)`, quickCheckErrorsMax))
	if err != nil {
		return d.checkFailed(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return d.checkFailed(err)
		}
		problems = append(problems, s)
	}
	if err := rows.Err(); err != nil {
		return d.checkFailed(err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return d.corrupt(strings.Join(problems, "; "))
}

// checkFailed is the error of a quick_check that could not run. Only
// SQLite's own verdict makes the file corrupt: a full disk or a failing
// one (SQLITE_FULL, SQLITE_IOERR: opening a WAL database needs room for
// its shared-memory file) must not send the operator to a backup.
func (d *db) checkFailed(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return fmt.Errorf("sqlite: the %s database (%s) cannot be opened: %w: its disk is full or failing; "+
				"free space on it (or fix the disk) and start again", d.service, d.path, err)
		}
	}
	return d.corrupt(err.Error())
}

func (d *db) corrupt(why string) error {
	return fmt.Errorf("sqlite: the %s database (%s) is corrupt (%s): stop the node and restore it from a backup", d.service, d.path, why)
}

// tables lists the tables of the file.
func (d *db) tables(ctx context.Context) (map[string]bool, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables[name] = true
	}
	return tables, rows.Err()
}

// mark writes the install ID into the file unless it has one already.
func (d *db) mark(ctx context.Context, id string) error {
	return d.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+install.MetaTable+
			` (id INTEGER PRIMARY KEY CHECK (id = 1), install_id TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("sqlite: mark %s: %w", d.path, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+install.MetaTable+` (id, install_id) VALUES (1, ?)
			ON CONFLICT (id) DO NOTHING`, id); err != nil {
			return fmt.Errorf("sqlite: mark %s: %w", d.path, err)
		}
		return nil
	})
}

// latest is the newest schema version of every service.
func latest() (map[string]int64, error) {
	v, err := install.Versions(migrations, boxoffice.Services)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return v, nil
}
