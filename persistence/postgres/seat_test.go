package postgres_test

import (
	"context"
	"testing"

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
