package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// conn is a database file as the stores use it: the file's one writing
// connection (*sql.DB, on which explicit transactions and statements that
// write run directly), except that ExecContext, a write of one statement,
// joins the file's group commit like withTx does, instead of paying a
// commit (an fsync) of its own; and a query that only reads (it begins with
// SELECT) runs on a pool of read-only connections, which WAL lets read the
// last commit beside the writer, so reads do not wait for a group.
type conn struct {
	*sql.DB
	read *sql.DB
	gc   *committer
}

// QueryContext runs a SELECT on a reader, anything else (a write with
// RETURNING, a PRAGMA) on the writing connection.
func (c *conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.forQuery(query).QueryContext(ctx, query, args...)
}

// QueryRowContext is QueryContext for one row.
func (c *conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.forQuery(query).QueryRowContext(ctx, query, args...)
}

func (c *conn) forQuery(query string) *sql.DB {
	q := strings.TrimLeft(query, " \t\r\n")
	if len(q) >= len("SELECT") && strings.EqualFold(q[:len("SELECT")], "SELECT") {
		return c.read
	}
	return c.DB
}

// ExecContext runs one statement as its own transaction in the next group.
// Once the statement's turn has come it runs to the end whatever ctx does,
// as a transaction that has begun waits for its commit: an interrupted
// write would roll back the whole group (SQLite's rule).
func (c *conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := c.gc.do(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(context.WithoutCancel(ctx), query, args...)
		return err
	})
	return res, err
}

// Close stops the group commit, then closes the connections.
func (c *conn) Close() error {
	c.gc.close()
	return errors.Join(c.DB.Close(), c.read.Close())
}
