package actors_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// Cancelling a confirmed booking frees its seats, refunds it and tells the
// user; cancelling again answers the same; only the owner (or an admin)
// may, only a confirmed booking, and only before the showtime starts.
func TestBookingCancel(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	svc := env.Engine.Bookings()
	owner := boxoffice.Caller{UserID: "u1"}

	t.Run("seats free, payment refunded, user notified", func(t *testing.T) {
		b := env.MustBook(t, "u1", "A1", "A2")
		got, err := svc.CancelBooking(bkCtx(t), b.ID, owner)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != boxoffice.BookingCancelled || got.Payment.Status != boxoffice.PaymentRefunded || got.Payment.ID != b.Payment.ID {
			t.Fatalf("cancelled = %+v payment %+v", got, got.Payment)
		}
		if seats := env.Seats(t); seats["A1"] != boxoffice.SeatFree || seats["A2"] != boxoffice.SeatFree {
			t.Fatalf("seats A1 %s A2 %s, want free", seats["A1"], seats["A2"])
		}
		again, err := svc.CancelBooking(bkCtx(t), b.ID, owner)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("cancel twice:\n got %+v, %v\nwant %+v", again, err, got)
		}
		testwait.Until(t, 5*time.Second, "the cancellation delivered", func() bool {
			for _, n := range env.Notes(t, "u1") {
				if n.Kind == boxoffice.NotifyBookingCancelled && n.BookingID == b.ID {
					return n.DeliveredAt != nil && n.Channel == boxoffice.ChannelLog
				}
			}
			return false
		})
		env.MustBook(t, "u2", "A1") // the seat can be sold again
		env.MustBalance(t)
	})

	t.Run("ErrNotFound for someone else's booking", func(t *testing.T) {
		b := env.MustBook(t, "u1", "A3")
		_, err := svc.CancelBooking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "u2"})
		bkWantCode(t, err, boxoffice.ENOTFOUND)
		_, err = svc.CancelBooking(bkCtx(t), boxoffice.NewID(), owner)
		bkWantCode(t, err, boxoffice.ENOTFOUND)
		got, err := svc.CancelBooking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "ops", Admin: true})
		if err != nil || got.Status != boxoffice.BookingCancelled {
			t.Fatalf("admin cancel: %+v, %v", got, err)
		}
	})

	t.Run("ErrConflict for a failed booking", func(t *testing.T) {
		h := env.Hold(t, "u1", "A4")
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenDecline, "")
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
		list, _, _ := svc.Bookings(bkCtx(t), owner, boxoffice.Page{Limit: 1})
		_, err = svc.CancelBooking(bkCtx(t), list[0].ID, owner)
		bkWantCode(t, err, boxoffice.ECONFLICT)
	})

	t.Run("ErrConflict once the showtime started", func(t *testing.T) {
		b := env.MustBook(t, "u1", "B1")
		env.Clock.Advance(49 * time.Hour)
		_, err := svc.CancelBooking(bkCtx(t), b.ID, owner)
		bkWantCode(t, err, boxoffice.ECONFLICT)
		if got := env.Stored(t, b.ID); got.Status != boxoffice.BookingConfirmed {
			t.Fatalf("status = %s after a refused cancel", got.Status)
		}
	})
	env.MustBalance(t)
}

