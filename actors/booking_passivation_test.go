package actors_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// An idle booking grain leaves memory (its state is in the store), the
// node's grain count says so, and the next command activates it again.
func TestBookingPassivation(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{IdleTimeout: 200 * time.Millisecond})
	bookings := func() int { _, n := env.Engine.Grains(); return n }

	b := env.MustBook(t, "u1", "A1")
	if n := bookings(); n != 1 {
		t.Fatalf("%d booking grains live after one booking, want 1", n)
	}
	testwait.Until(t, 3*time.Second, "booking grain passivation", func() bool { return bookings() == 0 })

	got, err := env.Engine.Bookings().CancelBooking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "u1"})
	if err != nil || got.Status != boxoffice.BookingCancelled {
		t.Fatalf("cancel after passivation = %+v, %v", got, err)
	}
	testwait.Until(t, 3*time.Second, "passivation after the cancel", func() bool { return bookings() == 0 })
}
