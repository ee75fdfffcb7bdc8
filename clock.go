package boxoffice

import "time"

// Clock tells the time. Production code uses SystemClock; tests replace it
// with internal/clocktest's clock so that hold expiry can be tested without
// sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
