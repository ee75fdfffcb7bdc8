package actors

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The durable steps of a booking, each with the crash it is there for.
// Every crash point ends with: no paid booking lost, no capture without a
// confirmed booking or a refund, no seat sold twice.
//
//	step                         store / actor          why recovery needs it
//	1 claim the hold             showtime grain (mem)   not durable: keeps a second booking of the hold
//	                                                    from charging; it lapses after claimTTL. Its reply
//	                                                    refuses a cancelled or started showtime, so no
//	                                                    catalog read is made.
//	2 booking pending (insert)   bookings               the intent, before any money moves: recovery
//	                                                    lists pending bookings, and finds every charge
//	                                                    through them. Insert-if-absent: a new ID is not
//	                                                    read first; a retry's insert conflicts and the
//	                                                    stored booking is answered.
//	3 charge                     card gateway           idempotent by the payment ID, which is derived
//	                                                    from the booking (PaymentIDOf): recovery asks
//	                                                    again under it, so no pending payment row is
//	                                                    written before the charge.
//	4a payment captured (insert) payments               the money's record (refunds need its provider
//	                                                    ref); it must be durable before the booking says
//	                                                    confirmed. Runs alongside 4b.
//	4b seats confirmed           showtime grain journal the seats; idempotent per booking, so recovery
//	                                                    learns whether it happened by asking again.
//	5 notification enqueued      notifications          after 4b (only then is "confirmed" true) and
//	                                                    before 6: once the booking says confirmed,
//	                                                    nothing would enqueue it again.
//	6 booking confirmed          bookings               the outcome the user reads; recovery stops here.
//
// A crash before 2 leaves a claim that lapses; between 2 and 6, a pending
// booking that recovery finishes (the gateway tells whether 3 happened,
// Confirm whether 4b did; 4a and 5 are insert-if-absent) or fails and
// refunds. A failure takes the same steps: refund, notify, booking failed.

// start runs POST /bookings: claim the hold, record the booking, charge,
// confirm the seats. A booking that exists already (a retry under the same
// Idempotency-Key) is finished if it is pending and answered as it ended.
func (g *bookingGrain) start(m *StartBooking) (*boxoffice.Booking, error) {
	if m.BookingId != g.id {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "booking ID %q does not match the grain", m.BookingId)
	}
	g.token = m.PaymentToken
	b, fresh, err := g.begin(m)
	if err != nil {
		return nil, err
	}
	return g.settled(b, fresh)
}

// settled answers with a booking as it ended, finishing it first if it is
// still pending. fresh says that b was recorded just now, so it has no
// payment yet.
func (g *bookingGrain) settled(b *boxoffice.Booking, fresh bool) (*boxoffice.Booking, error) {
	for b.Status == boxoffice.BookingPending {
		var err error
		if b, err = g.finish(b, fresh); err != nil {
			return nil, err
		}
		fresh = false
	}
	if b.Status == boxoffice.BookingFailed {
		return nil, b.FailureErr()
	}
	return b, nil
}

// begin claims the hold for this booking (the showtime grain also refuses
// a cancelled or started showtime) and records the booking pending.
// Nothing is recorded when the hold is not the user's to book or another
// booking of it is under way: those answers (404, 403, 410, 409) cost one
// read (is this a retry of a booking that took the hold?) and charge
// nothing. fresh is true when begin recorded the booking; a retry of a
// booking recorded before gets the stored one.
func (g *bookingGrain) begin(m *StartBooking) (b *boxoffice.Booking, fresh bool, err error) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	start := time.Now()
	h, err := g.claimHold(ctx, m.HoldId, m.UserId, false)
	g.env.metrics.step(stepClaim, start)
	switch {
	case boxoffice.UnknownOutcome(err):
		// The showtime is unavailable, and may have taken the claim
		// before it failed (the reply waits for its writes): let it go.
		g.releaseClaim(m.HoldId, m.UserId)
		return nil, false, err
	case err != nil:
		// A retry of a booking that took its hold already (or whose hold
		// is gone): the stored booking answers, if there is one.
		b, err := g.existing(m, err)
		return b, false, err
	}
	now := storedNow(g.env.clock)
	b = &boxoffice.Booking{
		ID: g.id, UserID: m.UserId, ShowtimeID: h.ShowtimeID, HoldID: h.ID, Seats: h.Seats,
		TotalCents: h.TotalCents, Currency: h.Currency, Status: boxoffice.BookingPending,
		CreatedAt: now, UpdatedAt: now,
	}
	start = time.Now()
	err = g.env.bookings.CreateBooking(ctx, b)
	g.env.metrics.step(stepCreate, start)
	switch boxoffice.ErrorCode(err) {
	case "":
		g.log.Info("booking started", "showtime", b.ShowtimeID, "hold", b.HoldID, "user", b.UserID)
		return b, true, nil
	case boxoffice.ECONFLICT:
		b, err := g.existing(m, nil)
		if err != nil || b.Status != boxoffice.BookingPending {
			// The claim just taken is not this booking's to keep: it
			// ended, and another booking may pay for the hold.
			g.releaseClaim(m.HoldId, m.UserId)
		}
		return b, false, err
	default:
		g.releaseClaim(m.HoldId, m.UserId)
		g.log.Error("booking: create failed", "err", err)
		return nil, false, boxoffice.StorageFull(unavailable("booking could not be recorded; retry shortly"), err)
	}
}

