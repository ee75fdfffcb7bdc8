package actors_test

import (
	"maps"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

// A confirmed booking makes the durable steps its recovery needs and no
// others (see the table in booking_saga.go): the booking inserted pending,
// the payment inserted once the gateway answered, the notification
// enqueued, the booking saved confirmed. The new booking, its payment and
// its showtime in the catalog are never read. Counted by wrapping the
// stores.
func TestBookingDurableSteps(t *testing.T) {
	steps := newBkSteps()
	env := MustOpenBookingEngine(t, BookingOptions{Stores: steps.wrap(MustOpenStores(t))})
	for i, key := range []string{"", "k1"} { // with an Idempotency-Key too
		seat := []string{"A1", "A2"}[i]
		h := env.Hold(t, "u1", seat)
		steps.take()
		b, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, key)
		if err != nil || b.Status != boxoffice.BookingConfirmed {
			t.Fatalf("book %s: %+v, %v", seat, b, err)
		}
		want := map[string]int{"CreateBooking": 1, "CreatePayment": 1, "EnqueueNotification": 1, "UpdateBooking": 1}
		if got := steps.take(); !maps.Equal(got, want) {
			t.Fatalf("key %q: store calls %v, want %v", key, got, want)
		}
	}
	env.MustBalance(t)
}

// A store that fails at a step of the saga leaves the booking pending
// (503, outcome unknown) and recovery finishes it: confirmed, paid once,
// notified once, its seat booked. A booking that could not be recorded
// charges nothing and leaves the hold free to book at once.
func TestBookingStoreFailsAtStep(t *testing.T) {
	steps := newBkSteps()
	clock := clocktest.New(time.Now())
	env := MustOpenBookingEngine(t, BookingOptions{Clock: clock, Stores: steps.wrap(MustOpenStores(t))})
	tests := []struct {
		name, fail, user, seat string
	}{
		{"payment not recorded after the charge", "CreatePayment", "u1", "A1"},
		{"notification not enqueued", "EnqueueNotification", "u2", "A2"},
		{"booking not saved confirmed", "UpdateBooking", "u3", "A3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := env.Hold(t, tc.user, tc.seat)
			steps.failNext(tc.fail, 1)
			_, err := env.Book(t, tc.user, h.ID, cardgateway.TokenVisa, "")
			bkWantCode(t, err, boxoffice.EUNAVAILABLE)
			list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: tc.user}, boxoffice.Page{})
			if len(list) != 1 || list[0].Status != boxoffice.BookingPending {
				t.Fatalf("bookings = %+v, want one pending", list)
			}
			clock.Advance(time.Minute) // stale for recovery; the hold is still live
			if _, err := env.Engine.Recover(bkCtx(t)); err != nil {
				t.Fatal(err)
			}
			b := env.Stored(t, list[0].ID)
			p, err := env.Stores.Payments.PaymentByBooking(bkCtx(t), b.ID)
			if b.Status != boxoffice.BookingConfirmed || err != nil || p.Status != boxoffice.PaymentCaptured ||
				b.Payment == nil || *b.Payment != (boxoffice.PaymentSummary{ID: p.ID, Status: p.Status}) {
				t.Fatalf("after recovery: booking %+v, payment %+v (%v)", b, p, err)
			}
			if env.Seats(t)[tc.seat] != boxoffice.SeatBooked {
				t.Fatalf("seat %s is not booked", tc.seat)
			}
			if ns := env.Notes(t, tc.user); len(ns) != 1 || !bkHasNote(ns, boxoffice.NotifyBookingConfirmed, b.ID) {
				t.Fatalf("notifications = %+v, want one confirmation", ns)
			}
			env.MustBalance(t)
		})
	}

	t.Run("booking not recorded", func(t *testing.T) {
		h := env.Hold(t, "u4", "A4")
		steps.failNext("CreateBooking", 1)
		_, err := env.Book(t, "u4", h.ID, cardgateway.TokenVisa, "")
		bkWantCode(t, err, boxoffice.EUNAVAILABLE)
		_, _, before := env.Gateway.Totals()
		list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u4"}, boxoffice.Page{})
		if len(list) != 0 {
			t.Fatalf("bookings = %+v, want none", list)
		}
		b, err := env.Book(t, "u4", h.ID, cardgateway.TokenVisa, "") // not refused as hold_claimed
		if err != nil || b.Status != boxoffice.BookingConfirmed {
			t.Fatalf("booking the hold again: %+v, %v", b, err)
		}
		if _, _, after := env.Gateway.Totals(); after != before+1 {
			t.Fatalf("%d charges, want 1", after-before)
		}
		env.MustBalance(t)
	})
}

// The showtime grain refuses a booking of a showtime that has started or
// is closed (cancelled there, even before the catalog says so), before any
// money moves and without a read of the catalog.
func TestBookingShowtimeNotBookable(t *testing.T) {
	steps := newBkSteps()
	clock := clocktest.New(time.Now())
	stores := steps.wrap(MustOpenStores(t))
	soon := bkCreateShowtime(t, stores, clock.Now().Add(5*time.Minute))
	env := MustOpenBookingEngine(t, BookingOptions{Clock: clock, Stores: stores, ShowtimeID: soon})

	t.Run("ErrConflict once the showtime started", func(t *testing.T) {
		h := env.Hold(t, "u1", "A1")
		clock.Advance(6 * time.Minute) // the hold lives 10 minutes
		steps.take()
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "")
		bkWantCode(t, err, boxoffice.ECONFLICT)
		if got := steps.take(); got["Showtime"] != 0 || got["CreateBooking"] != 0 {
			t.Fatalf("store calls %v: want no catalog read and no booking", got)
		}
	})

	t.Run("refused once the showtime grain is closed", func(t *testing.T) {
		later := bkCreateShowtime(t, stores, clock.Now().Add(48*time.Hour))
		h, err := env.Engine.Showtimes().Hold(bkCtx(t), later, "u2", []string{"A2"})
		if err != nil {
			t.Fatal(err)
		}
		// Closed in the grain only: a cancellation that stopped before it
		// marked the catalog.
		if err := env.Engine.Showtimes().CancelShowtime(bkCtx(t), later); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Book(t, "u2", h.ID, cardgateway.TokenVisa, ""); err == nil {
			t.Fatal("a booking of a closed showtime went through")
		}
	})

	if _, _, charges := env.Gateway.Totals(); charges != 0 {
		t.Fatalf("%d charges, want none", charges)
	}
	for _, u := range []string{"u1", "u2"} {
		if list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: u}, boxoffice.Page{}); len(list) != 0 {
			t.Fatalf("%s has bookings %+v", u, list)
		}
	}
}

// A retry of a failed booking under its Idempotency-Key answers the
// failure again and leaves the hold unclaimed: another card pays for it
// at once, not refused as hold_claimed.
func TestBookingRetryOfFailureFreesTheHold(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	h := env.Hold(t, "u1", "A1")
	for range 2 {
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenDecline, "k-decline")
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
	}
	b, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "k-visa")
	if err != nil || b.Status != boxoffice.BookingConfirmed {
		t.Fatalf("another card: %+v, %v", b, err)
	}
	env.MustBalance(t)
}
