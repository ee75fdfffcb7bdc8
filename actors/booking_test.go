package actors_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// bkHook is a webhook receiver that records what it gets and answers with
// the statuses in fail first, then 204.
type bkHook struct {
	mu     sync.Mutex
	bodies []map[string]any
	keys   []string
	fail   []int
}

func bkStartHook(tb testing.TB, fail ...int) (*bkHook, *httptest.Server) {
	h := &bkHook{fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(data, &body)
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
		status := http.StatusNoContent
		if len(h.fail) > 0 {
			status, h.fail = h.fail[0], h.fail[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	tb.Cleanup(srv.Close)
	return h, srv
}

func (h *bkHook) received() ([]map[string]any, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies), slices.Clone(h.keys)
}

// The happy path: the hold is the user's, the card is charged, the seats
// are booked, and the confirmation reaches the webhook; no goroutine is
// left behind once the node stops.
func TestBookingConfirmed(t *testing.T) {
	bkNoLeaks(t)
	hook, srv := bkStartHook(t)
	env := MustOpenBookingEngine(t, BookingOptions{WebhookURL: srv.URL})
	h := env.Hold(t, "u1", "A1", "B1")

	b, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != boxoffice.BookingConfirmed || b.Payment == nil || b.Payment.Status != boxoffice.PaymentCaptured || b.Payment.ID == "" {
		t.Fatalf("booking = %+v payment %+v, want confirmed and captured", b, b.Payment)
	}
	if b.TotalCents != bkPriceStandard+bkPricePremium || b.Currency != "EUR" || b.ShowtimeID != env.ShowtimeID ||
		!slices.Equal(b.Seats, []string{"A1", "B1"}) || b.CreatedAt.IsZero() {
		t.Fatalf("booking = %+v", b)
	}
	if got := env.Stored(t, b.ID); got.Status != boxoffice.BookingConfirmed || *got.Payment != *b.Payment {
		t.Fatalf("stored booking = %+v", got)
	}
	p, err := env.Stores.Payments.PaymentByBooking(bkCtx(t), b.ID)
	if err != nil || p.Status != boxoffice.PaymentCaptured || p.ProviderRef == "" || p.AmountCents != b.TotalCents {
		t.Fatalf("payment = %+v, %v", p, err)
	}
	if seats := env.Seats(t); seats["A1"] != boxoffice.SeatBooked || seats["B1"] != boxoffice.SeatBooked {
		t.Fatalf("seats A1 %s B1 %s, want booked", seats["A1"], seats["B1"])
	}
	_, err = env.Engine.Showtimes().HoldByID(bkCtx(t), h.ID, boxoffice.Caller{UserID: "u1"})
	bkWantCode(t, err, boxoffice.ENOTFOUND)

	testwait.Until(t, 5*time.Second, "the confirmation delivered", func() bool {
		ns := env.Notes(t, "u1")
		return len(ns) == 1 && ns[0].DeliveredAt != nil
	})
	n := env.Notes(t, "u1")[0]
	if n.Kind != boxoffice.NotifyBookingConfirmed || n.BookingID != b.ID || n.Channel != boxoffice.ChannelWebhook || n.Attempts != 0 {
		t.Fatalf("notification = %+v", n)
	}
	bodies, keys := hook.received()
	if len(bodies) != 1 || bodies[0]["kind"] != boxoffice.NotifyBookingConfirmed || bodies[0]["booking_id"] != b.ID || keys[0] != n.ID {
		t.Fatalf("webhook got %v (keys %v)", bodies, keys)
	}
	if bk, _ := bodies[0]["booking"].(map[string]any); bk["status"] != boxoffice.BookingConfirmed {
		t.Fatalf("webhook booking = %v", bodies[0]["booking"])
	}
	env.MustBalance(t)

	t.Run("owner and admin see it, others do not", func(t *testing.T) {
		svc := env.Engine.Bookings()
		if got, err := svc.Booking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "u1"}); err != nil || got.ID != b.ID {
			t.Fatalf("owner: %v %v", got, err)
		}
		if _, err := svc.Booking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "admin", Admin: true}); err != nil {
			t.Fatalf("admin: %v", err)
		}
		_, err := svc.Booking(bkCtx(t), b.ID, boxoffice.Caller{UserID: "u2"})
		bkWantCode(t, err, boxoffice.ENOTFOUND)
		list, _, err := svc.Bookings(bkCtx(t), boxoffice.Caller{UserID: "u1"}, boxoffice.Page{})
		if err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("list = %v, %v", list, err)
		}
	})
}

