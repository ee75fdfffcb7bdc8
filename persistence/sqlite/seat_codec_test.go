package sqlite

import (
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// TestSeatJournalMigratesJSONEvents takes a new install's seats database
// back to the schema before the binary form (TEXT column), writes an event
// there as JSON, then opens the directory as the product does: the
// migration keeps the row, the store loads it, and appends after it in
// the binary form.
func TestSeatJournalMigratesJSONEvents(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	fresh, err := Open(ctx, dir)
	require.NoError(t, err)
	require.NoError(t, fresh.Close())
	d, err := openFile(dir, "seats")
	require.NoError(t, err)
	fsys, err := fs.Sub(migrations, "migrations/seats")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectSQLite3, d.db.DB, fsys, goose.WithDisableGlobalRegistry(true))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 1)
	require.NoError(t, err)
	st := boxoffice.NewID()
	at := time.Date(2026, 12, 7, 6, 28, 0, 0, time.UTC)
	old := boxoffice.SeatEvent{Seq: 1, Kind: boxoffice.EventHeld, At: at, HoldID: "h-1", Owner: "u-1",
		Seats: []string{"A1"}, ExpiresAt: at.Add(10 * time.Minute)}
	data, err := json.Marshal(old)
	require.NoError(t, err)
	_, err = d.db.DB.ExecContext(ctx, `INSERT INTO seat_events (showtime_id, seq, data) VALUES (?, 1, ?)`, st, string(data))
	require.NoError(t, err)
	require.NoError(t, d.close())

	s := mustOpen(t, dir)
	next := boxoffice.SeatEvent{Seq: 2, Kind: boxoffice.EventReleased, At: at.Add(time.Minute), HoldID: "h-1", Owner: "u-1", Seats: []string{"A1"}}
	require.NoError(t, s.Seats.AppendSeats(ctx, st, []boxoffice.SeatEvent{next}, nil))
	_, got, err := s.Seats.LoadSeats(ctx, st)
	require.NoError(t, err)
	require.Equal(t, []boxoffice.SeatEvent{old, next}, got)
}
