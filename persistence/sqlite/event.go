package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

// eventStore is boxoffice.EventStore on the bookings file: the outbox
// shares it with the bookings, which write their events in the transaction
// that changes them (bookingStore.UpdateBooking).
type eventStore struct{ db *db }

var _ boxoffice.EventStore = (*eventStore)(nil)

// insertEvents stores the new events in order inside tx. The file has one
// writer, so seq follows the order of the commits: a reader never sees an
// event before an earlier-numbered one.
func insertEvents(ctx context.Context, tx *sql.Tx, events []boxoffice.Event) error {
	now := micros(time.Now())
	for _, e := range events {
		data := string(e.Data)
		if data == "" {
			data = "{}"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, type, subject, time, data, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			e.ID, e.Type, e.Subject, micros(e.Time), data, now); err != nil {
			return err
		}
	}
	return nil
}

// AppendEvents stores the new events, in order, in one transaction.
func (s *eventStore) AppendEvents(ctx context.Context, events []boxoffice.Event) error {
	if len(events) == 0 {
		return nil
	}
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		// Once its turn has come the transaction runs to the end (withTx).
		return insertEvents(context.WithoutCancel(ctx), tx, events)
	})
	return translate(err, "events")
}

// Events lists the events after the cursor in seq order.
func (s *eventStore) Events(ctx context.Context, after string, limit int) ([]boxoffice.Event, string, error) {
	seq, err := boxoffice.ParseEventCursor(after)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.db.QueryContext(ctx, `SELECT seq, id, type, subject, time, data
		FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, seq, boxoffice.ScanLimit(limit))
	if err != nil {
		return nil, "", translate(err, "events")
	}
	defer rows.Close()
	next := after
	var out []boxoffice.Event
	for rows.Next() {
		var e boxoffice.Event
		var at, t int64
		var data string
		if err := rows.Scan(&at, &e.ID, &e.Type, &e.Subject, &t, &data); err != nil {
			return nil, "", translate(err, "events")
		}
		e.Time, e.Data = fromMicros(t), []byte(data)
		out, next = append(out, e), boxoffice.EventCursor(at)
	}
	if err := rows.Err(); err != nil {
		return nil, "", translate(err, "events")
	}
	return out, next, nil
}

// DeleteEventsBefore deletes the oldest events stored before before.
func (s *eventStore) DeleteEventsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := s.db.db.ExecContext(ctx, `DELETE FROM events WHERE seq IN (
		SELECT seq FROM events WHERE created_at < ? ORDER BY seq LIMIT ?)`,
		micros(before), boxoffice.ScanLimit(limit))
	return deleted(res, err, "events")
}

// ClaimEvents takes the oldest unpublished events when no claim on them
// lasts: a transaction of the file's group commit, and the file has one
// writer, so claims take turns by themselves.
func (s *eventStore) ClaimEvents(ctx context.Context, now, until time.Time, limit int) ([]boxoffice.Event, error) {
	var out []boxoffice.Event
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		// Once its turn has come the transaction runs to the end (withTx).
		ctx := context.WithoutCancel(ctx)
		out = nil
		rows, err := tx.QueryContext(ctx, `UPDATE events SET claimed_until = ?
			WHERE seq IN (
				SELECT seq FROM events WHERE published_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM events c WHERE c.published_at IS NULL AND c.claimed_until > ?)
				ORDER BY seq LIMIT ?)
			RETURNING seq, id, type, subject, time, data`,
			micros(until), micros(now), boxoffice.ScanLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		seqs := map[string]int64{}
		for rows.Next() {
			var e boxoffice.Event
			var seq, t int64
			var data string
			if err := rows.Scan(&seq, &e.ID, &e.Type, &e.Subject, &t, &data); err != nil {
				return err
			}
			e.Time, e.Data = fromMicros(t), []byte(data)
			seqs[e.ID] = seq
			out = append(out, e)
		}
		// RETURNING keeps no order.
		slices.SortFunc(out, func(a, b boxoffice.Event) int { return cmp.Compare(seqs[a.ID], seqs[b.ID]) })
		return rows.Err()
	})
	if err != nil {
		return nil, translate(err, "events")
	}
	return out, nil
}

// MarkPublished sets published_at and ends the claim of the events.
func (s *eventStore) MarkPublished(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.withTx(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx)
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE events SET published_at = ?, claimed_until = NULL WHERE id = ?`,
				micros(at), id); err != nil {
				return err
			}
		}
		return nil
	})
	return translate(err, "events")
}

// EventBacklog reads the partial index of unpublished events.
func (s *eventStore) EventBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := s.db.db.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM events WHERE published_at IS NULL`).Scan(&n, &oldest)
	if err != nil || !oldest.Valid {
		return n, time.Time{}, translate(err, "events")
	}
	return n, fromMicros(oldest.Int64), nil
}