// A declined card fails the booking with 422, charges nothing and leaves
// the hold to its TTL, so the user can pay with another card.
func TestBookingDeclined(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	h := env.Hold(t, "u1", "A3")

	_, err := env.Book(t, "u1", h.ID, cardgateway.TokenDecline, "")
	bkWantCode(t, err, boxoffice.EUNPROCESSABLE)
	if !strings.Contains(boxoffice.ErrorMessage(err), "card declined") {
		t.Fatalf("message = %q", boxoffice.ErrorMessage(err))
	}
	list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u1"}, boxoffice.Page{})
	if len(list) != 1 || list[0].Status != boxoffice.BookingFailed || list[0].Payment.Status != boxoffice.PaymentDeclined {
		t.Fatalf("bookings = %+v", list)
	}
	if _, err := env.Engine.Showtimes().HoldByID(bkCtx(t), h.ID, boxoffice.Caller{UserID: "u1"}); err != nil {
		t.Fatalf("hold after a decline: %v", err)
	}
	if env.Seats(t)["A3"] != boxoffice.SeatHeld {
		t.Fatal("seat A3 is not held any more")
	}
	if captured, _, _ := env.Gateway.Totals(); captured != 0 {
		t.Fatalf("captured %d after a decline", captured)
	}

	b, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "")
	if err != nil || b.Status != boxoffice.BookingConfirmed {
		t.Fatalf("second card: %+v, %v", b, err)
	}
	env.MustBalance(t)
}

// The hold is checked before any money moves: an expired hold, someone
// else's or an unknown one is refused and nothing is recorded or charged.
func TestBookingHoldRefused(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	mine := env.Hold(t, "u1", "A4")
	expiring := env.Hold(t, "u2", "A5")
	env.Clock.Advance(boxoffice.HoldTTLDefault + time.Second)
	mine2 := env.Hold(t, "u1", "A6")

	tests := []struct {
		name, user, holdID, token, code string
	}{
		{"ErrHoldExpired", "u2", expiring.ID, cardgateway.TokenVisa, boxoffice.EGONE},
		{"ErrSomeoneElsesHold", "u2", mine2.ID, cardgateway.TokenVisa, boxoffice.EFORBIDDEN},
		{"ErrUnknownHold", "u1", boxoffice.NewHoldID(env.ShowtimeID), cardgateway.TokenVisa, boxoffice.ENOTFOUND},
		{"ErrGarbageHold", "u1", "nope", cardgateway.TokenVisa, boxoffice.ENOTFOUND},
		{"ErrNoToken", "u1", mine2.ID, "", boxoffice.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Book(t, tc.user, tc.holdID, tc.token, "")
			bkWantCode(t, err, tc.code)
		})
	}
	_, err := env.Book(t, "u1", mine.ID, cardgateway.TokenVisa, "")
	bkWantCode(t, err, boxoffice.EGONE)
	for _, u := range []string{"u1", "u2"} {
		if list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: u}, boxoffice.Page{}); len(list) != 0 {
			t.Fatalf("%s has bookings %+v", u, list)
		}
	}
	if captured, _, charges := env.Gateway.Totals(); captured != 0 || charges != 0 {
		t.Fatalf("captured %d in %d charges", captured, charges)
	}
}

// clockProvider advances the fake clock while it charges: the hold
// expires between the payment and the seat confirmation.
type clockProvider struct {
	*cardgateway.Simulator
	clock *clocktest.Clock
	by    time.Duration
}

func (p clockProvider) Charge(ctx context.Context, req boxoffice.ChargeRequest) (string, error) {
	p.clock.Advance(p.by)
	return p.Simulator.Charge(ctx, req)
}

// Money taken for a hold that expired meanwhile is refunded, the booking
// fails with 410 and the user is told.
func TestBookingHoldExpiresDuringPayment(t *testing.T) {
	clock := clocktest.New(time.Now())
	gw := cardgateway.NewSimulator()
	env := MustOpenBookingEngine(t, BookingOptions{Clock: clock, Gateway: gw,
		Provider: clockProvider{Simulator: gw, clock: clock, by: boxoffice.HoldTTLDefault + time.Second}})
	h := env.Hold(t, "u1", "A7")

	_, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, "")
	bkWantCode(t, err, boxoffice.EGONE)
	list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u1"}, boxoffice.Page{})
	if len(list) != 1 || list[0].Status != boxoffice.BookingFailed || list[0].Payment.Status != boxoffice.PaymentRefunded {
		t.Fatalf("bookings = %+v", list)
	}
	if captured, refunded, _ := gw.Totals(); captured != bkPriceStandard || refunded != bkPriceStandard {
		t.Fatalf("captured %d refunded %d", captured, refunded)
	}
	if env.Seats(t)["A7"] != boxoffice.SeatFree {
		t.Fatal("seat A7 is not free")
	}
	ns := env.Notes(t, "u1")
	if len(ns) != 1 || ns[0].Kind != boxoffice.NotifyBookingFailed {
		t.Fatalf("notifications = %+v", ns)
	}
	env.MustBalance(t)
}

