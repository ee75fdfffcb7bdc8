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
	"github.com/boxoffice/boxoffice/internal/nodeproc"
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
// A node started while the disk is full refuses to start, saying so.
func TestDiskFull(t *testing.T) {
	if os.Getenv("BOXOFFICE_FAULTS") == "" {
		t.Skip("a fault test (5-30 s, root): set BOXOFFICE_FAULTS=1 to run it")
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
	l.holdEach(t)          // so that some holds certainly exist to read and book while full

	leave := rng.Int64N(1536 << 10)
	filler, err := fs.Fill(leave)
	require.NoError(t, err)
	free, _ := fs.Free()
	t.Logf("seed %d: filler of %d KiB, %d KiB left free", seed, filler>>10, free>>10)
	start := time.Now()
	require.True(t, l.run(fillTimeMax, 0, (*diskBuyer).refusedLately), "the disk never filled in %v: %s", fillTimeMax, l.summary())
	t.Logf("full after %v: %s", time.Since(start).Round(time.Millisecond), l.summary())
	// Buyers keep trying while the disk stays full, as clients retry.
	l.run(time.Duration(300+rng.IntN(700))*time.Millisecond, 5*time.Millisecond, nil)
	l.requireNoBad(t)
	l.checkWhileFull(t, cold)
	select {
	case <-n.Done():
		t.Fatalf("the node exited while the disk was full:\n%s", n.Output())
	default:
	}

	require.NoError(t, fs.Unfill())
	recovered := l.recover(t, fullRecoveryMax)
	t.Logf("every buyer's writes work again %v after the filler was removed", recovered.Round(time.Millisecond))
	l.bookOne(t)
	l.verify(t, n.URL)
	n = l.killWhileFull(t, n, fs)
	require.NoError(t, n.Stop(15*time.Second), n.Output())
	requireIntact(t, fs.Dir)

	// A node started while the disk is full refuses to start and says why.
	_, err = fs.Fill(0)
	require.NoError(t, err)
	requireStartRefused(t, fs.Dir)
	require.NoError(t, fs.Unfill())
	l.afterRestart(t, fs.Dir)
	t.Logf("disk-full: seed %d, %s, recovered in %v", seed, l.summary(), recovered.Round(time.Millisecond))
}

// killWhileFull fills the disk again under load and kills n (SIGKILL): a
// node started on the full disk (its WAL files still there) serves reads
// and answers writes 503 storage full, and works once space is freed. It
// returns that node.
func (l *diskLoad) killWhileFull(t *testing.T, n *node, fs *tinyfs.FS) *node {
	t.Helper()
	_, err := fs.Fill(0)
	require.NoError(t, err)
	require.True(t, l.run(fillTimeMax, 0, (*diskBuyer).refusedLately), "the disk never filled again: %s", l.summary())
	n.Kill()
	n = startNode(t, fs.Dir, "BOXOFFICE_HOLD_TTL=1h")
	l.verify(t, n.URL)
	b := l.buyers[0]
	if _, r := l.hold(b, b.seats[b.next]); !r.storageFull() {
		t.Fatalf("hold on a node restarted on a full disk: %v, want 503 storage full", r)
	}
	require.NoError(t, fs.Unfill())
	l.recover(t, fullRecoveryMax)
	return n
}

// requireStartRefused starts a node on dir, whose disk is full: it must
// exit within 30 s saying that the disk is full, not that a file is
// corrupt.
func requireStartRefused(t *testing.T, dir string) {
	t.Helper()
	n, err := nodeproc.Start(nodeproc.Options{Binary: binary,
		Args: []string{"--remote", freeAddr(t), "--gossip", freeAddr(t), "--data", dir},
		Env:  []string{"BOXOFFICE_ADMIN_EMAIL=" + testAdminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + testAdminPassword}})
	require.NoError(t, err)
	t.Cleanup(n.Kill)
	select {
	case <-n.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("a node started on a full disk neither served nor exited in 30 s:\n%s", n.Output())
	}
	require.Contains(t, n.Output(), "disk is full")
	require.NotContains(t, n.Output(), "corrupt")
}

// afterRestart starts the node again on dir once space is freed: every
// acknowledged hold and booking is there, writes work, bookings refused
// mid-saga while full settle, the money balances and the files are whole.
func (l *diskLoad) afterRestart(t *testing.T, dir string) {
	n := startNode(t, dir, "BOXOFFICE_HOLD_TTL=1h")
	l.verify(t, n.URL)
	l.recover(t, fullRecoveryMax)
	start := time.Now()
	byID := waitSettled(t, n.URL, l.clients())
	t.Logf("%d bookings settled %v after the restart's first writes", len(byID), time.Since(start).Round(time.Millisecond))
	require.NoError(t, n.Stop(15*time.Second), n.Output())
	requireIntact(t, dir)
	checkMoney(t, dir, byID)
	require.NotContains(t, n.Output(), "panic")
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
