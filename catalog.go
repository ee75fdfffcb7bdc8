package boxoffice

import (
	"context"
	"time"
)

// CatalogStore keeps movies, cinemas with halls, and showtimes (the catalog
// service's database).
type CatalogStore interface {
	// CreateMovie stores m (ID, CreatedAt set by the caller).
	CreateMovie(ctx context.Context, m *Movie) error
	// Movie returns ENOTFOUND.
	Movie(ctx context.Context, id string) (*Movie, error)
	// Movies lists movies by title, paged by cursor.
	Movies(ctx context.Context, f MovieFilter) ([]*Movie, string, error)
	// UpdateMovie replaces the fields of an existing movie. Returns ENOTFOUND.
	UpdateMovie(ctx context.Context, m *Movie) error
	// DeleteMovie returns ENOTFOUND, or ECONFLICT while the movie has
	// scheduled showtimes starting after now.
	DeleteMovie(ctx context.Context, id string, now time.Time) error

	// CreateCinema stores c with its halls (all IDs set by the caller).
	CreateCinema(ctx context.Context, c *Cinema) error
	// Cinema returns the cinema with its halls. Returns ENOTFOUND.
	Cinema(ctx context.Context, id string) (*Cinema, error)
	// Cinemas lists cinemas with their halls, paged by cursor.
	Cinemas(ctx context.Context, p Page) ([]*Cinema, string, error)
	// Hall returns ENOTFOUND.
	Hall(ctx context.Context, id string) (*Hall, error)

	// CreateShowtime stores s. The caller has checked that movie and hall
	// exist and set CinemaID from the hall.
	CreateShowtime(ctx context.Context, s *Showtime) error
	// Showtime returns ENOTFOUND.
	Showtime(ctx context.Context, id string) (*Showtime, error)
	// Showtimes lists showtimes by start time, paged by cursor.
	Showtimes(ctx context.Context, f ShowtimeFilter) ([]*Showtime, string, error)
	// StartCancelShowtime sets the status to cancelling unless it is
	// cancelled already (idempotent), and returns the showtime. Returns
	// ENOTFOUND.
	StartCancelShowtime(ctx context.Context, id string) (*Showtime, error)
	// CancellingShowtimes lists the IDs of up to limit showtimes whose
	// cancellation began and has not finished (status cancelling), by ID.
	CancellingShowtimes(ctx context.Context, limit int) ([]string, error)
	// CancelShowtime sets the status to cancelled (idempotent). Returns ENOTFOUND.
	CancelShowtime(ctx context.Context, id string) (*Showtime, error)
}