// existing returns this grain's booking as stored, for a request that
// turned out to be a retry; refused is the claim's refusal, the answer
// when no booking was stored.
func (g *bookingGrain) existing(m *StartBooking, refused error) (*boxoffice.Booking, error) {
	b, err := g.load()
	switch {
	case err != nil:
		return nil, err
	case b == nil && refused != nil:
		return nil, refused
	case b == nil:
		return nil, unavailable("booking %s could not be recorded; retry shortly", g.id)
	case b.UserID != m.UserId || b.HoldID != m.HoldId:
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "booking %s belongs to another request", g.id)
	}
	return b, nil
}

// finish takes a pending booking as far as it can go: paid and confirmed,
// or failed (and refunded when money moved). An error with the booking
// still pending means an outcome is unknown; recovery finishes it later.
func (g *bookingGrain) finish(b *boxoffice.Booking, fresh bool) (*boxoffice.Booking, error) {
	p, stored, err := g.pay(b, fresh)
	if err != nil {
		return nil, err
	}
	if code, detail := boxoffice.PaymentFailure(p); code != "" {
		if p != nil && !stored {
			if p, err = g.recordPayment(p); err != nil {
				return nil, err
			}
		}
		return g.fail(b, p, code, detail)
	}
	return g.confirm(b, p, stored)
}

// confirm turns the hold into the booking's seats, while a payment the
// gateway has just captured is recorded alongside. Confirm is idempotent
// per booking, so after a crash it also tells whether the seats were
// confirmed before. Only a definite refusal leads to a refund: an unknown
// outcome leaves the booking pending, never refunded while its seats may
// be booked.
func (g *bookingGrain) confirm(b *boxoffice.Booking, p *boxoffice.Payment, stored bool) (*boxoffice.Booking, error) {
	var recorded chan paymentResult
	if !stored {
		recorded = make(chan paymentResult, 1)
		go func() {
			rp, err := g.recordPayment(p)
			recorded <- paymentResult{Payment: rp, Err: err}
		}()
	}
	err := g.confirmSeats(b)
	if recorded != nil {
		r := <-recorded
		if r.Err != nil {
			return nil, r.Err // pending: recovery asks the gateway again
		}
		if p = r.Payment; p.Status != boxoffice.PaymentCaptured {
			g.log.Error("booking: payment changed while its seats were confirmed", "payment", p.ID, "status", p.Status)
			return nil, unavailable("booking %s could not be completed now; it will be", b.ID)
		}
	}
	switch code, unknown := boxoffice.ConfirmFailure(err); {
	case unknown:
		g.log.Warn("booking: confirm outcome unknown; left pending", "err", err)
		return nil, boxoffice.StorageFull(unavailable("seats of booking %s could not be confirmed yet; it will be completed or refunded", b.ID), err)
	case code != "":
		return g.fail(b, p, code, "")
	}
	if err := b.Confirm(summaryOf(p)); err != nil {
		return nil, err
	}
	// Enqueued before the row says confirmed: if the write fails, the
	// booking stays pending, and finishing it enqueues the same ID again.
	if err := g.notify(boxoffice.NotifyBookingConfirmed, b); err != nil {
		return nil, err
	}
	if err := g.save(b); err != nil {
		return nil, err
	}
	g.env.notifier.poke()
	g.env.metrics.booking(bookingConfirmed)
	g.log.Info("booking confirmed", "payment", p.ID, "total_cents", b.TotalCents)
	return b, nil
}

