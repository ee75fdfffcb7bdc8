package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/tinyfs"
)

// insertBig inserts row k with a value of about 3 KB, so that a few rows
// need a new page.
func insertBig(ctx context.Context, tx *sql.Tx, k int) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (?, ?)`, k, strings.Repeat("x", 3000))
	return err
}

// requireStorageFull checks the error a store returns for a write refused
// for want of space: EUNAVAILABLE (503), saying so.
func requireStorageFull(t *testing.T, err error) {
	t.Helper()
	require.True(t, boxoffice.IsStorageFull(err), "want storage full, got code %s: %v", boxoffice.ErrorCode(err), err)
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err))
	require.Contains(t, boxoffice.ErrorMessage(err), "storage is full")
}

// TestFullDatabaseAnswersStorageFull caps the file's size (max_page_count,
// which fails a write with SQLITE_FULL as a full disk does) and writes
// until a write is refused: the refusal is EUNAVAILABLE "storage is full",
// not an internal error; the writes acknowledged before it are kept; and
// once the cap is lifted the same writer works again.
func TestFullDatabaseAnswersStorageFull(t *testing.T) {
	d := mustOpenGroupDB(t)
	ctx := t.Context()
	var pages int
	require.NoError(t, d.db.DB.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	_, err := d.db.DB.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+4))
	require.NoError(t, err)

	var acked []int
	for k := 1; k <= 100 && err == nil; k++ {
		err = translate(d.withTx(ctx, func(tx *sql.Tx) error { return insertBig(ctx, tx, k) }), "row")
		if err == nil {
			acked = append(acked, k)
		}
	}
	require.Error(t, err, "100 rows of 3 KB fit in %d pages", pages+4)
	requireStorageFull(t, err)
	require.Equal(t, acked, keys(t, d))

	_, err = d.db.DB.ExecContext(ctx, `PRAGMA max_page_count = 1000000`)
	require.NoError(t, err)
	require.NoError(t, d.withTx(ctx, func(tx *sql.Tx) error { return insertBig(ctx, tx, 1000) }))
	require.Equal(t, append(acked, 1000), keys(t, d))
}

// TestDiskFullGroupCommit puts a database file on a small tmpfs, fills the
// tmpfs, and runs concurrent writers (group commits, whose COMMIT writes
// the WAL) until every one is refused. Every refusal is EUNAVAILABLE
// "storage is full"; every acknowledged row is there; once space is freed
// the writer works again without reopening the file, and the file passes
// integrity_check. Needs root (mount): skipped otherwise, failed when CI is
// set.
func TestDiskFullGroupCommit(t *testing.T) {
	fs := tinyfs.Mount(t, 1<<20)
	d, err := openFile(fs.Dir, "bookings")
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.close() })
	_, err = d.db.DB.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	require.NoError(t, err)
	_, err = fs.Fill(64 << 10)
	require.NoError(t, err)

	var (
		mu      sync.Mutex
		acked   []int
		refused []error
		wg      sync.WaitGroup
	)
	const writers, rowsEach = 8, 40
	for w := range writers {
		wg.Go(func() {
			for i := range rowsEach {
				k := w*rowsEach + i + 1
				err := translate(d.withTx(t.Context(), func(tx *sql.Tx) error { return insertBig(t.Context(), tx, k) }), "row")
				mu.Lock()
				if err == nil {
					acked = append(acked, k)
				} else {
					refused = append(refused, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.NotEmpty(t, refused, "%d rows of 3 KB fit in 64 KB", len(acked))
	for _, err := range refused {
		requireStorageFull(t, err)
	}
	require.ElementsMatch(t, acked, keys(t, d))
	t.Logf("%d rows acknowledged, %d refused for a full disk", len(acked), len(refused))

	require.NoError(t, fs.Unfill())
	require.NoError(t, d.withTx(t.Context(), func(tx *sql.Tx) error { return insertBig(t.Context(), tx, 10000) }))
	require.ElementsMatch(t, append(acked, 10000), keys(t, d))
	var check string
	require.NoError(t, d.db.DB.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&check))
	require.Equal(t, "ok", check)
}

// TestOpenOnFullDiskIsNotCorrupt starts the stores of an install whose
// disk filled up while they were closed (a clean close removes the WAL
// files, and opening needs room for them again): the start is refused
// saying the disk is full, not that a file is corrupt and must be restored
// from a backup; once space is freed the same files open.
func TestOpenOnFullDiskIsNotCorrupt(t *testing.T) {
	fs := tinyfs.Mount(t, 2<<20)
	require.NoError(t, Migrate(t.Context(), fs.Dir))
	_, err := fs.Fill(0)
	require.NoError(t, err)
	_, err = Open(t.Context(), fs.Dir)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "corrupt")
	require.Contains(t, err.Error(), "disk is full")

	require.NoError(t, fs.Unfill())
	s, err := Open(t.Context(), fs.Dir)
	require.NoError(t, err)
	require.NoError(t, s.Close())
}
