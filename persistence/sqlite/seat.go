package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// seatStore keeps the seat journals and snapshots in seats.db.
type seatStore struct{ db *db }

var _ boxoffice.SeatStore = (*seatStore)(nil)

const (
	// appendRowsMax bounds the rows of one INSERT statement (3 parameters
	// each) well below SQLite's limit of 32766 parameters; a larger batch is
	// written as several statements of the same transaction.
	appendRowsMax = 500
	// snapshotsKept is how many snapshots of a showtime survive an append:
	// the latest is all that loading needs, the others are a margin should
	// one be unreadable by a newer version of the code.
	snapshotsKept = 3
)

// LoadSeats returns the latest snapshot (nil if none) and the events after
// it in Seq order. Both reads share a transaction, so they see one state.
func (s *seatStore) LoadSeats(ctx context.Context, showtimeID string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	var snap *boxoffice.SeatSnapshot
	var events []boxoffice.SeatEvent
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		snap, err = loadSnapshot(ctx, tx, showtimeID)
		if err != nil {
			return err
		}
		after := uint64(0)
		if snap != nil {
			after = snap.Seq
		}
		events, err = loadEvents(ctx, tx, showtimeID, after)
		return err
	})
	if err != nil {
		return nil, nil, translate(err, "seats of showtime "+showtimeID)
	}
	return snap, events, nil
}

func loadSnapshot(ctx context.Context, tx *sql.Tx, showtimeID string) (*boxoffice.SeatSnapshot, error) {
	snap := &boxoffice.SeatSnapshot{ShowtimeID: showtimeID}
	var state []byte
	err := tx.QueryRowContext(ctx,
		`SELECT seq, state FROM seat_snapshots WHERE showtime_id = ? ORDER BY seq DESC LIMIT 1`,
		showtimeID).Scan(&snap.Seq, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	snap.State = json.RawMessage(state)
	return snap, nil
}

func loadEvents(ctx context.Context, tx *sql.Tx, showtimeID string, after uint64) ([]boxoffice.SeatEvent, error) {
	rows, err := tx.QueryContext(ctx,
		`SELECT seq, data FROM seat_events WHERE showtime_id = ? AND seq > ? ORDER BY seq`,
		showtimeID, after)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(s scanner) (boxoffice.SeatEvent, error) {
		var seq uint64
		var data []byte
		if err := s.Scan(&seq, &data); err != nil {
			return boxoffice.SeatEvent{}, err
		}
		// The binary form, or the JSON (TEXT) of journals written before it.
		e, err := boxoffice.DecodeSeatEvent(data)
		if err != nil {
			return e, err
		}
		e.Seq = seq // the key column is the truth, whatever the data says
		return e, nil
	})
}

// AppendSeats is AppendSeatsMany for one showtime. Returns ECONFLICT if
// the journal does not end just before the first event (another
// activation of the showtime wrote first: nothing of this call is stored),
// EINVALID if the Seqs are not consecutive.
func (s *seatStore) AppendSeats(ctx context.Context, showtimeID string, events []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	return s.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: showtimeID, Events: events, Snapshot: snap}})[0]
}

// AppendSeatsMany writes every showtime's append in one transaction (one
// commit, one fsync), each inside a savepoint: an append that fails (its
// journal does not end just before its first seq, or a row is refused) is
// rolled back alone and the others commit. SQLite has one writer, so the
// check of the journal's end and the insert cannot interleave with
// another writer's.
func (s *seatStore) AppendSeatsMany(ctx context.Context, appends []boxoffice.SeatAppend) []error {
	errs := make([]error, len(appends))
	var todo []int
	for i, a := range appends {
		if err := checkAppend(a.ShowtimeID, a.Events, a.Snapshot); err != nil {
			errs[i] = err
		} else if len(a.Events) > 0 || a.Snapshot != nil {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return errs
	}
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		for _, i := range todo {
			if err := appendInSavepoint(ctx, tx, appends[i]); err != nil {
				if !isAppendError(err) {
					return err // the transaction is gone: every append fails
				}
				errs[i] = err
			}
		}
		return nil
	})
	if err != nil {
		err = translate(err, "seat journals")
		for _, i := range todo {
			errs[i] = err
		}
	}
	return errs
}

// ConcurrentWrites is 1: SQLite has one writer (and the service one
// connection), so the node's journal committer gains nothing from a second
// write in flight, and loses the batching of what queues behind the one.
func (s *seatStore) ConcurrentWrites() int { return 1 }

