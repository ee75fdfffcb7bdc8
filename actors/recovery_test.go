package actors_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// bkCrash describes a booking as a crash left it: the booking row, its
// payment row (if any) and whether the gateway took the money.
type bkCrash struct {
	name        string
	user, seat  string
	payment     string // "" (none), pending or captured
	charged     bool   // the gateway captured it under the payment's key
	seatsBooked bool   // the showtime confirmed the seats
	// rowless: the gateway was asked under the booking's own payment key
	// (boxoffice.PaymentIDOf) and no payment row was stored, as the saga
	// leaves it between the charge and recording the answer; charged
	// says whether it took the money, else the card was declined.
	rowless  bool
	expired  bool   // the hold expired before the restart
	fresh    bool   // touched just now: recovery leaves it alone
	want     string // booking status after recovery
	wantPay  string // payment status after recovery ("" none)
	wantNote string // notification kind after recovery ("" none)
}

// Recovery finishes or compensates the bookings a crash interrupted, as
// told by the payment and the seats: a restarted node on the same stores
// ends each confirmed or failed (refunded when money moved) and the money
// balances. It also finishes an interrupted cancellation.
func TestBookingRecovery(t *testing.T) {
	bkNoLeaks(t)
	env := MustOpenBookingEngine(t, BookingOptions{})
	crashes := bkCrashes()
	holds := map[string]*boxoffice.Hold{}
	for _, c := range crashes { // the holds that expire first
		if c.expired {
			holds[c.name] = env.Hold(t, c.user, c.seat)
		}
	}
	env.Clock.Advance(6 * time.Minute)
	for _, c := range crashes {
		if !c.expired {
			holds[c.name] = env.Hold(t, c.user, c.seat)
		}
	}
	cancelling := env.MustBook(t, "u6", "B6")
	env.Clock.Advance(5 * time.Minute)
	ids := map[string]string{}
	for _, c := range crashes {
		ids[c.name] = bkCraft(t, env, c, holds[c.name])
	}
	cancelling.Status, cancelling.UpdatedAt = boxoffice.BookingCancelling, env.Clock.Now().Add(-time.Hour)
	if err := env.Stores.Bookings.UpdateBooking(bkCtx(t), cancelling); err != nil {
		t.Fatal(err)
	}

	env = env.Restart(t)
	testwait.Until(t, 10*time.Second, "recovery", func() bool {
		for _, c := range crashes {
			if env.Stored(t, ids[c.name]).Status != c.want {
				return false
			}
		}
		return env.Stored(t, cancelling.ID).Status == boxoffice.BookingCancelled
	})
	for _, c := range crashes {
		t.Run(c.name, func(t *testing.T) {
			b := env.Stored(t, ids[c.name])
			p, err := env.Stores.Payments.PaymentByBooking(bkCtx(t), b.ID)
			if c.wantPay == "" {
				bkWantCode(t, err, boxoffice.ENOTFOUND)
			} else if err != nil || p.Status != c.wantPay || b.Payment == nil || b.Payment.Status != c.wantPay {
				t.Fatalf("payment %+v (%v), booking says %+v; want %s", p, err, b.Payment, c.wantPay)
			}
			if c.wantNote != "" && !bkHasNote(env.Notes(t, c.user), c.wantNote, b.ID) {
				t.Fatalf("no %s notification: %+v", c.wantNote, env.Notes(t, c.user))
			}
			if want := boxoffice.SeatBooked; c.want != boxoffice.BookingConfirmed && env.Seats(t)[c.seat] == want {
				t.Fatalf("seat %s is booked for a %s booking", c.seat, c.want)
			}
		})
	}
	if env.Seats(t)["B6"] != boxoffice.SeatFree || !bkHasNote(env.Notes(t, "u6"), boxoffice.NotifyBookingCancelled, cancelling.ID) {
		t.Fatal("the interrupted cancellation was not finished")
	}
	captured, err := env.Stores.Payments.PaymentsByStatus(bkCtx(t), boxoffice.PaymentCaptured, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range captured {
		if b := env.Stored(t, p.BookingID); b.Status != boxoffice.BookingConfirmed {
			t.Errorf("INVARIANT: payment %s is captured for a %s booking", p.ID, b.Status)
		}
	}
	env.MustBalance(t)
}

// bkCrashes are the states a crash can leave a booking in, and how
// recovery must end each.
func bkCrashes() []bkCrash {
	return []bkCrash{
		{name: "captured, hold live", user: "u1", seat: "A1", payment: boxoffice.PaymentCaptured, charged: true,
			want: boxoffice.BookingConfirmed, wantPay: boxoffice.PaymentCaptured, wantNote: boxoffice.NotifyBookingConfirmed},
		{name: "captured, hold expired", user: "u2", seat: "A2", payment: boxoffice.PaymentCaptured, charged: true, expired: true,
			want: boxoffice.BookingFailed, wantPay: boxoffice.PaymentRefunded, wantNote: boxoffice.NotifyBookingFailed},
		{name: "gateway charged, payment pending", user: "u3", seat: "A3", payment: boxoffice.PaymentPending, charged: true,
			want: boxoffice.BookingConfirmed, wantPay: boxoffice.PaymentCaptured, wantNote: boxoffice.NotifyBookingConfirmed},
		{name: "gateway never asked, payment pending", user: "u4", seat: "A4", payment: boxoffice.PaymentPending,
			want: boxoffice.BookingFailed, wantPay: boxoffice.PaymentDeclined},
		{name: "no payment", user: "u5", seat: "A5", want: boxoffice.BookingFailed},
		{name: "seats confirmed, booking not saved", user: "u7", seat: "A7", payment: boxoffice.PaymentCaptured, charged: true,
			seatsBooked: true, want: boxoffice.BookingConfirmed, wantPay: boxoffice.PaymentCaptured, wantNote: boxoffice.NotifyBookingConfirmed},
		{name: "fresh: a saga may still run it", user: "u8", seat: "A8", fresh: true, want: boxoffice.BookingPending},
		{name: "gateway charged, no payment stored", user: "u9", seat: "A9", rowless: true, charged: true,
			want: boxoffice.BookingConfirmed, wantPay: boxoffice.PaymentCaptured, wantNote: boxoffice.NotifyBookingConfirmed},
		{name: "gateway declined, no payment stored", user: "u10", seat: "A10", rowless: true,
			want: boxoffice.BookingFailed, wantPay: boxoffice.PaymentDeclined},
		{name: "seats confirmed, no payment stored", user: "u11", seat: "B1", rowless: true, charged: true, seatsBooked: true,
			want: boxoffice.BookingConfirmed, wantPay: boxoffice.PaymentCaptured, wantNote: boxoffice.NotifyBookingConfirmed},
		// The seats were confirmed while the payment was being recorded, and
		// the gateway has no capture for the booking (the simulated gateway
		// forgets its charges when its node dies): the booking fails and its
		// seats must not stay booked.
		{name: "seats confirmed, no payment stored, gateway has no capture", user: "u13", seat: "B3", rowless: true, seatsBooked: true,
			want: boxoffice.BookingFailed, wantPay: boxoffice.PaymentDeclined},
		{name: "gateway charged, no payment stored, hold expired", user: "u12", seat: "B2", rowless: true, charged: true, expired: true,
			want: boxoffice.BookingFailed, wantPay: boxoffice.PaymentRefunded, wantNote: boxoffice.NotifyBookingFailed},
	}
}

// bkCraft writes the rows a crash in the middle of a saga leaves behind
// and returns the booking ID.
func bkCraft(t *testing.T, env *BookingEnv, c bkCrash, h *boxoffice.Hold) string {
	t.Helper()
	ctx := bkCtx(t)
	at := env.Clock.Now().Add(-time.Hour).Truncate(time.Microsecond)
	if c.fresh {
		at = env.Clock.Now().Truncate(time.Microsecond)
	}
	b := &boxoffice.Booking{ID: boxoffice.NewID(), UserID: c.user, ShowtimeID: h.ShowtimeID, HoldID: h.ID,
		Seats: h.Seats, TotalCents: h.TotalCents, Currency: h.Currency, Status: boxoffice.BookingPending,
		CreatedAt: at, UpdatedAt: at}
	if err := env.Stores.Bookings.CreateBooking(ctx, b); err != nil {
		t.Fatal(err)
	}
	if c.payment != "" {
		p := &boxoffice.Payment{ID: boxoffice.NewID(), BookingID: b.ID, UserID: c.user, AmountCents: b.TotalCents,
			Currency: b.Currency, Method: boxoffice.PaymentMethodCard, Status: c.payment, CreatedAt: at, UpdatedAt: at}
		if c.charged {
			ref, err := env.Gateway.Charge(ctx, boxoffice.ChargeRequest{Key: p.ID, AmountCents: p.AmountCents,
				Currency: p.Currency, Token: cardgateway.TokenVisa})
			if err != nil {
				t.Fatal(err)
			}
			if c.payment == boxoffice.PaymentCaptured {
				p.ProviderRef = ref
			}
		}
		if err := env.Stores.Payments.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if c.rowless {
		token := cardgateway.TokenDecline
		if c.charged {
			token = cardgateway.TokenVisa
		}
		_, err := env.Gateway.Charge(ctx, boxoffice.ChargeRequest{Key: boxoffice.PaymentIDOf(b.ID),
			AmountCents: b.TotalCents, Currency: b.Currency, Token: token})
		if c.charged != (err == nil) {
			t.Fatalf("gateway charge with %s: %v", token, err)
		}
	}
	if c.seatsBooked {
		if _, err := env.Engine.Showtimes().Confirm(ctx, h.ID, c.user, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	return b.ID
}