// confirmSeats asks the showtime to book the hold's seats for b, again
// while the outcome is unknown (Confirm is idempotent per booking).
func (g *bookingGrain) confirmSeats(b *boxoffice.Booking) error {
	defer g.env.metrics.step(stepConfirmSeats, time.Now())
	var err error
	for try := 0; try < confirmTries; try++ {
		if try > 0 {
			time.Sleep(confirmRetryPause)
		}
		ctx, cancel := step(stepTimeout)
		_, err = g.env.showtimes.Confirm(ctx, b.HoldID, b.UserID, b.ID)
		cancel()
		if !boxoffice.UnknownOutcome(err) {
			break
		}
	}
	return err
}

// fail ends a booking that will not be confirmed, refunding a captured
// payment first. The booking stays pending until the refund is recorded:
// INVARIANT: a captured payment always belongs to a confirmed booking or
// is on its way to a refund.
func (g *bookingGrain) fail(b *boxoffice.Booking, p *boxoffice.Payment, code, detail string) (*boxoffice.Booking, error) {
	if p != nil && p.Status == boxoffice.PaymentCaptured {
		ctx, cancel := step(g.env.chargeTimeout)
		start := time.Now()
		rp, err := g.env.payments.refund(ctx, b.ID)
		g.env.metrics.step(stepRefund, start)
		cancel()
		if err != nil {
			g.log.Warn("booking: refund failed; left pending", "err", err)
			return nil, boxoffice.StorageFull(unavailable("booking %s failed and its refund is pending; it will be refunded", b.ID), err)
		}
		p = rp
	}
	// The seats are confirmed alongside the payment's record (step 4), so a
	// crash may leave them booked for a booking that then fails: one whose
	// gateway has no capture under its key. They are freed before the
	// booking says failed; a booking with no seats booked is a no-op here.
	ctx, cancel := step(stepTimeout)
	start := time.Now()
	err := g.env.showtimes.CancelSeats(ctx, b.ShowtimeID, b.ID)
	g.env.metrics.step(stepFreeSeats, start)
	cancel()
	if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		g.log.Warn("booking: seats of a failing booking not freed; left pending", "err", err)
		return nil, boxoffice.StorageFull(unavailable("booking %s failed and its seats are being freed; retry shortly", b.ID), err)
	}
	if err := b.Fail(code, detail, summaryOf(p)); err != nil {
		return nil, err
	}
	if p != nil && p.Status == boxoffice.PaymentRefunded {
		if err := g.notify(boxoffice.NotifyBookingFailed, b); err != nil {
			return nil, err
		}
	}
	if err := g.save(b); err != nil {
		return nil, err
	}
	g.env.notifier.poke()
	g.env.metrics.booking(bookingFailed)
	g.releaseClaim(b.HoldID, b.UserID) // a declined card may be followed by another on the same hold
	g.log.Info("booking failed", "code", code, "reason", b.Failure)
	return b, nil
}

// claimHold reserves the user's hold for this booking in the showtime's
// grain (see showtimeGrain.claim), or with release drops the reservation,
// and returns the hold.
func (g *bookingGrain) claimHold(ctx context.Context, holdID, userID string, release bool) (*boxoffice.Hold, error) {
	st, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return nil, err
	}
	r, err := replyAs[*HoldReply](g.env.showtimes.call(ctx, st,
		&ClaimHold{HoldId: holdID, Owner: userID, BookingId: g.id, Release: release}))
	switch {
	case err != nil:
		return nil, notFoundIfMissing(err, "hold", holdID)
	case release:
		return nil, nil // a release answers no hold
	}
	return holdOf(r.Hold), nil
}

// releaseClaim lets the hold be booked again after this booking failed.
// Best effort: a claim that stays lapses after claimTTL.
func (g *bookingGrain) releaseClaim(holdID, userID string) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	if _, err := g.claimHold(ctx, holdID, userID, true); err != nil {
		g.log.Warn("booking: hold claim not released; it lapses on its own", "hold", holdID, "err", err)
	}
}

// resume finishes or compensates a booking that a crash (or an unknown
// outcome) left pending or cancelling; others are answered as they are.
func (g *bookingGrain) resume() (*boxoffice.Booking, error) {
	b, err := g.load()
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking %s not found", g.id)
	}
	switch b.Status {
	case boxoffice.BookingPending:
		ctx, cancel := step(stepTimeout)
		err := g.env.payments.settle(ctx, b.ID)
		cancel()
		if err != nil {
			return nil, err
		}
		b, err := g.finish(b, false)
		if err != nil {
			return nil, err
		}
		return b, nil
	case boxoffice.BookingCancelling:
		return g.completeCancel(b, g.showtimeCancelled(b))
	}
	return b, nil
}
