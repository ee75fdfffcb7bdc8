// Package pgdb holds small administrative helpers for the PostgreSQL
// servers the load tools run against.
package pgdb

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// DropPrefixed drops the databases named prefix_* on the server at
// serverURL. It runs even after ctx is cancelled (an interrupted run still
// cleans up), bounded by two minutes.
func DropPrefixed(ctx context.Context, serverURL, prefix string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	c, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1`, prefix+"_")
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	return nil
}
