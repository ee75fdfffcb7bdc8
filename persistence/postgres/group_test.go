package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// groupWait bounds the waits of these tests for something that happens at
// once on an idle machine; it proves no timing.
const groupWait = 10 * time.Second

// groupTable makes a table t(k int primary key, n int) in a schema of its
// own on the test server (BOXOFFICE_TEST_DATABASE_URL; without it the test
// skips, except under CI), with a row k = 0 as a counter, and returns a
// writer on it that is not started yet: the statements queued before start
// form one group.
func groupTable(t *testing.T) (*groupWriter, string) {
	t.Helper()
	url := os.Getenv("BOXOFFICE_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BOXOFFICE_TEST_DATABASE_URL is not set")
		}
		t.Skip("BOXOFFICE_TEST_DATABASE_URL is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupWait)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "group_" + hex.EncodeToString(b[:]) + ".t"
	schema := "group_" + hex.EncodeToString(b[:])
	for _, ddl := range []string{
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + table + ` (k int PRIMARY KEY, n int NOT NULL CHECK (n >= 0))`,
		`INSERT INTO ` + table + ` VALUES (0, 0)`,
	} {
		_, err := pool.Exec(ctx, ddl)
		require.NoError(t, err, ddl)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), groupWait)
		defer cancel()
		_, _ = pool.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
	})
	w := newGroupWriter(&db{service: "bookings", pool: pool}, groupQueueMax)
	t.Cleanup(w.close)
	return w, table
}

// queueAll runs one exec per key in its own goroutine and returns once
// all are queued (the writer must not run yet); wait gives their results by key.
func queueAll(t *testing.T, w *groupWriter, ctx context.Context, keys []int, stmt func(k int) (string, []any)) (wait func() map[int]stmtResult) {
	t.Helper()
	before := len(w.queue) // abandoned statements stay queued until a writer skips them
	var mu sync.Mutex
	results := make(map[int]stmtResult, len(keys))
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			sql, args := stmt(k)
			tag, err := w.exec(ctx, sql, args...)
			mu.Lock()
			results[k] = stmtResult{tag: tag, err: err}
			mu.Unlock()
		})
	}
	testwait.Until(t, groupWait, "every statement queued", func() bool { return len(w.queue) == before+len(keys) })
	return func() map[int]stmtResult {
		wg.Wait()
		return results
	}
}

func count(t *testing.T, w *groupWriter, table string) (rows, counter int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), groupWait)
	defer cancel()
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT count(*) - 1, (SELECT n FROM `+table+` WHERE k = 0) FROM `+table).
		Scan(&rows, &counter))
	return rows, counter
}

func TestGroupCommitLandsEveryConcurrentWrite(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	w.start(groupWriters)
	const writers = 200
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), groupWait)
			defer cancel()
			_, errs[i] = w.exec(ctx, `INSERT INTO `+table+` VALUES ($1, 0)`, i+1)
			if errs[i] == nil {
				_, errs[i] = w.exec(ctx, `UPDATE `+table+` SET n = n + 1 WHERE k = 0`)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "writer %d", i)
	}
	rows, counter := count(t, w, table)
	require.Equal(t, writers, rows)
	require.Equal(t, writers, counter)
}

func TestGroupCommitQueuedWritesShareOneCommit(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	keys := []int{1, 2, 3, 4, 5, 6, 7, 8}
	wait := queueAll(t, w, t.Context(), keys, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	for k, res := range wait() {
		require.NoError(t, res.err, "key %d", k)
		require.Equal(t, int64(1), res.tag.RowsAffected(), "key %d", k)
	}
	require.Equal(t, uint64(1), w.commits.Load())
	rows, _ := count(t, w, table)
	require.Equal(t, len(keys), rows)
}

// A statement that fails aborts the server's transaction: the others must
// still commit, each exactly once (the counter proves that no statement
// before the failed one was applied twice), and only its caller sees the
// error.
func TestGroupCommitFailedStatementFailsAlone(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	// Keys 1..9 insert a row and add one to the counter; 3 and 7 insert the
	// counter's key 0 again (a duplicate), 5 breaks the check.
	keys := []int{1, 2, 3, 4, 5, 6, 7, 8, 9}
	wait := queueAll(t, w, t.Context(), keys, func(k int) (string, []any) {
		switch k {
		case 3, 7:
			return `INSERT INTO ` + table + ` VALUES (0, 0)`, nil
		case 5:
			return `UPDATE ` + table + ` SET n = -1 WHERE k = 0`, nil
		}
		return `WITH c AS (UPDATE ` + table + ` SET n = n + 1 WHERE k = 0)
			INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	results := wait()
	for _, k := range keys {
		res := results[k]
		switch k {
		case 3, 7:
			require.True(t, isUnique(res.err, ""), "key %d: %v", k, res.err)
			require.Equal(t, boxoffice.ECONFLICT, boxoffice.ErrorCode(w.d.translate(res.err)))
		case 5:
			var pgErr *pgconn.PgError
			require.ErrorAs(t, res.err, &pgErr, "key %d", k)
			require.Equal(t, "23514", pgErr.Code) // check_violation
		default:
			require.NoError(t, res.err, "key %d", k)
			require.Equal(t, int64(1), res.tag.RowsAffected(), "key %d", k)
		}
	}
	rows, counter := count(t, w, table)
	require.Equal(t, 6, rows)
	require.Equal(t, 6, counter)
	require.Equal(t, uint64(1), w.commits.Load())
}

