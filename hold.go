package boxoffice

import (
	"strings"
	"time"
)

// Hold limits.
const (
	HoldSeatsMax   = 10
	HoldTTLDefault = 10 * time.Minute
	HoldTTLMax     = time.Hour
)

// Hold is a set of seats kept for one user until ExpiresAt, waiting for
// payment.
type Hold struct {
	ID         string    `json:"hold_id"`
	ShowtimeID string    `json:"showtime_id"`
	Owner      string    `json:"-"`
	Seats      []string  `json:"seats"`
	ExpiresAt  time.Time `json:"expires_at"`
	TotalCents int64     `json:"total_cents"`
	Currency   string    `json:"currency"`
}

// holdIDSep separates the showtime ID from the random part of a hold ID.
// A hold ID names its showtime so that any node can route GET and DELETE
// /holds/{id} to the showtime grain without a lookup table.
const holdIDSep = "."

// NewHoldID returns a new hold ID for a showtime.
func NewHoldID(showtimeID string) string { return showtimeID + holdIDSep + NewID() }

// HoldShowtimeID returns the showtime of a hold ID, or ENOTFOUND if the ID
// is not one that NewHoldID makes.
func HoldShowtimeID(holdID string) (string, error) {
	st, rnd, ok := strings.Cut(holdID, holdIDSep)
	if !ok || !ValidID(st) || !ValidID(rnd) {
		return "", Errorf(ENOTFOUND, "hold %q not found", holdID)
	}
	return st, nil
}
