package main_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/tinyfs"
)

const (
	// diskSizeBytes is the tiny file system the node's data directory
	// lives on: a fresh install takes about a third of it.
	diskSizeBytes = 4 << 20
	// fullAnswerMax is the contract while the disk is full: a write
	// answers 503 within it, never 500, never a hang.
	fullAnswerMax = 2 * time.Second
	// fullRecoveryMax bounds how long writes may keep failing once space
	// is freed (no restart of the node).
	fullRecoveryMax = 10 * time.Second
	// fillTimeMax bounds the phase that drives the disk to full.
	fillTimeMax = 15 * time.Second
)

// TestDiskFull (the fault harness's disk-full row) runs a `serve` node with its SQLite data directory on a 4 MB
// tmpfs, nearly fills the tmpfs with a file (the space left is drawn from
// the seed, BOXOFFICE_FAULT_SEED to replay), and has buyers hold and book
// seats until every write is refused. It proves that while the disk is
// full every write answers 503 `unavailable` saying the storage is full,
// within 2 s, and reads still answer; that once the file is removed writes
// work again by themselves; and that nothing acknowledged is lost or
// corrupt: every database file passes `PRAGMA integrity_check` and every
// hold and booking that got a 201 is there, before and after a restart.
func TestDiskFull(t *testing.T) {
	if os.Getenv("BOXOFFICE_FAULTS") == "" {
		t.Skip("a fault test (4-20 s, root): set BOXOFFICE_FAULTS=1 to run it")
	}
	seed := faultSeed(t)
	rng := rand.New(rand.NewPCG(seed, 12))
	fs := tinyfs.Mount(t, diskSizeBytes)
	n := startNode(t, fs.Dir, "BOXOFFICE_HOLD_TTL=1h")
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	const rows, perRow = "ABCDEFGHIJKLMNOPQRST", 30
	cat := newCatalog(t, admin, rows, perRow)
	l := newDiskLoad(t, n.URL, cat.showtime(), seatIDs(rows, perRow), 4, rng)
	cold := cat.showtime() // its grain first starts while the disk is full

	l.holdEach(t) // so that some holds certainly exist to read and book while full
	leave := rng.Int64N(1536 << 10)
	filler, err := fs.Fill(leave)
	require.NoError(t, err)
	free, _ := fs.Free()
	t.Logf("seed %d: filler of %d KiB, %d KiB left free", seed, filler>>10, free>>10)

	start := time.Now()
	require.True(t, l.fill(fillTimeMax), "the disk never filled in %v: %s", fillTimeMax, l.summary())
	t.Logf("full after %v: %s", time.Since(start).Round(time.Millisecond), l.summary())
	l.checkWhileFull(t, cold)
	select {
	case <-n.Done():
		t.Fatalf("the node exited while the disk was full:\n%s", n.Output())
	default:
	}

	require.NoError(t, fs.Unfill())
	start = time.Now()
	l.waitWrites(t, fullRecoveryMax)
	recovered := time.Since(start)
	l.bookOne(t)
	t.Logf("writes work again %v after the filler was removed", recovered.Round(time.Millisecond))

	l.verify(t, n.URL)
	require.NoError(t, n.Stop(15*time.Second), n.Output())
	requireIntact(t, fs.Dir)
	n2 := startNode(t, fs.Dir, "BOXOFFICE_HOLD_TTL=1h")
	l.verify(t, n2.URL)
	l.waitWrites(t, fullRecoveryMax)
	// Bookings refused while full may have been left pending: the node
	// finishes or refunds them, and the money must balance.
	start = time.Now()
	byID := waitSettled(t, n2.URL, l.clients())
	t.Logf("%d bookings settled %v after the restart's first hold", len(byID), time.Since(start).Round(time.Millisecond))
	require.NoError(t, n2.Stop(15*time.Second), n2.Output())
	requireIntact(t, fs.Dir)
	checkMoney(t, fs.Dir, byID)
	for _, out := range []string{n.Output(), n2.Output()} {
		require.NotContains(t, out, "panic")
	}
	t.Logf("disk-full: seed %d, %s, recovered in %v", seed, l.summary(), recovered.Round(time.Millisecond))
}

// faultSeed is BOXOFFICE_FAULT_SEED, or a new seed; the test logs it.
func faultSeed(t *testing.T) uint64 {
	if s := os.Getenv("BOXOFFICE_FAULT_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "BOXOFFICE_FAULT_SEED")
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// requireIntact runs PRAGMA integrity_check on every database file under
// dir (the node is stopped).
func requireIntact(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.db"))
	require.NoError(t, err)
	require.Len(t, files, len(boxoffice.Services), "database files: %v", files)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, f := range files {
		db, err := sql.Open("sqlite", "file:"+f)
		require.NoError(t, err)
		var res []string
		rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
		require.NoError(t, err, f)
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			res = append(res, s)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, db.Close())
		require.Equal(t, []string{"ok"}, res, "integrity_check of %s", f)
	}
}

// opResult is the outcome of one call: its status (0: no answer, the
// outcome is unknown), error code and message, and how long it took.
type opResult struct {
	status                int
	code, message, reason string
	took                  time.Duration
}

func (r opResult) String() string {
	return fmt.Sprintf("%d %s %q after %v", r.status, r.code, r.message, r.took.Round(time.Millisecond))
}

// storageFull reports whether r is the answer a write gets on a full disk.
func (r opResult) storageFull() bool {
	return r.status == http.StatusServiceUnavailable && r.code == boxoffice.EUNAVAILABLE &&
		r.reason == boxoffice.ReasonStorageFull && strings.Contains(r.message, "storage is full")
}

// call sends one request and decodes a 2xx answer into out.
func call(c *client, method, path string, body, out any, hdr ...string) opResult {
	start := time.Now()
	var raw json.RawMessage
	status, err := c.do(method, path, body, &raw, hdr...)
	r := opResult{status: status, took: time.Since(start)}
	if err != nil {
		r.status, r.message = 0, err.Error()
		return r
	}
	if status/100 == 2 {
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				r.message = err.Error()
			}
		}
		return r
	}
	var e errorJSON
	_ = json.Unmarshal(raw, &e)
	r.code, r.message = e.Error.Code, e.Error.Message
	r.reason, _ = e.Error.Details["reason"].(string)
	return r
}
