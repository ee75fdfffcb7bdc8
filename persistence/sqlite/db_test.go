package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// TestPragmas reads back, on the pool's connection, the settings that
// durability and error handling rely on.
func TestPragmas(t *testing.T) {
	d, err := openService(t.Context(), t.TempDir(), "bookings")
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.close() })
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "5000",
	} {
		var got string
		require.NoError(t, d.db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got))
		require.Equal(t, want, got, pragma)
	}
}

// crashDirEnv tells the test binary, started again by
// TestKill9KeepsAcknowledgedWrites, to be the writer that gets killed.
const crashDirEnv = "BOXOFFICE_SQLITE_CRASH_DIR"

// TestKill9KeepsAcknowledgedWrites starts a child process that appends seat
// events and prints the seq of each append that returned, kills it with
// SIGKILL in the middle of its writes, and expects every acknowledged event
// in the journal after a reopen: what was answered must survive a crash.
func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		appendUntilKilled(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr // the child's failures, if any
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	acked := uint64(0)
	lines := bufio.NewScanner(out)
	for acked < 300 && lines.Scan() {
		if seq, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			acked, err = strconv.ParseUint(seq, 10, 64)
			require.NoError(t, err)
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Equal(t, uint64(300), acked, "the child stopped early")

	s := mustOpen(t, dir)
	_, events, err := s.Seats.LoadSeats(t.Context(), "crash")
	require.NoError(t, err)
	require.GreaterOrEqual(t, uint64(len(events)), acked)
	for i, e := range events {
		require.Equal(t, uint64(i+1), e.Seq)
	}
}

// appendUntilKilled is the child: it writes until it is killed, or gives up
// after a while so that it never outlives a parent that died.
func appendUntilKilled(t *testing.T, dir string) {
	// The whole install, so that the parent's reopen is a second start.
	s, err := Open(t.Context(), dir)
	require.NoError(t, err)
	seats := s.Seats
	deadline := time.Now().Add(time.Minute)
	for seq := uint64(1); time.Now().Before(deadline); seq++ {
		ev := boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: time.Now().UTC(),
			HoldID: "hold", Owner: "owner", Seats: []string{"A1"}}
		require.NoError(t, seats.AppendSeats(t.Context(), "crash", []boxoffice.SeatEvent{ev}, nil))
		_, err := os.Stdout.WriteString("acked " + strconv.FormatUint(seq, 10) + "\n")
		require.NoError(t, err)
	}
}

// TestReadersReadOnlyBesideWriter reads back the readers' settings, sends
// a write to a reader (it must fail, not take the write lock), and reads
// while the writer is inside a group: WAL readers need not wait for it.
func TestReadersReadOnlyBesideWriter(t *testing.T) {
	d, err := openService(t.Context(), t.TempDir(), "bookings")
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.close() })
	for pragma, want := range map[string]string{"journal_mode": "wal", "query_only": "1", "busy_timeout": "5000"} {
		var got string
		require.NoError(t, d.db.read.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got))
		require.Equal(t, want, got, pragma)
	}
	_, err = d.db.read.ExecContext(t.Context(), `DELETE FROM bookings`)
	require.ErrorContains(t, err, "readonly")

	entered, leave := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- d.withTx(context.Background(), func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(context.Background(), `DELETE FROM bookings`); err != nil {
				return err
			}
			close(entered)
			<-leave
			return nil
		})
	}()
	<-entered
	// Bounded so that a read queued behind the group fails instead of
	// hanging the test.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var n int
	require.NoError(t, d.db.QueryRowContext(ctx, `SELECT count(*) FROM bookings`).Scan(&n))
	close(leave)
	require.NoError(t, <-done)
}
