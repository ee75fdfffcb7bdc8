package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// catalogStore is boxoffice.CatalogStore on the catalog database: movies
// here, cinemas in cinema.go, showtimes in showtime.go.
type catalogStore struct{ db *db }

var _ boxoffice.CatalogStore = (*catalogStore)(nil)

// The release date is a date column; "" is NULL both ways.
const movieColumns = `id, title, description, genres, duration_minutes, rating,
	COALESCE(to_char(release_date, 'YYYY-MM-DD'), ''), created_at`

func scanMovie(row pgx.Row) (*boxoffice.Movie, error) {
	var m boxoffice.Movie
	err := row.Scan(&m.ID, &m.Title, &m.Description, &m.Genres, &m.DurationMinutes, &m.Rating,
		&m.ReleaseDate, &m.CreatedAt)
	if err != nil {
		return nil, err
	}
	m.Genres = orEmpty(m.Genres)
	m.CreatedAt = m.CreatedAt.UTC()
	return &m, nil
}

func (s *catalogStore) CreateMovie(ctx context.Context, m *boxoffice.Movie) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.pool.Exec(ctx,
		`INSERT INTO movies (id, title, description, genres, duration_minutes, rating, release_date, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, '')::date, $8)`,
		m.ID, m.Title, m.Description, orEmpty(m.Genres), m.DurationMinutes, m.Rating, m.ReleaseDate, m.CreatedAt)
	if isUnique(err, "") {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "movie %q already exists", m.ID)
	}
	return s.db.translate(err)
}

func (s *catalogStore) Movie(ctx context.Context, id string) (*boxoffice.Movie, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	m, err := scanMovie(s.db.pool.QueryRow(ctx, `SELECT `+movieColumns+` FROM movies WHERE id = $1`, id))
	return m, s.db.notFound(err, "movie %q not found", id)
}

// Movies pages by (title, id). The title search lowercases under the
// database's collation rather than the column's "C", which would only fold
// ASCII letters.
func (s *catalogStore) Movies(ctx context.Context, f boxoffice.MovieFilter) ([]*boxoffice.Movie, string, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	p := f.Page.Normalize()
	after, err := decodeCursor(p.Cursor, 2)
	if err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Query != "" {
		where = append(where, `strpos(lower(title COLLATE "default"), lower(`+arg(f.Query)+` COLLATE "default")) > 0`)
	}
	if f.Genre != "" {
		where = append(where, arg(f.Genre)+` = ANY(genres)`)
	}
	if after != nil {
		where = append(where, `(title, id) > (`+arg(after[0])+`, `+arg(after[1])+`)`)
	}
	sql := `SELECT ` + movieColumns + ` FROM movies` + whereClause(where) +
		` ORDER BY title, id LIMIT ` + arg(p.Limit+1)
	rows, err := s.db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	movies, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Movie, error) { return scanMovie(r) })
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	movies, next := boxoffice.TrimPage(movies, p.Limit, func(m *boxoffice.Movie) string { return encodeCursor(m.Title, m.ID) })
	return movies, next, nil
}

func (s *catalogStore) UpdateMovie(ctx context.Context, m *boxoffice.Movie) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	tag, err := s.db.pool.Exec(ctx,
		`UPDATE movies SET title = $2, description = $3, genres = $4, duration_minutes = $5,
		rating = $6, release_date = NULLIF($7, '')::date WHERE id = $1`,
		m.ID, m.Title, m.Description, orEmpty(m.Genres), m.DurationMinutes, m.Rating, m.ReleaseDate)
	if err != nil {
		return s.db.translate(err)
	}
	if tag.RowsAffected() == 0 {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "movie %q not found", m.ID)
	}
	return nil
}

// DeleteMovie locks the movie row first; CreateShowtime takes the same row
// FOR SHARE, so a showtime cannot be added between the check and the
// delete.
func (s *catalogStore) DeleteMovie(ctx context.Context, id string, now time.Time) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM movies WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if err != nil {
			return s.db.notFound(err, "movie %q not found", id)
		}
		var busy bool
		err = tx.QueryRow(ctx,
			`SELECT EXISTS (SELECT 1 FROM showtimes WHERE movie_id = $1 AND (status = $2 OR status = $3) AND starts_at > $4)`,
			id, boxoffice.ShowtimeScheduled, boxoffice.ShowtimeCancelling, now).Scan(&busy)
		if err != nil {
			return err
		}
		if busy {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "movie %q has scheduled showtimes, or showtimes still cancelling", id)
		}
		_, err = tx.Exec(ctx, `DELETE FROM movies WHERE id = $1`, id)
		return err
	})
	return s.db.translate(err)
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// lockMovie takes the movie row FOR SHARE inside a transaction that adds a
// showtime; see DeleteMovie.
func lockMovie(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM movies WHERE id = $1 FOR SHARE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "movie %q not found", id)
	}
	return err
}
