package sqlite

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// groupCrashDirEnv tells the test binary, started again by
// TestKill9KeepsAcknowledgedGroupWrites, to be the writer that gets killed.
const groupCrashDirEnv = "BOXOFFICE_SQLITE_GROUP_CRASH_DIR"

// TestKill9KeepsAcknowledgedGroupWrites is TestKill9KeepsAcknowledgedWrites
// with many concurrent writers, so that the child's writes share group
// commits: 16 goroutines create bookings (one statement each, through
// ExecContext) and append seat events to their own showtimes (a
// transaction each, through withTx), and print every write that returned.
// The child is killed mid-flight; every acknowledged write must be in the
// files after a reopen.
func TestKill9KeepsAcknowledgedGroupWrites(t *testing.T) {
	if dir := os.Getenv(groupCrashDirEnv); dir != "" {
		writeConcurrentlyUntilKilled(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestKill9KeepsAcknowledgedGroupWrites$")
	cmd.Env = append(os.Environ(), groupCrashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	bookings := map[string]bool{}
	events := map[string]uint64{} // showtime -> highest acknowledged seq
	lines := bufio.NewScanner(out)
	for len(bookings) < 500 && lines.Scan() {
		fields := strings.Fields(lines.Text())
		switch {
		case len(fields) == 2 && fields[0] == "booking":
			bookings[fields[1]] = true
		case len(fields) == 3 && fields[0] == "event":
			seq, err := strconv.ParseUint(fields[2], 10, 64)
			require.NoError(t, err)
			events[fields[1]] = max(events[fields[1]], seq)
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Len(t, bookings, 500, "the child stopped early")

	s := mustOpen(t, dir)
	for id := range bookings {
		_, err := s.Bookings.Booking(t.Context(), id)
		require.NoError(t, err, "acknowledged booking %s", id)
	}
	require.NotEmpty(t, events)
	for showtime, acked := range events {
		_, got, err := s.Seats.LoadSeats(t.Context(), showtime)
		require.NoError(t, err)
		require.GreaterOrEqual(t, uint64(len(got)), acked, "showtime %s", showtime)
		for i, e := range got {
			require.Equal(t, uint64(i+1), e.Seq)
		}
	}
}

// writeConcurrentlyUntilKilled is the child: it writes until it is killed,
// or gives up after a while so that it never outlives a parent that died.
func writeConcurrentlyUntilKilled(t *testing.T, dir string) {
	s, err := Open(t.Context(), dir)
	require.NoError(t, err)
	deadline := time.Now().Add(time.Minute)
	var mu sync.Mutex // one line at a time on stdout
	say := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		_, err := os.Stdout.WriteString(line + "\n")
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			showtime := "crash-" + strconv.Itoa(w)
			for seq := uint64(1); time.Now().Before(deadline); seq++ {
				now := time.Now().UTC()
				b := &boxoffice.Booking{ID: boxoffice.NewID(), UserID: "u", ShowtimeID: showtime, HoldID: "h",
					Seats: []string{"A1"}, TotalCents: 100, Currency: "EUR", Status: "pending", CreatedAt: now, UpdatedAt: now}
				require.NoError(t, s.Bookings.CreateBooking(t.Context(), b))
				say("booking " + b.ID)
				ev := boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: now,
					HoldID: "hold", Owner: "owner", Seats: []string{"A1"}}
				require.NoError(t, s.Seats.AppendSeats(t.Context(), showtime, []boxoffice.SeatEvent{ev}, nil))
				say("event " + showtime + " " + strconv.FormatUint(seq, 10))
			}
		})
	}
	wg.Wait()
}
