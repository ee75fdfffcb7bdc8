package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// mustOpenGroupDB opens a database file with one table t(k, v) for the
// group commit tests.
func mustOpenGroupDB(tb testing.TB) *db {
	tb.Helper()
	d, err := openFile(tb.TempDir(), "bookings")
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = d.close() })
	_, err = d.db.DB.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	require.NoError(tb, err)
	return d
}

func insert(ctx context.Context, tx *sql.Tx, k int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, 'v')`, k)
	return err
}

func keys(tb testing.TB, d *db) []int {
	tb.Helper()
	rows, err := d.db.QueryContext(context.Background(), `SELECT k FROM t ORDER BY k`)
	require.NoError(tb, err)
	defer rows.Close()
	var ks []int
	for rows.Next() {
		var k int
		require.NoError(tb, rows.Scan(&k))
		ks = append(ks, k)
	}
	require.NoError(tb, rows.Err())
	return ks
}

// holdWriter makes the writer run a function that waits until the
// returned release is called, so that the transactions queued meanwhile
// form the next group. It returns once the writer is inside it.
func holdWriter(t *testing.T, d *db) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- d.withTx(context.Background(), func(*sql.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		require.NoError(t, <-errc)
	}
}

// waitQueued waits until n transactions wait for the writer.
func waitQueued(t *testing.T, d *db, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(d.db.gc.queue) == n },
		10*time.Second, time.Millisecond, "queued transactions")
}

// TestGroupCommitLandsEveryConcurrentWrite writes from many goroutines at
// once (single statements and transactions) and expects every write that
// was answered nil in the file, with fewer commits than writes.
func TestGroupCommitLandsEveryConcurrentWrite(t *testing.T) {
	d := mustOpenGroupDB(t)
	const writers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				k := w*each + i
				if k%2 == 0 {
					errs <- d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, k) })
				} else {
					_, err := d.db.ExecContext(t.Context(), `INSERT INTO t (k, v) VALUES (?, 'v')`, k)
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	ks := keys(t, d)
	require.Len(t, ks, writers*each)
	for i, k := range ks {
		require.Equal(t, i, k)
	}
	require.Less(t, d.db.gc.commits.Load(), uint64(writers*each), "no two writes shared a commit")
}

// TestGroupCommitQueuedWritesShareOneCommit queues transactions while the
// writer is busy and expects them committed together, in queue order:
// each sees the writes of those before it.
func TestGroupCommitQueuedWritesShareOneCommit(t *testing.T) {
	d := mustOpenGroupDB(t)
	release := holdWriter(t, d)
	before := d.db.gc.commits.Load()
	const n = 10
	errs := make([]chan error, n)
	for i := range n {
		errs[i] = make(chan error, 1)
		go func() {
			errs[i] <- d.withTx(t.Context(), func(tx *sql.Tx) error {
				var seen int
				if err := tx.QueryRowContext(t.Context(), `SELECT count(*) FROM t`).Scan(&seen); err != nil {
					return err
				}
				if seen != i {
					return fmt.Errorf("transaction %d saw %d rows", i, seen)
				}
				return insert(t.Context(), tx, i)
			})
		}()
		waitQueued(t, d, i+1) // one at a time: the queue order is i
	}
	release()
	for i := range n {
		require.NoError(t, <-errs[i])
	}
	require.Equal(t, before+2, d.db.gc.commits.Load(), "the held group and one group of ten")
	require.Len(t, keys(t, d), n)
}

// TestGroupCommitFailedTransactionFailsAlone puts a transaction that
// writes and then fails, and one that breaks a unique key, between two
// good ones in one group: only the bad ones fail, with their own errors,
// and nothing of them is kept.
func TestGroupCommitFailedTransactionFailsAlone(t *testing.T) {
	d := mustOpenGroupDB(t)
	release := holdWriter(t, d)
	errBad := errors.New("bad transaction")
	fns := []func(tx *sql.Tx) error{
		func(tx *sql.Tx) error { return insert(t.Context(), tx, 1) },
		func(tx *sql.Tx) error {
			if err := insert(t.Context(), tx, 2); err != nil {
				return err
			}
			return errBad
		},
		func(tx *sql.Tx) error {
			if err := insert(t.Context(), tx, 3); err != nil {
				return err
			}
			return insert(t.Context(), tx, 1) // taken by the first
		},
		func(tx *sql.Tx) error { return insert(t.Context(), tx, 4) },
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- d.withTx(t.Context(), fn) }()
		waitQueued(t, d, i+1)
	}
	release()
	require.NoError(t, <-errs[0])
	require.ErrorIs(t, <-errs[1], errBad)
	require.True(t, isUnique(<-errs[2]), "the unique violation is the third's own error")
	require.NoError(t, <-errs[3])
	require.Equal(t, []int{1, 4}, keys(t, d))
}

// TestGroupCommitSkipsCallerThatGaveUp cancels a caller while its
// transaction waits in the queue: it gets ctx's error at once and its
// function never runs; the others of the group commit.
func TestGroupCommitSkipsCallerThatGaveUp(t *testing.T) {
	d := mustOpenGroupDB(t)
	release := holdWriter(t, d)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	gaveUp := make(chan error, 1)
	go func() {
		gaveUp <- d.withTx(ctx, func(tx *sql.Tx) error {
			ran <- struct{}{}
			return insert(ctx, tx, 1)
		})
	}()
	waitQueued(t, d, 1)
	other := make(chan error, 1)
	go func() { other <- d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 2) }) }()
	waitQueued(t, d, 2)
	cancel()
	require.ErrorIs(t, <-gaveUp, context.Canceled) // answered while the writer is still held
	release()
	require.NoError(t, <-other)
	require.Empty(t, ran, "the cancelled transaction ran")
	require.Equal(t, []int{2}, keys(t, d))
}

// TestGroupCommitFailedCommitFailsEveryCaller makes the group's COMMIT
// fail (a deferred foreign key left broken by one transaction) and expects
// every caller of the group to fail and nothing of the group in the file;
// the next group works.
func TestGroupCommitFailedCommitFailsEveryCaller(t *testing.T) {
	d := mustOpenGroupDB(t)
	_, err := d.db.DB.Exec(`CREATE TABLE child (k INTEGER PRIMARY KEY, parent INTEGER NOT NULL REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED)`)
	require.NoError(t, err)
	release := holdWriter(t, d)
	fns := []func(tx *sql.Tx) error{
		func(tx *sql.Tx) error { return insert(t.Context(), tx, 1) },
		func(tx *sql.Tx) error {
			_, err := tx.ExecContext(t.Context(), `INSERT INTO child (k, parent) VALUES (1, 99)`)
			return err
		},
		func(tx *sql.Tx) error { return insert(t.Context(), tx, 2) },
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- d.withTx(t.Context(), fn) }()
		waitQueued(t, d, i+1)
	}
	release()
	for i := range fns {
		require.Error(t, <-errs[i], "caller %d", i)
	}
	require.Empty(t, keys(t, d))
	require.NoError(t, d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 3) }))
	require.Equal(t, []int{3}, keys(t, d))
}

// TestGroupCommitFullQueueAnswersUnavailable fills a small queue while the
// writer is busy: the next caller gets EUNAVAILABLE at once.
func TestGroupCommitFullQueueAnswersUnavailable(t *testing.T) {
	d := mustOpenGroupDB(t)
	d.db.gc.close()
	d.db.gc = newCommitter(d.db.DB, "bookings", 2)
	release := holdWriter(t, d)
	errs := make(chan error, 2)
	for i := range 2 {
		go func() { errs <- d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, i) }) }()
		waitQueued(t, d, i+1)
	}
	err := d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 9) })
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%v", err)
	release()
	require.NoError(t, <-errs)
	require.NoError(t, <-errs)
	require.Equal(t, []int{0, 1}, keys(t, d))
}

// TestGroupCommitPanicReachesCaller panics in one transaction: its caller
// panics with the same value, the writer goes on and the rest of the group
// commits.
func TestGroupCommitPanicReachesCaller(t *testing.T) {
	d := mustOpenGroupDB(t)
	release := holdWriter(t, d)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_ = d.withTx(t.Context(), func(tx *sql.Tx) error {
			if err := insert(t.Context(), tx, 1); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	waitQueued(t, d, 1)
	other := make(chan error, 1)
	go func() { other <- d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 2) }) }()
	waitQueued(t, d, 2)
	release()
	require.Equal(t, "boom", <-panicked)
	require.NoError(t, <-other)
	require.Equal(t, []int{2}, keys(t, d))
}

// TestGroupCommitClosedAnswersUnavailable closes the database: a write
// afterwards gets EUNAVAILABLE instead of hanging.
func TestGroupCommitClosedAnswersUnavailable(t *testing.T) {
	d := mustOpenGroupDB(t)
	require.NoError(t, d.close())
	err := d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 1) })
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%v", err)
}

// TestGroupCommitBrokenTransactionFailsTheGroup ends the group's
// transaction from inside one function (as SQLite does itself after an
// interrupted write or some I/O errors): every caller of the group fails
// with EUNAVAILABLE, the functions after it do not run outside a
// transaction, nothing of the group is kept, and the next group works.
func TestGroupCommitBrokenTransactionFailsTheGroup(t *testing.T) {
	d := mustOpenGroupDB(t)
	release := holdWriter(t, d)
	ranAfter := make(chan struct{}, 1)
	fns := []func(tx *sql.Tx) error{
		func(tx *sql.Tx) error { return insert(t.Context(), tx, 1) },
		func(tx *sql.Tx) error {
			if err := insert(t.Context(), tx, 2); err != nil {
				return err
			}
			_, err := tx.ExecContext(t.Context(), `ROLLBACK`)
			return err
		},
		func(tx *sql.Tx) error {
			ranAfter <- struct{}{}
			return insert(t.Context(), tx, 3)
		},
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- d.withTx(t.Context(), fn) }()
		waitQueued(t, d, i+1)
	}
	release()
	for i := range fns {
		err := <-errs[i]
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "caller %d: %v", i, err)
	}
	require.Empty(t, ranAfter, "a function ran after the transaction was gone")
	require.Empty(t, keys(t, d))
	require.NoError(t, d.withTx(t.Context(), func(tx *sql.Tx) error { return insert(t.Context(), tx, 4) }))
	require.Equal(t, []int{4}, keys(t, d))
}
