package sqlite

import (
	"context"
	"database/sql"
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
