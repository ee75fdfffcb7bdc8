package boxoffice_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

// TestOffsetClock proves the offset moves the base clock's time both ways,
// replaces rather than adds to the last one, and that the base keeps
// moving under it.
func TestOffsetClock(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	base := clocktest.New(t0)
	c := boxoffice.NewOffsetClock(base)
	if got := c.Now(); !got.Equal(t0) || c.Offset() != 0 {
		t.Fatalf("no offset: now %v offset %v, want %v and 0", got, c.Offset(), t0)
	}
	c.SetOffset(time.Hour)
	c.SetOffset(11 * time.Minute)
	if got := c.Now(); !got.Equal(t0.Add(11 * time.Minute)) {
		t.Fatalf("offset 11m after 1h: now %v, want %v (absolute, not added)", got, t0.Add(11*time.Minute))
	}
	base.Advance(time.Second)
	c.SetOffset(-2 * time.Hour)
	if got := c.Now(); !got.Equal(t0.Add(time.Second - 2*time.Hour)) {
		t.Fatalf("offset -2h: now %v, want %v", got, t0.Add(time.Second-2*time.Hour))
	}

	sys := boxoffice.NewOffsetClock(nil)
	sys.SetOffset(24 * time.Hour)
	if d := sys.Now().Sub(time.Now()); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("system clock plus 24h is %v ahead", d)
	}
}
