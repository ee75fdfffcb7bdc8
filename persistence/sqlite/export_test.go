package sqlite

import "database/sql"

// SQL exposes the pool to the external tests, which check the pragmas on
// the connection itself.
func (db *DB) SQL() *sql.DB { return db.db }
