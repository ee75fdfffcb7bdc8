package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// seatStore is boxoffice.SeatStore on the seats database: the journals of
// the showtime grains.
type seatStore struct{ db *db }

var _ boxoffice.SeatStore = (*seatStore)(nil)

// appendSQL writes a whole group commit in one statement, so it is one
// round trip and atomic without BEGIN/COMMIT: every event of the batch
// (one multi-row insert from arrays, 20-50x faster than a statement per
// event) and, when $4 is not NULL, the snapshot. If any seq is taken the
// statement fails as a whole and the snapshot is not written either.
// The snapshot only ever moves forward: an older one never replaces a
// newer one.
const appendSQL = `
WITH events AS (
	INSERT INTO seat_events (showtime_id, seq, data)
	SELECT $1, e.seq, e.data FROM unnest($2::bigint[], $3::bytea[]) AS e(seq, data)
), snapshot AS (
	INSERT INTO seat_snapshots (showtime_id, seq, state)
	SELECT $1, $4, $5 WHERE $4::bigint IS NOT NULL
	ON CONFLICT (showtime_id) DO UPDATE SET seq = excluded.seq, state = excluded.state
	WHERE seat_snapshots.seq < excluded.seq
)
SELECT 1`

// AppendSeats returns ECONFLICT when a seq already exists: the primary key
// (showtime_id, seq) fences two activations of one showtime, and the one
// that loses must stop.
func (s *seatStore) AppendSeats(ctx context.Context, showtimeID string, events []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	if err := boxoffice.ValidateSeatEvents(showtimeID, events); err != nil {
		return err
	}
	if len(events) == 0 && snap == nil {
		return nil
	}
	seqs := make([]int64, len(events))
	data := make([][]byte, len(events))
	for i := range events {
		b, err := json.Marshal(&events[i])
		if err != nil {
			return fmt.Errorf("postgres seats: encode event %d: %w", events[i].Seq, err)
		}
		seqs[i], data[i] = int64(events[i].Seq), b
	}
	var snapSeq *int64
	var snapState []byte
	if snap != nil {
		seq := int64(snap.Seq)
		snapSeq, snapState = &seq, []byte(snap.State)
		if snapState == nil {
			snapState = []byte("null")
		}
	}
	_, err := s.db.pool.Exec(ctx, appendSQL, showtimeID, seqs, data, snapSeq, snapState)
	if isUnique(err, "seat_events_pkey") {
		return boxoffice.Errorf(boxoffice.ECONFLICT,
			"showtime %s: seat journal already has seq %d..%d: another activation wrote first",
			showtimeID, events[0].Seq, events[len(events)-1].Seq)
	}
	return s.db.translate(err)
}

// LoadSeats reads the snapshot before the events: the journal only grows,
// so the events after an older snapshot are still all there, and no
// transaction is needed for a consistent view.
func (s *seatStore) LoadSeats(ctx context.Context, showtimeID string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	snap := &boxoffice.SeatSnapshot{ShowtimeID: showtimeID}
	var seq int64
	var state []byte
	err := s.db.pool.QueryRow(ctx,
		`SELECT seq, state FROM seat_snapshots WHERE showtime_id = $1`, showtimeID).Scan(&seq, &state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		snap = nil
	case err != nil:
		return nil, nil, s.db.translate(err)
	default:
		snap.Seq, snap.State = uint64(seq), json.RawMessage(state)
	}
	rows, err := s.db.pool.Query(ctx,
		`SELECT seq, data FROM seat_events WHERE showtime_id = $1 AND seq > $2 ORDER BY seq`,
		showtimeID, seq)
	if err != nil {
		return nil, nil, s.db.translate(err)
	}
	events, err := pgx.CollectRows(rows, scanSeatEvent)
	if err != nil {
		return nil, nil, s.db.translate(err)
	}
	return snap, events, nil
}

// scanSeatEvent decodes an event; the seq column, not the JSON, is the
// event's number, as it is what the fence checked.
func scanSeatEvent(row pgx.CollectableRow) (boxoffice.SeatEvent, error) {
	var e boxoffice.SeatEvent
	var seq int64
	var data []byte
	if err := row.Scan(&seq, &data); err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("postgres seats: decode event %d: %w", seq, err)
	}
	e.Seq = uint64(seq)
	return e, nil
}
