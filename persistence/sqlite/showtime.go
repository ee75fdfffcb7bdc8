package sqlite

import (
	"context"
	"encoding/json"

	"github.com/boxoffice/boxoffice"
)

const showtimeColumns = `id, movie_id, cinema_id, hall_id, starts_at, prices, currency, status, created_at`

func scanShowtime(s scanner) (*boxoffice.Showtime, error) {
	var st boxoffice.Showtime
	var starts, created int64
	var prices string
	if err := s.Scan(&st.ID, &st.MovieID, &st.CinemaID, &st.HallID, &starts, &prices,
		&st.Currency, &st.Status, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(prices), &st.Prices); err != nil {
		return nil, err
	}
	st.StartsAt = fromMicros(starts)
	st.CreatedAt = fromMicros(created)
	return &st, nil
}

// CreateShowtime stores st. Returns ECONFLICT if the ID exists, EINVALID if
// the hall does not.
func (s *catalogStore) CreateShowtime(ctx context.Context, st *boxoffice.Showtime) error {
	prices, err := json.Marshal(st.Prices)
	if err != nil {
		return translate(err, "showtime "+st.ID)
	}
	_, err = s.db.db.ExecContext(ctx,
		`INSERT INTO showtimes (`+showtimeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ID, st.MovieID, st.CinemaID, st.HallID, micros(st.StartsAt), string(prices),
		st.Currency, st.Status, micros(st.CreatedAt))
	return translate(err, "showtime "+st.ID)
}

// Showtime returns ENOTFOUND.
func (s *catalogStore) Showtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	st, err := scanShowtime(s.db.db.QueryRowContext(ctx,
		`SELECT `+showtimeColumns+` FROM showtimes WHERE id = ?`, id))
	return st, translate(err, "showtime "+id)
}

// Showtimes lists showtimes of every status by start time, then ID so that
// showtimes starting together page stably. From is inclusive, To exclusive.
// The cursor is the last start time and ID.
func (s *catalogStore) Showtimes(ctx context.Context, f boxoffice.ShowtimeFilter) ([]*boxoffice.Showtime, string, error) {
	p := f.Page.Normalize()
	var where []string
	var args []any
	if f.MovieID != "" {
		where = append(where, `movie_id = ?`)
		args = append(args, f.MovieID)
	}
	if f.CinemaID != "" {
		where = append(where, `cinema_id = ?`)
		args = append(args, f.CinemaID)
	}
	if !f.From.IsZero() {
		where = append(where, `starts_at >= ?`)
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `starts_at < ?`)
		args = append(args, micros(f.To))
	}
	if p.Cursor != "" {
		starts, id, err := decodeTimeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `(starts_at, id) > (?, ?)`)
		args = append(args, starts, id)
	}
	q := `SELECT ` + showtimeColumns + ` FROM showtimes` + whereClause(where) +
		` ORDER BY starts_at, id LIMIT ?`
	rows, err := s.db.db.QueryContext(ctx, q, append(args, p.Limit+1)...)
	if err != nil {
		return nil, "", translate(err, "showtimes")
	}
	showtimes, err := collect(rows, scanShowtime)
	if err != nil {
		return nil, "", translate(err, "showtimes")
	}
	showtimes, next := boxoffice.TrimPage(showtimes, p.Limit, func(st *boxoffice.Showtime) string {
		return encodeTimeCursor(micros(st.StartsAt), st.ID)
	})
	return showtimes, next, nil
}

// CancelShowtime sets the status to cancelled (idempotent) and returns the
// showtime. Returns ENOTFOUND.
func (s *catalogStore) CancelShowtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	st, err := scanShowtime(s.db.db.QueryRowContext(ctx,
		`UPDATE showtimes SET status = ? WHERE id = ? RETURNING `+showtimeColumns,
		boxoffice.ShowtimeCancelled, id))
	return st, translate(err, "showtime "+id)
}

// StartCancelShowtime marks the showtime cancelling unless it is cancelled
// already, and returns it. Returns ENOTFOUND.
func (s *catalogStore) StartCancelShowtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	st, err := scanShowtime(s.db.db.QueryRowContext(ctx,
		`UPDATE showtimes SET status = CASE WHEN status = ? THEN status ELSE ? END WHERE id = ? RETURNING `+showtimeColumns,
		boxoffice.ShowtimeCancelled, boxoffice.ShowtimeCancelling, id))
	return st, translate(err, "showtime "+id)
}

// CancellingShowtimes reads the partial index showtimes_cancelling.
func (s *catalogStore) CancellingShowtimes(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.db.db.QueryContext(ctx, `SELECT id FROM showtimes WHERE status = ? ORDER BY id LIMIT ?`,
		boxoffice.ShowtimeCancelling, limit)
	if err != nil {
		return nil, translate(err, "showtimes")
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err, "showtimes")
		}
		ids = append(ids, id)
	}
	return ids, translate(rows.Err(), "showtimes")
}
