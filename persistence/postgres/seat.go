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

// scanSeatEvent decodes an event (boxoffice.DecodeSeatEvent: the binary
// form, or the JSON of journals written before it); the seq column, not
// the data, is the event's number, as it is what the fence checked.
func scanSeatEvent(row pgx.CollectableRow) (boxoffice.SeatEvent, error) {
	var seq int64
	var data []byte
	if err := row.Scan(&seq, &data); err != nil {
		return boxoffice.SeatEvent{}, err
	}
	e, err := boxoffice.DecodeSeatEvent(data)
	if err != nil {
		return e, fmt.Errorf("postgres seats: decode event %d: %w", seq, err)
	}
	e.Seq = uint64(seq)
	return e, nil
}
