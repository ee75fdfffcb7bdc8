package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/boxoffice/boxoffice"
)

// A hall's rows are stored as JSON in the hall: they are always read and
// written with it, and never queried on their own.

const cinemaColumns = `id, name, city, created_at`

const hallColumns = `id, cinema_id, name, seat_rows`

func scanCinema(s scanner) (*boxoffice.Cinema, error) {
	var c boxoffice.Cinema
	var created int64
	if err := s.Scan(&c.ID, &c.Name, &c.City, &created); err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

func scanHall(s scanner) (*boxoffice.Hall, error) {
	var h boxoffice.Hall
	var rows string
	if err := s.Scan(&h.ID, &h.CinemaID, &h.Name, &rows); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(rows), &h.Rows); err != nil {
		return nil, err
	}
	return &h, nil
}

// CreateCinema stores c with its halls in one transaction. Each hall gets
// CinemaID c.ID. Returns ECONFLICT if an ID exists.
func (s *catalogStore) CreateCinema(ctx context.Context, c *boxoffice.Cinema) error {
	return s.db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO cinemas (`+cinemaColumns+`) VALUES (?, ?, ?, ?)`,
			c.ID, c.Name, c.City, micros(c.CreatedAt))
		if err != nil {
			return translate(err, "cinema "+c.ID)
		}
		for i, h := range c.Halls {
			rows, err := json.Marshal(h.Rows)
			if err != nil {
				return translate(err, "hall "+h.ID)
			}
			_, err = tx.ExecContext(ctx,
				`INSERT INTO halls (`+hallColumns+`, position) VALUES (?, ?, ?, ?, ?)`,
				h.ID, c.ID, h.Name, string(rows), i)
			if err != nil {
				return translate(err, "hall "+h.ID)
			}
		}
		return nil
	})
}

// Cinema returns the cinema with its halls in creation order. Returns
// ENOTFOUND.
func (s *catalogStore) Cinema(ctx context.Context, id string) (*boxoffice.Cinema, error) {
	c, err := scanCinema(s.db.db.QueryRowContext(ctx,
		`SELECT `+cinemaColumns+` FROM cinemas WHERE id = ?`, id))
	if err != nil {
		return nil, translate(err, "cinema "+id)
	}
	if err := s.loadHalls(ctx, []*boxoffice.Cinema{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// Cinemas lists cinemas with their halls by ID, which is creation order as
// IDs are time-ordered. The cursor is the last ID.
func (s *catalogStore) Cinemas(ctx context.Context, p boxoffice.Page) ([]*boxoffice.Cinema, string, error) {
	p = p.Normalize()
	after := ""
	if p.Cursor != "" {
		_, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = id
	}
	rows, err := s.db.db.QueryContext(ctx,
		`SELECT `+cinemaColumns+` FROM cinemas WHERE id > ? ORDER BY id LIMIT ?`, after, p.Limit+1)
	if err != nil {
		return nil, "", translate(err, "cinemas")
	}
	cinemas, err := collect(rows, scanCinema)
	if err != nil {
		return nil, "", translate(err, "cinemas")
	}
	cinemas, next := boxoffice.TrimPage(cinemas, p.Limit, func(c *boxoffice.Cinema) string {
		return encodeCursor("", c.ID)
	})
	if err := s.loadHalls(ctx, cinemas); err != nil {
		return nil, "", err
	}
	return cinemas, next, nil
}

// loadHalls loads the halls of cinemas with one query.
func (s *catalogStore) loadHalls(ctx context.Context, cinemas []*boxoffice.Cinema) error {
	if len(cinemas) == 0 {
		return nil
	}
	byID := make(map[string]*boxoffice.Cinema, len(cinemas))
	args := make([]any, 0, len(cinemas))
	for _, c := range cinemas {
		byID[c.ID] = c
		c.Halls = []boxoffice.Hall{}
		args = append(args, c.ID)
	}
	rows, err := s.db.db.QueryContext(ctx,
		`SELECT `+hallColumns+` FROM halls WHERE cinema_id IN (`+marks(len(args))+`)
		 ORDER BY cinema_id, position`, args...)
	if err != nil {
		return translate(err, "halls")
	}
	halls, err := collect(rows, scanHall)
	if err != nil {
		return translate(err, "halls")
	}
	for _, h := range halls {
		c := byID[h.CinemaID]
		c.Halls = append(c.Halls, *h)
	}
	return nil
}

// Hall returns ENOTFOUND.
func (s *catalogStore) Hall(ctx context.Context, id string) (*boxoffice.Hall, error) {
	h, err := scanHall(s.db.db.QueryRowContext(ctx,
		`SELECT `+hallColumns+` FROM halls WHERE id = ?`, id))
	return h, translate(err, "hall "+id)
}
