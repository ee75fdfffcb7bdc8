// Package sqlbaseline is the plain-SQL way a team would hold seats without
// the showtime grain, kept as the baseline the grain's benchmark is
// measured against (BENCHMARKS.md): a seats table with a status per seat
// and one durable statement (or transaction) per hold, on pgxpool.
//
// Two approaches, both correct under concurrency:
//   - Update: a conditional UPDATE ... WHERE status = 'free'; the row lock
//     and the re-check of the WHERE clause after a concurrent update make
//     exactly one of two racing holds win.
//   - SelectForUpdate: BEGIN; SELECT ... FOR UPDATE; UPDATE; COMMIT, the
//     read-then-write shape of an ORM (two more round trips per hold).
package sqlbaseline

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is the seats table in a schema of its own.
type Store struct {
	pool   *pgxpool.Pool
	schema string
}

// Open connects with a pool of maxConns connections (one per client is
// what a service with that many concurrent requests would configure) and
// creates schema.seats if missing.
func Open(ctx context.Context, url, schema string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.RuntimeParams["application_name"] = "sqlbaseline"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, schema: pgx.Identifier{schema}.Sanitize()}
	ddl := `CREATE SCHEMA IF NOT EXISTS ` + s.schema + `;
CREATE TABLE IF NOT EXISTS ` + s.table() + ` (
	showtime_id text NOT NULL,
	seat_id     text NOT NULL,
	status      text NOT NULL DEFAULT 'free' CHECK (status IN ('free', 'held', 'booked')),
	hold_id     text,
	owner       text,
	expires_at  timestamptz,
	PRIMARY KEY (showtime_id, seat_id)
)`
	if _, err := pool.Exec(ctx, ddl); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlbaseline: create schema: %w", err)
	}
	return s, nil
}

// Warm opens every connection of the pool, so that a measurement does
// not count connecting.
func (s *Store) Warm(ctx context.Context) error {
	conns := make([]*pgxpool.Conn, 0, s.pool.Config().MaxConns)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range cap(conns) {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool is the store's pool, for measurements.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) table() string { return s.schema + ".seats" }

// AddSeats inserts free seats for a showtime in one statement.
func (s *Store) AddSeats(ctx context.Context, showtimeID string, seats []string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO `+s.table()+` (showtime_id, seat_id)
		SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, showtimeID, seats)
	return err
}

// HoldUpdate holds a free seat with one conditional UPDATE (autocommit:
// one durable commit). It reports false if the seat was not free.
func (s *Store) HoldUpdate(ctx context.Context, showtimeID, seat, holdID, owner string, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE `+s.table()+`
		SET status = 'held', hold_id = $3, owner = $4, expires_at = $5
		WHERE showtime_id = $1 AND seat_id = $2 AND status = 'free'`,
		showtimeID, seat, holdID, owner, until)
	return err == nil && tag.RowsAffected() == 1, err
}

// HoldSelectForUpdate holds a free seat by locking and reading its row,
// then updating it, in one transaction. It reports false if the seat was
// not free.
func (s *Store) HoldSelectForUpdate(ctx context.Context, showtimeID, seat, holdID, owner string, until time.Time) (bool, error) {
	held := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM `+s.table()+`
			WHERE showtime_id = $1 AND seat_id = $2 FOR UPDATE`, showtimeID, seat).Scan(&status)
		if err != nil || status != "free" {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE `+s.table()+`
			SET status = 'held', hold_id = $3, owner = $4, expires_at = $5
			WHERE showtime_id = $1 AND seat_id = $2`, showtimeID, seat, holdID, owner, until)
		held = err == nil
		return err
	})
	return held, err
}

// Release frees a held seat if holdID still holds it (one conditional
// UPDATE, as either approach would release).
func (s *Store) Release(ctx context.Context, showtimeID, seat, holdID string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE `+s.table()+`
		SET status = 'free', hold_id = NULL, owner = NULL, expires_at = NULL
		WHERE showtime_id = $1 AND seat_id = $2 AND hold_id = $3`, showtimeID, seat, holdID)
	return err == nil && tag.RowsAffected() == 1, err
}

// Status returns a seat's status.
func (s *Store) Status(ctx context.Context, showtimeID, seat string) (string, error) {
	var status string
	err := s.pool.QueryRow(ctx, `SELECT status FROM `+s.table()+`
		WHERE showtime_id = $1 AND seat_id = $2`, showtimeID, seat).Scan(&status)
	return status, err
}

// BackendCPU sums the CPU time (user + system) that the server processes
// serving the given databases have used so far, keyed by process ID. It
// reads /proc, so it works only when the server runs on this machine (as
// the benchmark's does) and returns an error otherwise.
func BackendCPU(ctx context.Context, pool *pgxpool.Pool, databases []string) (map[int]time.Duration, error) {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)`, databases)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		d, err := processCPU(int(pid))
		if err != nil {
			return nil, err
		}
		out[int(pid)] = d
	}
	return out, nil
}

// CPUSince is the CPU the processes of now used since before: processes
// that were not running before count from zero.
func CPUSince(before, now map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range now {
		d += t - before[pid]
	}
	return d
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTick = 10 * time.Millisecond

func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("sqlbaseline: the server's processes are not readable here (is it on this machine?): %w", err)
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("sqlbaseline: short /proc/%d/stat", pid)
	}
	// Fields after "(comm)": state(0) ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime(11) stime(12).
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("sqlbaseline: bad /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * clockTick, nil
}
