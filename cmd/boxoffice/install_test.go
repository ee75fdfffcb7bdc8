package main_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/nodeproc"
	"github.com/boxoffice/boxoffice/internal/testwait"

	_ "modernc.org/sqlite" // the driver, to find a table's page
)

// TestLostStoreRefusesStart loses one store of a node that has sold seats
// (seats.db emptied or deleted, or a page of bookings.db overwritten) and
// restarts it: the node must refuse to start, naming the store, instead of
// serving the sold seats as free and selling them a second time.
func TestLostStoreRefusesStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		harm  func(t *testing.T, dir string)
		wants []string
	}{
		{"SeatsEmptied", func(t *testing.T, dir string) {
			require.NoError(t, os.Truncate(filepath.Join(dir, "seats.db"), 0))
			removeWAL(t, dir, "seats")
		}, []string{"seats", "empty", "backup"}},
		{"SeatsDeleted", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "seats.db")))
			removeWAL(t, dir, "seats")
		}, []string{"seats", "missing", "backup"}},
		{"BookingsCorrupt", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "bookings.db")
			overwritePage(t, path, rootPage(t, path, "bookings"))
		}, []string{"bookings", "corrupt", "backup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seats := sellTwoSeats(t, dir)
			tc.harm(t, dir)
			out, ready := startRefused(t, dir)
			if ready != nil {
				// What the node did before it refused: the sold seats show
				// free and a second buyer gets them.
				code := buySeats(t, ready, seats)
				t.Fatalf("the node started on a lost store and a second booking of the sold seats %v answered %d", seats.ids, code)
			}
			for _, w := range tc.wants {
				require.Contains(t, out, w)
			}
		})
	}
}

// TestSeatStoreFromOlderBackupRefusesShowtime restores seats.db from a
// backup taken before a sale. The six stores are still one install, so the
// node starts, but the showtime's journal is behind its confirmed
// bookings: the showtime must answer 503 instead of selling the sold seats
// again.
func TestSeatStoreFromOlderBackupRefusesShowtime(t *testing.T) {
	dir, backup := t.TempDir(), t.TempDir()
	n := startNode(t, dir)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	sold := soldSeats{showtime: setupShowtime(t, admin, "AB", 5), ids: []string{"A1", "A2"}}
	require.NoError(t, n.Stop(15*time.Second))
	copyFile(t, filepath.Join(dir, "seats.db"), filepath.Join(backup, "seats.db"))

	n = startNode(t, dir)
	require.Equal(t, 201, buySeats(t, n, sold), "the first booking")
	require.NoError(t, n.Stop(15*time.Second))
	copyFile(t, filepath.Join(backup, "seats.db"), filepath.Join(dir, "seats.db"))
	removeWAL(t, dir, "seats")

	n = startNode(t, dir)
	require.Equal(t, 503, buySeats(t, n, sold), "a hold on a showtime whose journal lost a sale")
	// The node logs why as it answers; the line reaches the test's copy of
	// its output a moment later.
	testwait.Until(t, 10*time.Second, "a log line saying the journal is behind its bookings",
		func() bool { return strings.Contains(n.Output(), "behind its bookings") })
}

// copyFile copies a closed database file.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o600))
}

// soldSeats is a showtime and the seats a first buyer bought.
type soldSeats struct {
	showtime string
	ids      []string
}

// sellTwoSeats starts a node on dir, sells two seats of a new showtime and
// stops the node cleanly.
func sellTwoSeats(t *testing.T, dir string) soldSeats {
	t.Helper()
	n := startNode(t, dir)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	sold := soldSeats{showtime: setupShowtime(t, admin, "AB", 5), ids: []string{"A1", "A2"}}
	require.Equal(t, 201, buySeats(t, n, sold), "the first booking")
	require.NoError(t, n.Stop(15*time.Second))
	return sold
}

// buySeats holds and books seats as a new user and returns the booking's
// status code (or the hold's, when the hold fails).
func buySeats(t *testing.T, n *node, s soldSeats) int {
	t.Helper()
	c := registerUser(t, n.URL, boxoffice.NewID()+"@example.com")
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	code, err := c.do("POST", "/api/v1/showtimes/"+s.showtime+"/holds", map[string]any{"seats": s.ids}, &hold)
	require.NoError(t, err)
	if code != 201 {
		return code
	}
	code, err = c.do("POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, nil, "Idempotency-Key", boxoffice.NewID())
	require.NoError(t, err)
	return code
}

// startRefused starts a node on dir and waits until it exits or serves. It
// returns what the node printed when it exited, or the node when it became
// ready instead.
func startRefused(t *testing.T, dir string) (string, *node) {
	t.Helper()
	n, err := nodeproc.Start(nodeproc.Options{
		Binary: binary,
		Args:   []string{"--remote", freeAddr(t), "--gossip", freeAddr(t), "--data", dir},
		Env:    []string{"BOXOFFICE_ADMIN_EMAIL=" + testAdminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + testAdminPassword},
	})
	require.NoError(t, err)
	t.Cleanup(n.Kill)
	switch err := n.WaitReady(30 * time.Second); err {
	case nil:
		return "", n
	case nodeproc.ErrExited:
		require.NotZero(t, n.Cmd.ProcessState.ExitCode(), "a refused start exits non-zero")
		return n.Output(), nil
	default:
		t.Fatalf("%v:\n%s", err, n.Output())
		return "", nil
	}
}

// removeWAL removes a service's write-ahead log and its index, as an
// operator who replaces or deletes the database file would.
func removeWAL(t *testing.T, dir, service string) {
	t.Helper()
	for _, suffix := range []string{"-wal", "-shm"} {
		err := os.Remove(filepath.Join(dir, service+".db"+suffix))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// rootPage is the first page of a table of a SQLite file: garbage there
// breaks what the node reads, not only how it starts.
func rootPage(t *testing.T, path, table string) int64 {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	var page int64
	require.NoError(t, db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&page))
	return page
}

// overwritePage fills page n (from 1) of a SQLite file with garbage, as a
// failing disk would.
func overwritePage(t *testing.T, path string, n int64) {
	t.Helper()
	const pageSize = 4096
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	garbage := make([]byte, pageSize)
	for i := range garbage {
		garbage[i] = byte(i*7 + 13)
	}
	_, err = f.WriteAt(garbage, (n-1)*pageSize)
	require.NoError(t, err)
}
