package boxoffice

import (
	"context"
	"regexp"
	"time"
)

// Showtime statuses.
const (
	ShowtimeScheduled = "scheduled"
	// ShowtimeCancelling: its cancellation has begun and its bookings are
	// being cancelled and refunded; it ends cancelled. The mark is durable
	// before anything is undone, so recovery finishes a cancellation that
	// a crash interrupted.
	ShowtimeCancelling = "cancelling"
	ShowtimeCancelled  = "cancelled"
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

// Cancelled reports whether the showtime is cancelled or its cancellation
// has begun: either way no new booking, and its bookings may be cancelled
// after it starts.
func (s *Showtime) Cancelled() bool {
	return s.Status == ShowtimeCancelled || s.Status == ShowtimeCancelling
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

// ShowtimeService decides holds and serves seat maps and their live feed:
// the showtime grains behind it.
type ShowtimeService interface {
	// Hold returns EINVALID, ENOTFOUND (no such showtime), ECONFLICT
	// (details["unavailable"]), EUNAVAILABLE.
	Hold(ctx context.Context, showtimeID, owner string, seats []string) (*Hold, error)
	// HoldByID returns the caller's live hold: ENOTFOUND, EGONE, EFORBIDDEN.
	HoldByID(ctx context.Context, holdID string, c Caller) (*Hold, error)
	// ReleaseHold returns ENOTFOUND, EGONE, EFORBIDDEN.
	ReleaseHold(ctx context.Context, holdID string, c Caller) error
	// SeatMap returns the public seat map: ENOTFOUND.
	SeatMap(ctx context.Context, showtimeID string) (*SeatMapView, error)
	// WatchSeats waits until the seat map is newer than sinceVersion (or
	// ctx ends, or a few seconds pass) and returns what changed. Reset is
	// set when all seats are returned instead of a delta.
	WatchSeats(ctx context.Context, showtimeID string, sinceVersion uint64) (*SeatChanges, error)
}