// appendError is an append refused on its own: the transaction goes on.
type appendError struct{ err error }

func (e *appendError) Error() string { return e.err.Error() }
func (e *appendError) Unwrap() error { return e.err }

func isAppendError(err error) bool {
	var ae *appendError
	return errors.As(err, &ae)
}

// appendInSavepoint writes one showtime's append inside a savepoint and
// rolls back to it if the append fails. It returns an *appendError for an
// append refused alone, any other error when the transaction itself
// failed.
func appendInSavepoint(ctx context.Context, tx *sql.Tx, a boxoffice.SeatAppend) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT seat_append`); err != nil {
		return err
	}
	err := appendOne(ctx, tx, a)
	if err == nil {
		_, err = tx.ExecContext(ctx, `RELEASE seat_append`)
		return err
	}
	if _, rbErr := tx.ExecContext(ctx, `ROLLBACK TO seat_append`); rbErr != nil {
		return errors.Join(err, rbErr)
	}
	if _, relErr := tx.ExecContext(ctx, `RELEASE seat_append`); relErr != nil {
		return relErr
	}
	if isUnique(err) {
		err = boxoffice.Errorf(boxoffice.ECONFLICT,
			"seats of showtime %s were written by another activation", a.ShowtimeID)
	}
	return &appendError{translate(err, "seats of showtime "+a.ShowtimeID)}
}

// appendOne stores one append: the fence first (the journal must end just
// before the first event), then the events, then the snapshot.
func appendOne(ctx context.Context, tx *sql.Tx, a boxoffice.SeatAppend) error {
	if len(a.Events) > 0 {
		var last uint64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM seat_events WHERE showtime_id = ?`,
			a.ShowtimeID).Scan(&last); err != nil {
			return err
		}
		if last != a.Events[0].Seq-1 {
			return boxoffice.Errorf(boxoffice.ECONFLICT,
				"seats of showtime %s were written by another activation (journal at seq %d, batch from %d)",
				a.ShowtimeID, last, a.Events[0].Seq)
		}
	}
	args := eventArgs(a.ShowtimeID, a.Events)
	for len(args) > 0 {
		n := min(len(args)/3, appendRowsMax)
		q := `INSERT INTO seat_events (showtime_id, seq, data) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
		if _, err := tx.ExecContext(ctx, q, args[:3*n]...); err != nil {
			return err
		}
		args = args[3*n:]
	}
	if a.Snapshot == nil {
		return nil
	}
	return putSnapshot(ctx, tx, a.ShowtimeID, a.Snapshot)
}

// checkAppend asserts what the journal relies on: the events' Seqs (see
// boxoffice.ValidateSeatEvents), and a snapshot that has a state and
// belongs to the showtime.
func checkAppend(showtimeID string, events []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	if err := boxoffice.ValidateSeatEvents(showtimeID, events); err != nil {
		return err
	}
	if snap != nil && (snap.Seq == 0 || len(snap.State) == 0 ||
		(snap.ShowtimeID != "" && snap.ShowtimeID != showtimeID)) {
		return boxoffice.Errorf(boxoffice.EINVALID,
			"seat snapshot does not belong to showtime %s", showtimeID)
	}
	return nil
}

// eventArgs encodes events (boxoffice.AppendSeatEvent, stored as a BLOB)
// as the flat parameter list of a multi-row INSERT.
func eventArgs(showtimeID string, events []boxoffice.SeatEvent) []any {
	args := make([]any, 0, 3*len(events))
	for i := range events {
		args = append(args, showtimeID, events[i].Seq, boxoffice.AppendSeatEvent(nil, &events[i]))
	}
	return args
}

// putSnapshot stores snap and drops all but the latest snapshotsKept of the
// showtime. Events are kept: the journal is the history.
func putSnapshot(ctx context.Context, tx *sql.Tx, showtimeID string, snap *boxoffice.SeatSnapshot) error {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO seat_snapshots (showtime_id, seq, state) VALUES (?, ?, ?)`,
		showtimeID, snap.Seq, []byte(snap.State)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx,
		`DELETE FROM seat_snapshots WHERE showtime_id = ? AND seq < (
		   SELECT seq FROM seat_snapshots WHERE showtime_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
		showtimeID, showtimeID, snapshotsKept-1)
	return err
}
