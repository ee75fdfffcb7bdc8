package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// catalogStore keeps movies, cinemas with halls, and showtimes in
// catalog.db. Its methods live in movie.go, cinema.go and showtime.go.
type catalogStore struct{ db *db }

var _ boxoffice.CatalogStore = (*catalogStore)(nil)

const movieColumns = `id, title, description, genres, duration_minutes, rating, release_date, created_at`

func scanMovie(s scanner) (*boxoffice.Movie, error) {
	var m boxoffice.Movie
	var genres string
	var created int64
	if err := s.Scan(&m.ID, &m.Title, &m.Description, &genres, &m.DurationMinutes,
		&m.Rating, &m.ReleaseDate, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(genres), &m.Genres); err != nil {
		return nil, err
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}

// foldTitle is the form in which titles are searched: lowercased in Go,
// because SQLite's lower() folds ASCII only.
func foldTitle(s string) string { return strings.ToLower(s) }

// CreateMovie stores m. Returns ECONFLICT if the ID exists.
func (s *catalogStore) CreateMovie(ctx context.Context, m *boxoffice.Movie) error {
	genres, err := json.Marshal(m.Genres)
	if err != nil {
		return translate(err, "movie "+m.ID)
	}
	_, err = s.db.db.ExecContext(ctx,
		`INSERT INTO movies (`+movieColumns+`, title_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Title, m.Description, string(genres), m.DurationMinutes, m.Rating,
		m.ReleaseDate, micros(m.CreatedAt), foldTitle(m.Title))
	return translate(err, "movie "+m.ID)
}

// Movie returns ENOTFOUND.
func (s *catalogStore) Movie(ctx context.Context, id string) (*boxoffice.Movie, error) {
	m, err := scanMovie(s.db.db.QueryRowContext(ctx,
		`SELECT `+movieColumns+` FROM movies WHERE id = ?`, id))
	return m, translate(err, "movie "+id)
}

// Movies lists movies by title (then ID, so equal titles page stably).
// Query matches a case-insensitive substring of the title, Genre one genre
// exactly. The cursor is the last title and ID.
func (s *catalogStore) Movies(ctx context.Context, f boxoffice.MovieFilter) ([]*boxoffice.Movie, string, error) {
	p := f.Page.Normalize()
	var where []string
	var args []any
	if f.Query != "" {
		where = append(where, `instr(title_fold, ?) > 0`)
		args = append(args, foldTitle(f.Query))
	}
	if f.Genre != "" {
		where = append(where, `EXISTS (SELECT 1 FROM json_each(movies.genres) WHERE json_each.value = ?)`)
		args = append(args, f.Genre)
	}
	if p.Cursor != "" {
		title, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `(title, id) > (?, ?)`)
		args = append(args, title, id)
	}
	q := `SELECT ` + movieColumns + ` FROM movies` + whereClause(where) + ` ORDER BY title, id LIMIT ?`
	rows, err := s.db.db.QueryContext(ctx, q, append(args, p.Limit+1)...)
	if err != nil {
		return nil, "", translate(err, "movies")
	}
	movies, err := collect(rows, scanMovie)
	if err != nil {
		return nil, "", translate(err, "movies")
	}
	movies, next := boxoffice.TrimPage(movies, p.Limit, func(m *boxoffice.Movie) string {
		return encodeCursor(m.Title, m.ID)
	})
	return movies, next, nil
}

// UpdateMovie replaces the fields of an existing movie (not its ID or
// creation time). Returns ENOTFOUND.
func (s *catalogStore) UpdateMovie(ctx context.Context, m *boxoffice.Movie) error {
	genres, err := json.Marshal(m.Genres)
	if err != nil {
		return translate(err, "movie "+m.ID)
	}
	res, err := s.db.db.ExecContext(ctx,
		`UPDATE movies SET title = ?, title_fold = ?, description = ?, genres = ?,
		 duration_minutes = ?, rating = ?, release_date = ? WHERE id = ?`,
		m.Title, foldTitle(m.Title), m.Description, string(genres), m.DurationMinutes,
		m.Rating, m.ReleaseDate, m.ID)
	return notFoundIfNone(res, err, "movie "+m.ID)
}

// DeleteMovie returns ENOTFOUND, or ECONFLICT while the movie has scheduled
// or still cancelling showtimes starting after now. The check and the delete share a
// transaction so that no showtime can be scheduled in between.
func (s *catalogStore) DeleteMovie(ctx context.Context, id string, now time.Time) error {
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM movies WHERE id = ?`, id)
		if err := notFoundIfNone(res, err, "movie "+id); err != nil {
			return err
		}
		var busy bool
		err = tx.QueryRowContext(ctx,
			`SELECT EXISTS (SELECT 1 FROM showtimes WHERE movie_id = ? AND (status = ? OR status = ?) AND starts_at > ?)`,
			id, boxoffice.ShowtimeScheduled, boxoffice.ShowtimeCancelling, micros(now)).Scan(&busy)
		if err != nil {
			return translate(err, "movie "+id)
		}
		if busy {
			return boxoffice.Errorf(boxoffice.ECONFLICT,
				"movie %s has scheduled showtimes, or showtimes still cancelling: cancel them first", id)
		}
		return nil
	})
}

// whereClause joins conditions with AND.
func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(conds, ` AND `)
}

// collect scans every row and closes rows. Callers read a whole result
// before the next statement, because the pool's one connection is busy
// until rows are closed.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
