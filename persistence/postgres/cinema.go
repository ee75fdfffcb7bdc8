package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

const (
	cinemaColumns = `id, name, city, created_at`
	hallColumns   = `id, cinema_id, name, rows`
)

func scanCinema(row pgx.Row) (*boxoffice.Cinema, error) {
	c := boxoffice.Cinema{Halls: []boxoffice.Hall{}}
	if err := row.Scan(&c.ID, &c.Name, &c.City, &c.CreatedAt); err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return &c, nil
}

func scanHall(row pgx.Row) (boxoffice.Hall, error) {
	var h boxoffice.Hall
	var rows []byte
	if err := row.Scan(&h.ID, &h.CinemaID, &h.Name, &rows); err != nil {
		return h, err
	}
	return h, json.Unmarshal(rows, &h.Rows)
}

// CreateCinema stores the cinema and its halls in one transaction, the
// halls in one round trip.
func (s *catalogStore) CreateCinema(ctx context.Context, c *boxoffice.Cinema) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO cinemas (`+cinemaColumns+`) VALUES ($1, $2, $3, $4)`,
			c.ID, c.Name, c.City, c.CreatedAt)
		if err != nil {
			return err
		}
		batch := &pgx.Batch{}
		for i, h := range c.Halls {
			rows := h.Rows
			if rows == nil {
				rows = []boxoffice.Row{}
			}
			layout, err := json.Marshal(rows)
			if err != nil {
				return err
			}
			batch.Queue(`INSERT INTO halls (id, cinema_id, position, name, rows) VALUES ($1, $2, $3, $4, $5)`,
				h.ID, c.ID, i, h.Name, layout)
		}
		return tx.SendBatch(ctx, batch).Close()
	})
	if isUnique(err, "") {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "cinema %q or one of its halls already exists", c.ID)
	}
	return s.db.translate(err)
}

func (s *catalogStore) Cinema(ctx context.Context, id string) (*boxoffice.Cinema, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	c, err := scanCinema(s.db.pool.QueryRow(ctx, `SELECT `+cinemaColumns+` FROM cinemas WHERE id = $1`, id))
	if err != nil {
		return nil, s.db.notFound(err, "cinema %q not found", id)
	}
	if err := s.loadHalls(ctx, []*boxoffice.Cinema{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// Cinemas pages by ID (IDs are time-ordered: oldest first) and loads the
// halls of the whole page in one query.
func (s *catalogStore) Cinemas(ctx context.Context, p boxoffice.Page) ([]*boxoffice.Cinema, string, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	p = p.Normalize()
	after, err := decodeCursor(p.Cursor, 1)
	if err != nil {
		return nil, "", err
	}
	afterID := ""
	if after != nil {
		afterID = after[0]
	}
	rows, err := s.db.pool.Query(ctx,
		`SELECT `+cinemaColumns+` FROM cinemas WHERE id > $1 ORDER BY id LIMIT $2`, afterID, p.Limit+1)
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	cinemas, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*boxoffice.Cinema, error) { return scanCinema(r) })
	if err != nil {
		return nil, "", s.db.translate(err)
	}
	cinemas, next := boxoffice.TrimPage(cinemas, p.Limit, func(c *boxoffice.Cinema) string { return encodeCursor(c.ID) })
	if err := s.loadHalls(ctx, cinemas); err != nil {
		return nil, "", err
	}
	return cinemas, next, nil
}

func (s *catalogStore) loadHalls(ctx context.Context, cinemas []*boxoffice.Cinema) error {
	if len(cinemas) == 0 {
		return nil
	}
	byID := make(map[string]*boxoffice.Cinema, len(cinemas))
	ids := make([]string, len(cinemas))
	for i, c := range cinemas {
		byID[c.ID], ids[i] = c, c.ID
	}
	rows, err := s.db.pool.Query(ctx,
		`SELECT `+hallColumns+` FROM halls WHERE cinema_id = ANY($1) ORDER BY cinema_id, position`, ids)
	if err != nil {
		return s.db.translate(err)
	}
	halls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (boxoffice.Hall, error) { return scanHall(r) })
	if err != nil {
		return s.db.translate(err)
	}
	for _, h := range halls {
		c := byID[h.CinemaID]
		c.Halls = append(c.Halls, h)
	}
	return nil
}

func (s *catalogStore) Hall(ctx context.Context, id string) (*boxoffice.Hall, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	h, err := scanHall(s.db.pool.QueryRow(ctx, `SELECT `+hallColumns+` FROM halls WHERE id = $1`, id))
	if err != nil {
		return nil, s.db.notFound(err, "hall %q not found", id)
	}
	return &h, nil
}