// gateProvider holds every charge until the test opens the gate, and tells
// the test as each one arrives.
type gateProvider struct {
	*cardgateway.Simulator
	arrived chan struct{}
	gate    chan struct{}
}

func (p gateProvider) Charge(ctx context.Context, req boxoffice.ChargeRequest) (string, error) {
	p.arrived <- struct{}{}
	select {
	case <-p.gate:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.Simulator.Charge(ctx, req)
}

// Two bookings of one hold at once (two requests with different
// Idempotency-Keys): the second is refused with 409 while the first is
// being charged, so the card is charged once and nothing is refunded.
func TestBookingOneHoldTwiceAtOnce(t *testing.T) {
	gw := cardgateway.NewSimulator()
	p := gateProvider{Simulator: gw, arrived: make(chan struct{}, 2), gate: make(chan struct{})}
	env := MustOpenBookingEngine(t, BookingOptions{Gateway: gw, Provider: p, ChargeTimeout: 20 * time.Second})
	h := env.Hold(t, "u1", "A8", "A9")

	type result struct {
		b   *boxoffice.Booking
		err error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			b, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, boxoffice.NewID())
			results <- result{b, err}
		}()
	}
	// Wait until one booking is being charged and the other has been
	// answered, or until both are being charged (the bug).
	var got []result
	charges := 0
	for charges < 2 && (charges == 0 || len(got) == 0) {
		select {
		case <-p.arrived:
			charges++
		case r := <-results:
			got = append(got, r)
		case <-time.After(20 * time.Second):
			t.Fatalf("stuck: %d charges and %d answers", charges, len(got))
		}
	}
	if charges == 2 {
		t.Error("a second charge of the same hold started")
	}
	close(p.gate)
	for len(got) < 2 {
		got = append(got, <-results)
	}

	var confirmed, refused int
	for _, r := range got {
		switch {
		case r.err == nil && r.b.Status == boxoffice.BookingConfirmed:
			confirmed++
		case boxoffice.ErrorCode(r.err) == boxoffice.ECONFLICT && boxoffice.ErrorDetails(r.err)["reason"] == "hold_claimed":
			refused++
		default:
			t.Errorf("booking = %+v, %v", r.b, r.err)
		}
	}
	if confirmed != 1 || refused != 1 {
		t.Fatalf("%d confirmed and %d refused as hold_claimed, want 1 and 1", confirmed, refused)
	}
	if captured, refunded, charges := gw.Totals(); charges != 1 || captured != 2*bkPriceStandard || refunded != 0 {
		t.Fatalf("%d charges, captured %d, refunded %d; want one charge of %d and no refund",
			charges, captured, refunded, 2*bkPriceStandard)
	}
	list, _, _ := env.Engine.Bookings().Bookings(bkCtx(t), boxoffice.Caller{UserID: "u1"}, boxoffice.Page{})
	if len(list) != 1 {
		t.Fatalf("bookings = %+v, want only the confirmed one", list)
	}
	env.MustBalance(t)
}

// A claim lapses: a booking stuck past claimTTL (its node died, say) does
// not keep its hold unpayable until the hold expires.
func TestBookingHoldClaimLapses(t *testing.T) {
	clock := clocktest.New(time.Now())
	gw := cardgateway.NewSimulator()
	p := gateProvider{Simulator: gw, arrived: make(chan struct{}, 2), gate: make(chan struct{})}
	env := MustOpenBookingEngine(t, BookingOptions{Clock: clock, Gateway: gw, Provider: p, ChargeTimeout: 20 * time.Second})
	h := env.Hold(t, "u1", "B8")

	results := make(chan error, 2)
	book := func() {
		_, err := env.Book(t, "u1", h.ID, cardgateway.TokenVisa, boxoffice.NewID())
		results <- err
	}
	go book()
	<-p.arrived // the first booking is being charged, and stays so
	clock.Advance(time.Minute)
	go book()
	select {
	case <-p.arrived: // the second booking claimed the hold and is charged
	case err := <-results:
		t.Fatalf("second booking answered %v, want it charged once the claim lapsed", err)
	}
	close(p.gate)
	var ok, failed int
	for range 2 {
		if err := <-results; err == nil {
			ok++
		} else {
			failed++
		}
	}
	if ok != 1 || failed != 1 {
		t.Fatalf("%d confirmed, %d failed; want one of each", ok, failed)
	}
	env.MustBalance(t)
}
