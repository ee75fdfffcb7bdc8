package actors_test

import (
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
)

// An Idempotency-Key makes a retry safe: the same body gets the same
// booking and one charge, concurrent retries included; another body under
// the same key is refused.
func TestBookingIdempotency(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	svc := env.Engine.Bookings()

	t.Run("same key and body give the same booking", func(t *testing.T) {
		h := env.Hold(t, "u1", "A1")
		first, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "k1")
		if err != nil {
			t.Fatal(err)
		}
		again, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "k1")
		if err != nil || again.ID != first.ID || again.Status != boxoffice.BookingConfirmed || *again.Payment != *first.Payment {
			t.Fatalf("retry = %+v, %v; first %+v", again, err, first)
		}
		if _, _, charges := env.Gateway.Totals(); charges != 1 {
			t.Fatalf("%d charges, want 1", charges)
		}
	})

	t.Run("ErrConflict for another body", func(t *testing.T) {
		h := env.Hold(t, "u1", "A2")
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "k1")
		bkWantCode(t, err, boxoffice.ECONFLICT)
	})

	t.Run("the key is per user", func(t *testing.T) {
		h := env.Hold(t, "u2", "A3")
		b, err := svc.CreateBooking(bkCtx(t), boxoffice.CreateBookingRequest{UserID: "u2", HoldID: h.ID,
			PaymentMethod: boxoffice.PaymentMethodCard, PaymentToken: cardgateway.TokenVisa, IdempotencyKey: "k1", RequestHash: "x"})
		if err != nil || b.Status != boxoffice.BookingConfirmed {
			t.Fatalf("%+v, %v", b, err)
		}
	})

	t.Run("concurrent retries run one saga", func(t *testing.T) {
		h := env.Hold(t, "u3", "A4", "A5")
		_, _, before := env.Gateway.Totals()
		var wg sync.WaitGroup
		ids := make([]string, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := env.Book(t, "u3", h.ID, cardgateway.TokenVisa, "k-race")
				if err != nil {
					t.Errorf("try %d: %v", i, err)
					return
				}
				ids[i] = b.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("ids %v", ids)
			}
		}
		if _, _, after := env.Gateway.Totals(); after != before+1 {
			t.Fatalf("%d charges, want 1", after-before)
		}
	})

	env.MustBalance(t)
}

// Under an Idempotency-Key a failure is answered again as it was, and a
// key longer than the limit is refused.
func TestBookingIdempotencyFailures(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	svc := env.Engine.Bookings()

	t.Run("a decline is answered again", func(t *testing.T) {
		h := env.Hold(t, "u4", "A6")
		_, err := env.Book(t, "u4", h.ID, cardgateway.TokenDecline, "k-decline")
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
		_, err = env.Book(t, "u4", h.ID, cardgateway.TokenDecline, "k-decline")
		bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
		list, _, _ := svc.Bookings(bkCtx(t), boxoffice.Caller{UserID: "u4"}, boxoffice.Page{})
		if len(list) != 1 {
			t.Fatalf("%d bookings, want 1", len(list))
		}
	})

	t.Run("ErrInvalid for a key too long", func(t *testing.T) {
		h := env.Hold(t, "u5", "A7")
		long := make([]byte, boxoffice.IdempotencyKeyLenMax+1)
		for i := range long {
			long[i] = 'k'
		}
		_, err := env.Book(t, "u5", h.ID, cardgateway.TokenVisa, string(long))
		bkWantCode(t, err, boxoffice.EINVALID)
	})
	env.MustBalance(t)
}

// A gateway that takes the money but answers too late leaves the booking
// pending with an unknown outcome (503), never failed while money may have
// moved. A retry under the same key finishes it; without a key, recovery
// does, by asking the gateway again with the same payment key.
func TestBookingGatewayTimeout(t *testing.T) {
	bkNoLeaks(t)
	env := MustOpenBookingEngine(t, BookingOptions{ChargeTimeout: 300 * time.Millisecond})

	t.Run("retry with the same key", func(t *testing.T) {
		h := env.Hold(t, "u1", "B1")
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenTimeout, "k-slow")
		bkWantCode(t, err, boxoffice.EUNAVAILABLE)
		list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u1"}, boxoffice.Page{})
		if len(list) != 1 || list[0].Status != boxoffice.BookingPending {
			t.Fatalf("bookings = %+v", list)
		}
		// Nothing is stored before the gateway answers: the pending
		// booking is the trace, and the gateway holds the charge under
		// the booking's payment key.
		p, err := env.Stores.Payments.PaymentByBooking(bkCtx(t), list[0].ID)
		if boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			t.Fatalf("payment = %+v, %v; want none stored before the gateway answered", p, err)
		}
		if _, err := env.Gateway.Charge(bkCtx(t), boxoffice.ChargeRequest{Key: boxoffice.PaymentIDOf(list[0].ID)}); err != nil {
			t.Fatalf("the gateway has no charge under the booking's payment key: %v", err)
		}
		b, err := env.Book(t, "u1", h.ID, cardgateway.TokenTimeout, "k-slow")
		if err != nil || b.ID != list[0].ID || b.Status != boxoffice.BookingConfirmed {
			t.Fatalf("retry = %+v, %v", b, err)
		}
		env.MustBalance(t)
	})

	t.Run("recovery without the token", func(t *testing.T) {
		h := env.Hold(t, "u2", "B2")
		_, err := env.Book(t, "u2", h.ID, cardgateway.TokenTimeout, "")
		bkWantCode(t, err, boxoffice.EUNAVAILABLE)
		list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u2"}, boxoffice.Page{})
		if len(list) != 1 || list[0].Status != boxoffice.BookingPending {
			t.Fatalf("bookings = %+v", list)
		}
		if n, err := env.Engine.Recover(bkCtx(t)); err != nil || n != 0 {
			t.Fatalf("a fresh booking was resumed: %d, %v", n, err)
		}
		env.Clock.Advance(3 * time.Minute) // stale, and the hold is still live
		if n, err := env.Engine.Recover(bkCtx(t)); err != nil || n != 1 {
			t.Fatalf("resumed %d, %v; want 1", n, err)
		}
		if b := env.Stored(t, list[0].ID); b.Status != boxoffice.BookingConfirmed || b.Payment.Status != boxoffice.PaymentCaptured {
			t.Fatalf("after recovery: %+v", b)
		}
		env.MustBalance(t)
	})
}
