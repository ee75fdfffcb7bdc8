package boxoffice

import (
	"context"
	"regexp"
	"time"
)

// Showtime statuses.
const (
	ShowtimeScheduled = "scheduled"
	ShowtimeCancelled = "cancelled"
)

// Showtime is one screening of a movie in a hall, with a price per seat
// category.
type Showtime struct {
	ID        string           `json:"id"`
	MovieID   string           `json:"movie_id"`
	CinemaID  string           `json:"cinema_id"`
	HallID    string           `json:"hall_id"`
	StartsAt  time.Time        `json:"starts_at"`
	Prices    map[string]int64 `json:"prices"`
	Currency  string           `json:"currency"`
	Status    string           `json:"status"`
	CreatedAt time.Time        `json:"created_at"`
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// PriceCentsMax bounds a seat price (100,000.00) so totals never overflow.
const PriceCentsMax = 10_000_000

// Validate checks a new showtime against its hall: every category of the
// hall needs a price, and prices are within bounds.
func (s *Showtime) Validate(hall *Hall, now time.Time) error {
	switch {
	case s.MovieID == "":
		return Errorf(EINVALID, "movie_id is required")
	case s.HallID == "":
		return Errorf(EINVALID, "hall_id is required")
	case s.StartsAt.IsZero():
		return Errorf(EINVALID, "starts_at is required (RFC 3339)")
	case !s.StartsAt.After(now):
		return Errorf(EINVALID, "starts_at must be in the future")
	case !currencyRE.MatchString(s.Currency):
		return Errorf(EINVALID, "currency must be a 3-letter ISO code such as EUR")
	}
	for _, c := range hall.Categories() {
		p, ok := s.Prices[c]
		if !ok {
			return Errorf(EINVALID, "prices: category %q of the hall has no price", c)
		}
		if p < 0 || p > PriceCentsMax {
			return Errorf(EINVALID, "prices: %q must be between 0 and %d", c, PriceCentsMax)
		}
	}
	for c := range s.Prices {
		if len(c) > CategoryLenMax {
			return Errorf(EINVALID, "prices: category name too long")
		}
	}
	return nil
}

// Started reports whether the showtime has begun at now: no more holds,
// bookings or cancellations.
func (s *Showtime) Started(now time.Time) bool { return !now.Before(s.StartsAt) }

// ShowtimeFilter selects showtimes; zero fields match everything.
type ShowtimeFilter struct {
	MovieID  string
	CinemaID string
	From, To time.Time
	Page     Page
}

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
	// CancelShowtime sets the status to cancelled (idempotent). Returns ENOTFOUND.
	CancelShowtime(ctx context.Context, id string) (*Showtime, error)
}
