package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

// eventStore is boxoffice.EventStore on the bookings database: the outbox
// shares it with the bookings, which write their events in the statement
// that changes them (bookingStore.UpdateBooking).
type eventStore struct {
	db     *db
	settle time.Duration // boxoffice.EventSettle, or less in tests
}

var _ boxoffice.EventStore = (*eventStore)(nil)

// insertEvents is the statement part that inserts the events passed as
// five arrays (eventArgs) from placeholder $first on, in their order,
// skipping IDs already stored; where filters them (it may name a CTE).
func insertEvents(first int, where string) string {
	return fmt.Sprintf(`INSERT INTO events (id, type, subject, time, data)
		SELECT e.id, e.type, e.subject, e.time, e.data::jsonb
		FROM unnest($%d::text[], $%d::text[], $%d::text[], $%d::timestamptz[], $%d::text[])
			WITH ORDINALITY AS e(id, type, subject, time, data, n)
		%s
		ORDER BY e.n
		ON CONFLICT (id) DO NOTHING`, first, first+1, first+2, first+3, first+4, where)
}

// eventArgs are the five arrays of insertEvents.
func eventArgs(events []boxoffice.Event) []any {
	ids, types, subjects := make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
	times, data := make([]time.Time, len(events)), make([]string, len(events))
	for i, e := range events {
		ids[i], types[i], subjects[i], times[i] = e.ID, e.Type, e.Subject, e.Time.UTC()
		data[i] = string(e.Data)
		if data[i] == "" {
			data[i] = "{}"
		}
	}
	return []any{ids, types, subjects, times, data}
}

// AppendEvents stores the new events, in order, in one statement.
func (s *eventStore) AppendEvents(ctx context.Context, events []boxoffice.Event) error {
	if len(events) == 0 {
		return nil
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.exec(ctx, insertEvents(1, ""), eventArgs(events)...)
	return s.db.translate(err)
}

// Events lists events after the cursor in seq order, up to the first one
// stored less than the settle time ago by the server's clock (see
// boxoffice.EventSettle: transactions here commit in parallel).
func (s *eventStore) Events(ctx context.Context, after string, limit int) ([]boxoffice.Event, string, error) {
	seq, err := boxoffice.ParseEventCursor(after)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.pool.Query(ctx, `SELECT seq, id, type, subject, time, data::text,
			created_at >= clock_timestamp() - $3::interval AS fresh
		FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`,
		seq, boxoffice.ScanLimit(limit), s.settle)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	next := after
	var out []boxoffice.Event
	for rows.Next() {
		var e boxoffice.Event
		var at int64
		var data string
		var fresh bool
		if err := rows.Scan(&at, &e.ID, &e.Type, &e.Subject, &e.Time, &data, &fresh); err != nil {
			rows.Close()
			return nil, "", s.db.translate(err)
		}
		if fresh {
			break
		}
		e.Time, e.Data = e.Time.UTC(), []byte(data)
		out, next = append(out, e), boxoffice.EventCursor(at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", s.db.translate(err)
	}
	return out, next, nil
}

// DeleteEventsBefore deletes the oldest events stored before before.
func (s *eventStore) DeleteEventsBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM events WHERE seq IN (
		SELECT seq FROM events WHERE created_at < $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		before, boxoffice.ScanLimit(limit))
	return int(tag.RowsAffected()), s.db.translate(err)
}
