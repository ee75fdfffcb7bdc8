package sqlite

import (
	"context"
	"database/sql"
)

// conn is a database file as the stores use it: the file's one connection
// (*sql.DB, whose queries and explicit transactions run on it directly),
// except that ExecContext, a write of one statement, joins the file's group
// commit like withTx does, instead of paying a commit (an fsync) of its own.
type conn struct {
	*sql.DB
	gc *committer
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

// Close stops the group commit, then closes the connection.
func (c *conn) Close() error {
	c.gc.close()
	return c.DB.Close()
}
