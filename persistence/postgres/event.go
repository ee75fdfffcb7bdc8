package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

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

// claimLock is the advisory lock key of ClaimEvents: one claim at a time
// on the database, so that two nodes claiming at once neither take the
// same events (a row claimed by the other would pass FOR UPDATE's recheck
// of published_at alone) nor split the backlog between them (SKIP LOCKED
// alone would let them).
const claimLock = 0x626f78657674 // "boxevt"

// ClaimEvents takes the oldest unpublished events when no claim on them
// lasts. It runs in a transaction of its own: the advisory lock first (a
// claimer that does not get it takes nothing: another claims now), then
// the claim, whose snapshot is taken after the lock and so sees the claim
// of whoever held it before.
func (s *eventStore) ClaimEvents(ctx context.Context, now, until time.Time, limit int) ([]boxoffice.Event, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	type row struct {
		seq int64
		e   boxoffice.Event
	}
	var got []row
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		var turn bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(claimLock)).Scan(&turn); err != nil || !turn {
			return err
		}
		rows, err := tx.Query(ctx, `UPDATE events SET claimed_until = $2 WHERE seq IN (
				SELECT seq FROM events
				WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until <= $1)
				AND NOT EXISTS (SELECT 1 FROM events c WHERE c.published_at IS NULL AND c.claimed_until > $1)
				ORDER BY seq LIMIT $3
				FOR UPDATE SKIP LOCKED)
			RETURNING seq, id, type, subject, time, data::text`,
			now, until, boxoffice.ScanLimit(limit))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r row
			var data string
			if err := rows.Scan(&r.seq, &r.e.ID, &r.e.Type, &r.e.Subject, &r.e.Time, &data); err != nil {
				return err
			}
			r.e.Time, r.e.Data = r.e.Time.UTC(), []byte(data)
			got = append(got, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.db.translate(err)
	}
	slices.SortFunc(got, func(a, b row) int { return cmp.Compare(a.seq, b.seq) }) // RETURNING keeps no order
	out := make([]boxoffice.Event, len(got))
	for i, r := range got {
		out[i] = r.e
	}
	return out, nil
}

// MarkPublished sets published_at and ends the claim of the events.
func (s *eventStore) MarkPublished(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.pool.Exec(ctx, `UPDATE events SET published_at = $2, claimed_until = NULL WHERE id = ANY($1)`, ids, at)
	return s.db.translate(err)
}

// EventBacklog reads the partial index of unpublished events.
func (s *eventStore) EventBacklog(ctx context.Context) (int, time.Time, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var n int
	var oldest *time.Time
	err := s.db.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM events WHERE published_at IS NULL`).Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, time.Time{}, s.db.translate(err)
	}
	return n, oldest.UTC(), nil
}