// Cancelling a showtime closes it to holds and cancels, refunds and
// notifies every confirmed booking; a retry is harmless.
func TestShowtimeCancelRefundsEveryone(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	svc := env.Engine.Bookings()
	b1 := env.MustBook(t, "u1", "A1", "A2")
	b2 := env.MustBook(t, "u2", "B1")
	b3 := env.MustBook(t, "u3", "A3")
	if _, err := svc.CancelBooking(bkCtx(t), b3.ID, boxoffice.Caller{UserID: "u3"}); err != nil {
		t.Fatal(err)
	}
	h := env.Hold(t, "u4", "A9")
	_, err := env.Book(t, "u4", h.ID, cardgateway.TokenDecline, "")
	bkWantCode(t, err, boxoffice.EUNPROCESSABLE)

	st, err := svc.CancelShowtime(bkCtx(t), env.ShowtimeID)
	if err != nil || st.Status != boxoffice.ShowtimeCancelled {
		t.Fatalf("cancel showtime: %+v, %v", st, err)
	}
	for _, b := range []*boxoffice.Booking{b1, b2} {
		got := env.Stored(t, b.ID)
		if got.Status != boxoffice.BookingCancelled || got.Payment.Status != boxoffice.PaymentRefunded {
			t.Fatalf("booking %s: %+v", b.ID, got)
		}
		ns := env.Notes(t, b.UserID)
		if len(ns) != 2 || !bkHasNote(ns, boxoffice.NotifyShowtimeCancelled, b.ID) {
			t.Fatalf("notifications of %s: %+v", b.UserID, ns)
		}
	}
	if ns := env.Notes(t, "u3"); len(ns) != 2 || !bkHasNote(ns, boxoffice.NotifyBookingCancelled, b3.ID) {
		t.Fatalf("u3 cancelled before the showtime was: %+v", ns)
	}
	if captured, refunded, _ := env.Gateway.Totals(); captured != refunded {
		t.Fatalf("captured %d, refunded %d", captured, refunded)
	}
	for id, s := range env.Seats(t) {
		if s != boxoffice.SeatFree {
			t.Fatalf("seat %s is %s", id, s)
		}
	}
	if _, err := svc.CancelShowtime(bkCtx(t), env.ShowtimeID); err != nil {
		t.Fatalf("retry: %v", err)
	}
	_, err = env.Engine.Showtimes().Hold(bkCtx(t), env.ShowtimeID, "u5", []string{"A5"})
	bkWantCode(t, err, boxoffice.ECONFLICT)
	_, err = svc.CancelShowtime(bkCtx(t), boxoffice.NewID())
	bkWantCode(t, err, boxoffice.ENOTFOUND)
	env.MustBalance(t)
}

// Cancelling a showtime pages through its bookings: with two bookings to a
// page, every one of five confirmed bookings is cancelled, refunded and
// notified, and a failed booking is left as it was.
func TestShowtimeCancelPagesThroughBookings(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	svc := env.Engine.Bookings()
	actors.SetShowtimeCancelPage(svc, 2)
	var booked []*boxoffice.Booking
	for i, seat := range []string{"A1", "A2", "A3", "B1", "B2"} {
		booked = append(booked, env.MustBook(t, fmt.Sprintf("u%d", i), seat))
	}
	h := env.Hold(t, "u9", "A9")
	_, err := env.Book(t, "u9", h.ID, cardgateway.TokenDecline, "")
	bkWantCode(t, err, boxoffice.EUNPROCESSABLE)

	if _, err := svc.CancelShowtime(bkCtx(t), env.ShowtimeID); err != nil {
		t.Fatalf("cancel showtime: %v", err)
	}
	for _, b := range booked {
		got := env.Stored(t, b.ID)
		if got.Status != boxoffice.BookingCancelled || got.Payment.Status != boxoffice.PaymentRefunded {
			t.Fatalf("booking %s: %+v", b.ID, got)
		}
		if !bkHasNote(env.Notes(t, b.UserID), boxoffice.NotifyShowtimeCancelled, b.ID) {
			t.Fatalf("booking %s: no showtime-cancelled notification", b.ID)
		}
	}
	list, _, err := svc.Bookings(bkCtx(t), boxoffice.Caller{UserID: "u9"}, boxoffice.Page{})
	if err != nil || len(list) != 1 || list[0].Status != boxoffice.BookingFailed {
		t.Fatalf("the failed booking: %+v, %v", list, err)
	}
	if captured, refunded, _ := env.Gateway.Totals(); captured != refunded {
		t.Fatalf("captured %d, refunded %d", captured, refunded)
	}
	env.MustBalance(t)
}