// Statements run in queue order within a group: each sees the writes of
// the ones before it.
func TestGroupCommitRunsInQueueOrder(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	ctx := t.Context()
	done := make(chan stmtResult, 2)
	run := func(sql string) {
		go func() {
			tag, err := w.exec(ctx, sql)
			done <- stmtResult{tag: tag, err: err}
		}()
	}
	run(`INSERT INTO ` + table + ` VALUES (1, 0)`)
	testwait.Until(t, groupWait, "first queued", func() bool { return len(w.queue) == 1 })
	run(`UPDATE ` + table + ` SET n = 41 WHERE k = 1`)
	testwait.Until(t, groupWait, "second queued", func() bool { return len(w.queue) == 2 })
	w.start(1)
	for range 2 {
		res := <-done
		require.NoError(t, res.err)
		require.Equal(t, int64(1), res.tag.RowsAffected())
	}
	var n int
	require.NoError(t, w.pool.QueryRow(ctx, `SELECT n FROM `+table+` WHERE k = 1`).Scan(&n))
	require.Equal(t, 41, n)
	require.Equal(t, uint64(1), w.commits.Load())
}

func TestGroupCommitSkipsCallerThatGaveUp(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := queueAll(t, w, ctx, []int{1}, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	cancel()
	res := gaveUp()[1]
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(res.err))
	require.ErrorIs(t, res.err, context.Canceled)

	kept := queueAll(t, w, t.Context(), []int{2}, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	require.NoError(t, kept()[2].err)
	var keys []int
	rows, err := w.pool.Query(t.Context(), `SELECT k FROM `+table+` WHERE k > 0`)
	require.NoError(t, err)
	for rows.Next() {
		var k int
		require.NoError(t, rows.Scan(&k))
		keys = append(keys, k)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []int{2}, keys, "the statement of the caller that gave up was applied")
}

func TestGroupCommitFullQueueAnswersUnavailable(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	w.queue = make(chan *stmt, 1)
	wait := queueAll(t, w, t.Context(), []int{1}, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	_, err := w.exec(t.Context(), `INSERT INTO `+table+` VALUES (2, 0)`)
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%v", err)
	w.start(1)
	require.NoError(t, wait()[1].err)
}

func TestGroupCommitClosedAnswersUnavailable(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	queued := queueAll(t, w, t.Context(), []int{1}, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	require.NoError(t, queued()[1].err)
	w.close()
	_, err := w.exec(t.Context(), `INSERT INTO `+table+` VALUES (2, 0)`)
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%v", err)
}

// A group whose connection is gone fails every caller of the group with
// EUNAVAILABLE.
func TestGroupCommitLostConnectionFailsTheGroup(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	closed, err := pgxpool.NewWithConfig(t.Context(), w.pool.Config())
	require.NoError(t, err)
	closed.Close()
	w.pool = closed
	wait := queueAll(t, w, t.Context(), []int{1, 2, 3}, func(k int) (string, []any) {
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	for k, res := range wait() {
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(res.err), "key %d: %v", k, res.err)
	}
	require.Zero(t, w.commits.Load())
}

// A statement that breaks the server's session (here: it kills its own
// backend) fails the whole group with EUNAVAILABLE, saying that the outcome
// is unknown, and nothing of the group is saved.
func TestGroupCommitBrokenConnectionFailsTheGroup(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	keys := []int{1, 2, 3}
	wait := queueAll(t, w, t.Context(), keys, func(k int) (string, []any) {
		if k == 2 {
			return `SELECT pg_terminate_backend(pg_backend_pid())`, nil
		}
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	for k, res := range wait() {
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(res.err), "key %d: %v", k, res.err)
		require.Contains(t, res.err.Error(), "unknown", "key %d", k)
	}
	rows, _ := count(t, w, table)
	require.Zero(t, rows)
	require.Zero(t, w.commits.Load())
}

// Arguments that pgx cannot encode fail before anything is sent, with no
// statement to blame in the group: each statement then goes alone, and
// only the bad one fails.
func TestGroupCommitUnencodableArgumentsFailAlone(t *testing.T) {
	t.Parallel()
	w, table := groupTable(t)
	keys := []int{1, 2, 3}
	wait := queueAll(t, w, t.Context(), keys, func(k int) (string, []any) {
		if k == 2 {
			return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{struct{}{}}
		}
		return `INSERT INTO ` + table + ` VALUES ($1, 0)`, []any{k}
	})
	w.start(1)
	results := wait()
	require.NoError(t, results[1].err)
	require.Error(t, results[2].err)
	require.NotEqual(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(w.d.translate(results[2].err)), "%v", results[2].err)
	require.NoError(t, results[3].err)
	rows, _ := count(t, w, table)
	require.Equal(t, 2, rows)
}
