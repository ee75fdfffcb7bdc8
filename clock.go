package boxoffice

import (
	"sync/atomic"
	"time"
)

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

// OffsetClock is another clock moved by an offset that may change while it
// runs: a node started with a debug clock uses it so that a fault test can
// jump the node's time forward or back (as an NTP step or a resumed
// virtual machine would) without touching the machine's clock. Safe for
// concurrent use.
type OffsetClock struct {
	base   Clock
	offset atomic.Int64 // nanoseconds
}

// NewOffsetClock returns base moved by no offset; a nil base is the
// SystemClock.
func NewOffsetClock(base Clock) *OffsetClock {
	if base == nil {
		base = SystemClock{}
	}
	return &OffsetClock{base: base}
}

// Now returns the base clock's time plus the offset.
func (c *OffsetClock) Now() time.Time { return c.base.Now().Add(c.Offset()) }

// Offset returns the current offset.
func (c *OffsetClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }

// SetOffset replaces the offset (it is absolute, not added to the last one).
func (c *OffsetClock) SetOffset(d time.Duration) { c.offset.Store(int64(d)) }
