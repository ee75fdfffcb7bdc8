package postgres_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/conformance"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// BenchmarkAppendSeats: the seat journal on PostgreSQL (synchronous_commit
// on: one WAL flush per commit).
func BenchmarkAppendSeats(b *testing.B) {
	s := pgtest.MustOpen(b)
	conformance.BenchmarkAppendSeats(b, func(*testing.B) boxoffice.SeatStore { return s.Seats })
}

// TestAppendSeatsManyBadRowFailsAlone: a journal written without its head
// row (by a version before the heads) makes the one statement of a flush
// fail on the events' primary key; the store then writes each showtime
// alone, so only that showtime fails and the others are stored.
func TestAppendSeatsManyBadRowFailsAlone(t *testing.T) {
	cfg := pgtest.MustTestConfig(t)
	s, err := postgres.Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	headless, good1, good2 := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	ccfg, err := pgx.ParseConfig(cfg.BaseURL)
	require.NoError(t, err)
	ccfg.Database = cfg.DatabaseName("seats")
	conn, err := pgx.ConnectConfig(t.Context(), ccfg)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), `INSERT INTO seat_events (showtime_id, seq, data) VALUES ($1, 1, '{}')`, headless)
	require.NoError(t, err)

	ev := func(seq uint64) []boxoffice.SeatEvent {
		return []boxoffice.SeatEvent{{Seq: seq, Kind: boxoffice.EventHeld, HoldID: "h", Owner: "o", Seats: []string{"A1"}}}
	}
	errs := s.Seats.AppendSeatsMany(t.Context(), []boxoffice.SeatAppend{
		{ShowtimeID: good1, Events: ev(1)}, {ShowtimeID: headless, Events: ev(1)}, {ShowtimeID: good2, Events: ev(1)},
	})
	require.NoError(t, errs[0])
	require.Equal(t, boxoffice.ECONFLICT, boxoffice.ErrorCode(errs[1]), "error: %v", errs[1])
	require.NoError(t, errs[2])
	for _, st := range []string{good1, good2} {
		_, got, err := s.Seats.LoadSeats(t.Context(), st)
		require.NoError(t, err)
		require.Len(t, got, 1)
	}
	var heads int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM seat_heads WHERE showtime_id = $1`, headless).Scan(&heads))
	require.Zero(t, heads, "the failed statement left no head behind")
}

// TestLoadSeatsReadsJSONJournal: a journal whose first event an older
// version stored as JSON (one row, no last_seq), continued by packed writes
// (one row per write), loads whole and in order, and from a snapshot that
// falls inside a packed row, only the events after it.
func TestLoadSeatsReadsJSONJournal(t *testing.T) {
	cfg := pgtest.MustTestConfig(t)
	s, err := postgres.Open(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ccfg, err := pgx.ParseConfig(cfg.BaseURL)
	require.NoError(t, err)
	ccfg.Database = cfg.DatabaseName("seats")
	conn, err := pgx.ConnectConfig(t.Context(), ccfg)
	require.NoError(t, err)
	defer conn.Close(context.Background())

	st := boxoffice.NewID()
	at := time.Date(2026, 12, 7, 6, 28, 0, 0, time.UTC)
	journal := []boxoffice.SeatEvent{{Seq: 1, Kind: boxoffice.EventHeld, At: at, HoldID: "h-1", Owner: "u-1",
		Seats: []string{"A1"}, ExpiresAt: at.Add(10 * time.Minute)}}
	data, err := json.Marshal(journal[0])
	require.NoError(t, err)
	_, err = conn.Exec(t.Context(), `INSERT INTO seat_events (showtime_id, seq, data) VALUES ($1, 1, $2)`, st, data)
	require.NoError(t, err)
	_, err = conn.Exec(t.Context(), `INSERT INTO seat_heads (showtime_id, seq) VALUES ($1, 1)`, st)
	require.NoError(t, err)

	for seq := uint64(2); seq <= 6; seq++ {
		journal = append(journal, boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventReleased,
			At: at.Add(time.Duration(seq) * time.Minute), HoldID: "h-1", Owner: "u-1", Seats: []string{"A1"}})
	}
	require.NoError(t, s.Seats.AppendSeats(t.Context(), st, journal[1:4], nil))
	require.NoError(t, s.Seats.AppendSeats(t.Context(), st, journal[4:], nil))
	var rows int
	var first []byte
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM seat_events WHERE showtime_id = $1`, st).Scan(&rows))
	require.Equal(t, 3, rows, "one row per write")
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT data FROM seat_events WHERE showtime_id = $1 AND seq = 2`, st).Scan(&first))
	require.NotEqual(t, byte('{'), first[0], "new events are stored in the binary form")

	snap, got, err := s.Seats.LoadSeats(t.Context(), st)
	require.NoError(t, err)
	require.Nil(t, snap)
	require.Equal(t, journal, got)

	_, err = conn.Exec(t.Context(), `INSERT INTO seat_snapshots (showtime_id, seq, state) VALUES ($1, 3, '{}')`, st)
	require.NoError(t, err)
	snap, got, err = s.Seats.LoadSeats(t.Context(), st)
	require.NoError(t, err)
	require.Equal(t, uint64(3), snap.Seq)
	require.Equal(t, journal[3:], got, "the events after the snapshot, from inside the row 2..4")
}
