package boxoffice

import (
	"math"
	"strings"
	"time"
)

// Hold limits.
const (
	HoldSeatsMax   = 10
	HoldTTLDefault = 10 * time.Minute
	HoldTTLMax     = time.Hour
)

// HoldCaps bound what one user may keep from everyone else, so that one
// account (or a bot) cannot hold a whole showtime, or every showtime, and
// renew the holds forever. A zero field switches its cap off.
type HoldCaps struct {
	// SeatsPerShowtime is how many seats one user may hold at once in one
	// showtime, over all of the user's holds there.
	SeatsPerShowtime int
	// HoldsPerUser is how many open holds one user may have at once across
	// showtimes. The seat map cannot see other showtimes: the node counts
	// them and checks with CheckOpenHolds.
	HoldsPerUser int
	// Cooldown is how long a user who released a hold, or let it lapse,
	// may not hold those seats again, so that releasing and re-holding
	// does not renew a hold for ever.
	Cooldown time.Duration
}

// Default hold caps. Ten seats is a large party and the most one hold may
// name anyway; four open holds let a user compare showtimes. Thirty
// seconds of cool-down is long enough for others to see the seats free on
// the live feed and take them, and short enough for a user who released
// by mistake.
const (
	HoldSeatsPerShowtimeDefault = HoldSeatsMax
	HoldsPerUserDefault         = 4
	HoldCooldownDefault         = 30 * time.Second
)

// DefaultHoldCaps returns the caps a node applies unless told otherwise.
func DefaultHoldCaps() HoldCaps {
	return HoldCaps{SeatsPerShowtime: HoldSeatsPerShowtimeDefault, HoldsPerUser: HoldsPerUserDefault, Cooldown: HoldCooldownDefault}
}

// Reasons in the details of a hold refused by a cap (details["reason"]).
const (
	ReasonSeatCap  = "seat_cap" // ECONFLICT: too many seats held in this showtime
	ReasonHoldCap  = "hold_cap" // ECONFLICT: too many open holds across showtimes
	ReasonCooldown = "cooldown" // ETOOMANYREQUESTS: seats just released by the same user
)

// CheckOpenHolds refuses a new hold to a user who has open holds already,
// with max 0 meaning no cap. The caller counts the user's open holds.
func CheckOpenHolds(open, max int) error {
	if max <= 0 || open < max {
		return nil
	}
	return Errorf(ECONFLICT, "at most %d open holds per user: book or release one first", max).
		WithDetail("reason", ReasonHoldCap).WithDetail("limit", max)
}

// RetryAfterSeconds is a wait rounded up to whole seconds (at least one),
// as a Retry-After header states it.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

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
