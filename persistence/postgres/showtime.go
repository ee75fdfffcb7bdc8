package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

const showtimeColumns = `id, movie_id, cinema_id, hall_id, starts_at, prices, currency, status, created_at`

func scanShowtime(row pgx.Row) (*boxoffice.Showtime, error) {
	var st boxoffice.Showtime
	var prices []byte
	err := row.Scan(&st.ID, &st.MovieID, &st.CinemaID, &st.HallID, &st.StartsAt, &prices,
		&st.Currency, &st.Status, &st.CreatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(prices, &st.Prices); err != nil {
		return nil, err
	}
	st.StartsAt, st.CreatedAt = st.StartsAt.UTC(), st.CreatedAt.UTC()
	return &st, nil
}

// CreateShowtime holds the movie row FOR SHARE while it inserts, so that it
// and a concurrent DeleteMovie are decided one after the other: either the
// delete sees this showtime, or this finds the movie gone (ENOTFOUND).
func (s *catalogStore) CreateShowtime(ctx context.Context, st *boxoffice.Showtime) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	prices := st.Prices
	if prices == nil {
		prices = map[string]int64{}
	}
	pricesJSON, err := json.Marshal(prices)
	if err != nil {
		return err
	}
	status := st.Status
	if status == "" {
		status = boxoffice.ShowtimeScheduled
	}
	err = pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		if err := lockMovie(ctx, tx, st.MovieID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO showtimes (`+showtimeColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			st.ID, st.MovieID, st.CinemaID, st.HallID, st.StartsAt, pricesJSON, st.Currency, status, st.CreatedAt)
		return err
	})
	if isUnique(err, "") {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "showtime %q already exists", st.ID)
	}
	return s.db.translate(err)
}

func (s *catalogStore) Showtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	st, err := scanShowtime(s.db.pool.QueryRow(ctx, `SELECT `+showtimeColumns+` FROM showtimes WHERE id = $1`, id))
	return st, s.db.notFound(err, "showtime %q not found", id)
}

// Showtimes pages by (starts_at, id). From is inclusive and To exclusive,
// so that consecutive windows neither overlap nor leave gaps. Only the
// filters that are set go into the SQL, so that each shape of query gets a
// plan that uses its index.
func (s *catalogStore) Showtimes(ctx context.Context, f boxoffice.ShowtimeFilter) ([]*boxoffice.Showtime, string, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	p := f.Page.Normalize()
	afterAt, afterID, ok, err := timeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.MovieID != "" {
		where = append(where, `movie_id = `+arg(f.MovieID))
	}
	if f.CinemaID != "" {
		where = append(where, `cinema_id = `+arg(f.CinemaID))
	}
	if !f.From.IsZero() {
		where = append(where, `starts_at >= `+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, `starts_at < `+arg(f.To))
	}
	if ok {
		where = append(where, `(starts_at, id) > (`+arg(afterAt)+`, `+arg(afterID)+`)`)
	}
	sql := `SELECT ` + showtimeColumns + ` FROM showtimes` + whereClause(where) +
		` ORDER BY starts_at, id LIMIT ` + arg(p.Limit+1)
	rows, err := s.db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Showtime, error) { return scanShowtime(r) })
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	list, next := boxoffice.TrimPage(list, p.Limit, func(st *boxoffice.Showtime) string {
		return encodeCursor(timeKey(st.StartsAt), st.ID)
	})
	return list, next, nil
}

func (s *catalogStore) CancelShowtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	st, err := scanShowtime(s.db.pool.QueryRow(ctx,
		`UPDATE showtimes SET status = $2 WHERE id = $1 RETURNING `+showtimeColumns,
		id, boxoffice.ShowtimeCancelled))
	return st, s.db.notFound(err, "showtime %q not found", id)
}

// StartCancelShowtime marks the showtime cancelling unless it is cancelled
// already, and returns it.
func (s *catalogStore) StartCancelShowtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	st, err := scanShowtime(s.db.pool.QueryRow(ctx,
		`UPDATE showtimes SET status = CASE WHEN status = $3 THEN status ELSE $2 END WHERE id = $1 RETURNING `+showtimeColumns,
		id, boxoffice.ShowtimeCancelling, boxoffice.ShowtimeCancelled))
	return st, s.db.notFound(err, "showtime %q not found", id)
}

// CancellingShowtimes reads the partial index showtimes_cancelling.
func (s *catalogStore) CancellingShowtimes(ctx context.Context, limit int) ([]string, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.pool.Query(ctx, `SELECT id FROM showtimes WHERE status = $1 ORDER BY id LIMIT $2`,
		boxoffice.ShowtimeCancelling, limit)
	if err != nil {
		return nil, s.db.translate(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, s.db.translate(err)
}
