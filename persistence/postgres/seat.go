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

// AppendSeats is AppendSeatsMany for one showtime: the same statement and
// the same fence. Returns ECONFLICT when the journal does not end just
// before the first event (another activation wrote first): that
// activation must stop.
func (s *seatStore) AppendSeats(ctx context.Context, showtimeID string, events []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	return s.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: showtimeID, Events: events, Snapshot: snap}})[0]
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
	rows, err := s.db.pool.Query(ctx, loadEventsSQL, showtimeID, seq)
	if err != nil {
		return nil, nil, s.db.translate(err)
	}
	var events []boxoffice.SeatEvent
	var first int64
	var last *int64
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&first, &last, &data}, func() error {
		row, err := decodeSeatRow(first, last, data)
		for _, e := range row {
			if e.Seq > uint64(seq) { // a row may start before the snapshot
				events = append(events, e)
			}
		}
		return err
	})
	if err != nil {
		return nil, nil, s.db.translate(err)
	}
	return snap, events, nil
}

// loadEventsSQL reads the rows of a showtime's journal after seq $2: those
// that start after it, and the row before them if it ends after it (a
// snapshot falls at the end of a write, so only on a row's edge, but
// nothing here needs that to hold). A row is one write's events (seq to
// last_seq) or, written before packing, one event (last_seq NULL).
const loadEventsSQL = `
SELECT seq, last_seq, data FROM (
	SELECT seq, last_seq, data FROM (
		SELECT seq, last_seq, data FROM seat_events
		WHERE showtime_id = $1 AND seq <= $2
		ORDER BY seq DESC LIMIT 1
	) AS before WHERE last_seq > $2
	UNION ALL
	SELECT seq, last_seq, data FROM seat_events WHERE showtime_id = $1 AND seq > $2
) AS rows ORDER BY seq`

// decodeSeatRow decodes a journal row (boxoffice.DecodeSeatEvents: a
// packed write, or one event in the binary form or JSON). The seq
// columns, not the data, number the events, as they are what the fence
// checked; a row whose count does not match them is refused.
func decodeSeatRow(first int64, last *int64, data []byte) ([]boxoffice.SeatEvent, error) {
	events, err := boxoffice.DecodeSeatEvents(data)
	if err != nil {
		return nil, fmt.Errorf("postgres seats: decode events from %d: %w", first, err)
	}
	end := first
	if last != nil {
		end = *last
	}
	if int64(len(events)) != end-first+1 {
		return nil, fmt.Errorf("postgres seats: row %d..%d holds %d events", first, end, len(events))
	}
	for i := range events {
		events[i].Seq = uint64(first) + uint64(i)
	}
	return events, nil
}
