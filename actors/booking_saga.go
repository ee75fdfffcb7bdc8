package actors

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// start runs POST /bookings: check the hold, record the booking, charge,
// confirm the seats. A booking that exists already (a retry under the same
// Idempotency-Key) is finished if it is pending and answered as it ended.
func (g *bookingGrain) start(m *StartBooking) (*boxoffice.Booking, error) {
	if m.BookingId != g.id {
		return nil, boxoffice.Errorf(boxoffice.EINVALID, "booking ID %q does not match the grain", m.BookingId)
	}
	b, err := g.load()
	if err != nil {
		return nil, err
	}
	if b == nil {
		if b, err = g.begin(m); err != nil {
			return nil, err
		}
	} else if b.UserID != m.UserId || b.HoldID != m.HoldId {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "booking %s belongs to another request", g.id)
	}
	g.token = m.PaymentToken
	return g.settled(b)
}

// settled answers with a booking as it ended, finishing it first if it is
// still pending.
func (g *bookingGrain) settled(b *boxoffice.Booking) (*boxoffice.Booking, error) {
	for b.Status == boxoffice.BookingPending {
		var err error
		if b, err = g.finish(b); err != nil {
			return nil, err
		}
	}
	if b.Status == boxoffice.BookingFailed {
		return nil, b.FailureErr()
	}
	return b, nil
}

// begin claims the hold for this booking, checks the showtime and records
// the pending booking. Nothing is recorded when the hold is not the user's
// to book or another booking of it is under way, so those answers (404,
// 403, 410, 409) cost nothing and charge nothing.
func (g *bookingGrain) begin(m *StartBooking) (b *boxoffice.Booking, err error) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	h, err := g.claimHold(ctx, m.HoldId, m.UserId, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			g.releaseClaim(m.HoldId, m.UserId)
		}
	}()
	st, err := g.env.catalog.Showtime(ctx, h.ShowtimeID)
	if err != nil {
		return nil, err
	}
	now := storedNow(g.env.clock)
	if err := boxoffice.CheckBookable(st, now); err != nil {
		return nil, err
	}
	b = &boxoffice.Booking{
		ID: g.id, UserID: m.UserId, ShowtimeID: h.ShowtimeID, HoldID: h.ID, Seats: h.Seats,
		TotalCents: h.TotalCents, Currency: h.Currency, Status: boxoffice.BookingPending,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := g.env.bookings.CreateBooking(ctx, b); err != nil {
		g.log.Error("booking: create failed", "err", err)
		return nil, unavailable("booking could not be recorded; retry shortly")
	}
	g.log.Info("booking started", "showtime", b.ShowtimeID, "hold", b.HoldID, "user", b.UserID)
	return b, nil
}

// finish takes a pending booking as far as it can go: paid and confirmed,
// or failed (and refunded when money moved). An error with the booking
// still pending means an outcome is unknown; recovery finishes it later.
func (g *bookingGrain) finish(b *boxoffice.Booking) (*boxoffice.Booking, error) {
	p, err := g.pay(b)
	if err != nil {
		return nil, err
	}
	if code, detail := boxoffice.PaymentFailure(p); code != "" {
		return g.fail(b, p, code, detail)
	}
	return g.confirm(b, p)
}

// pay charges the booking (idempotent: a second charge asks the gateway
// about the first with the same key). Without a card token (a booking
// resumed by recovery) it charges nothing new: a booking with no payment
// yet returns nil, and a pending one is settled with the gateway.
func (g *bookingGrain) pay(b *boxoffice.Booking) (*boxoffice.Payment, error) {
	if g.token == "" {
		ctx, cancel := step(stepTimeout)
		defer cancel()
		p, err := g.env.paymentStore.PaymentByBooking(ctx, b.ID)
		switch {
		case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
			return nil, nil
		case err != nil:
			g.log.Error("booking: payment read failed", "err", err)
			return nil, unavailable("payment of booking %s cannot be read now", b.ID)
		case p.Status != boxoffice.PaymentPending:
			return p, nil
		}
	}
	ctx, cancel := step(g.env.chargeTimeout)
	defer cancel()
	return g.env.payments.charge(ctx, &chargeCmd{
		BookingID: b.ID, UserID: b.UserID, AmountCents: b.TotalCents, Currency: b.Currency,
		Method: boxoffice.PaymentMethodCard, Token: g.token,
	})
}

// confirm turns the hold into the booking's seats. Confirm is idempotent
// per booking, so after a crash it also tells whether the seats were
// confirmed before. Only a definite refusal leads to a refund: an unknown
// outcome leaves the booking pending, never refunded while its seats may
// be booked.
func (g *bookingGrain) confirm(b *boxoffice.Booking, p *boxoffice.Payment) (*boxoffice.Booking, error) {
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
	switch code, unknown := boxoffice.ConfirmFailure(err); {
	case unknown:
		g.log.Warn("booking: confirm outcome unknown; left pending", "err", err)
		return nil, unavailable("seats of booking %s could not be confirmed yet; it will be completed or refunded", b.ID)
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
	g.log.Info("booking confirmed", "payment", p.ID, "total_cents", b.TotalCents)
	return b, nil
}

// fail ends a booking that will not be confirmed, refunding a captured
// payment first. The booking stays pending until the refund is recorded:
// INVARIANT: a captured payment always belongs to a confirmed booking or
// is on its way to a refund.
func (g *bookingGrain) fail(b *boxoffice.Booking, p *boxoffice.Payment, code, detail string) (*boxoffice.Booking, error) {
	if p != nil && p.Status == boxoffice.PaymentCaptured {
		ctx, cancel := step(g.env.chargeTimeout)
		rp, err := g.env.payments.refund(ctx, b.ID)
		cancel()
		if err != nil {
			g.log.Warn("booking: refund failed; left pending", "err", err)
			return nil, unavailable("booking %s failed and its refund is pending; it will be refunded", b.ID)
		}
		p = rp
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
		b, err := g.finish(b)
		if err != nil {
			return nil, err
		}
		return b, nil
	case boxoffice.BookingCancelling:
		return g.completeCancel(b, g.showtimeCancelled(b))
	}
	return b, nil
}
