package actors

import (
	"cmp"
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// cancel runs POST /bookings/{id}/cancel and the per-booking part of a
// showtime cancellation. The booking becomes cancelling (durable) before
// anything is undone, so a crash in the middle is finished by recovery;
// cancelling a cancelled booking answers it again.
func (g *bookingGrain) cancel(m *CancelBooking) (*boxoffice.Booking, error) {
	b, err := g.load()
	if err != nil {
		return nil, err
	}
	if b == nil || (!m.Admin && b.UserID != m.UserId) {
		// Someone else's booking does not exist, as far as they know.
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking %s not found", g.id)
	}
	if b.Status == boxoffice.BookingPending && m.ShowtimeCancelled {
		// A saga interrupted while the showtime was cancelled: finish it
		// first (the closed showtime refuses the seats, so it fails and
		// refunds unless the seats were confirmed before).
		if b, err = g.resume(); err != nil {
			return nil, err
		}
		if b.Status == boxoffice.BookingFailed {
			return b, nil
		}
	}
	if err := b.CheckCancel(); err != nil {
		return nil, err
	}
	switch b.Status {
	case boxoffice.BookingCancelled:
		return b, nil
	case boxoffice.BookingCancelling:
		return g.completeCancel(b, m.ShowtimeCancelled || g.showtimeCancelled(b))
	}
	if !m.ShowtimeCancelled {
		if err := g.checkNotStarted(b); err != nil {
			return nil, err
		}
	}
	if err := b.StartCancel(); err != nil {
		return nil, err
	}
	if err := g.save(b); err != nil {
		return nil, err
	}
	g.log.Info("booking cancelling", "by_admin", m.Admin, "showtime_cancelled", m.ShowtimeCancelled)
	return g.completeCancel(b, m.ShowtimeCancelled)
}

// checkNotStarted refuses to cancel once the showtime has begun.
func (g *bookingGrain) checkNotStarted(b *boxoffice.Booking) error {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	st, err := g.env.catalog.Showtime(ctx, b.ShowtimeID)
	if err != nil {
		g.log.Error("booking: showtime read failed", "err", err)
		return unavailable("showtime of booking %s cannot be read now; retry shortly", b.ID)
	}
	return b.CheckCancelAt(st, g.env.clock.Now())
}

// completeCancel frees the seats, refunds and notifies, then marks the
// booking cancelled. Every step is idempotent, so running it again after
// a crash finishes the job without doing any step twice.
func (g *bookingGrain) completeCancel(b *boxoffice.Booking, showtimeCancelled bool) (*boxoffice.Booking, error) {
	ctx, cancel := step(stepTimeout)
	start := time.Now()
	err := g.env.showtimes.CancelSeats(ctx, b.ShowtimeID, b.ID)
	g.env.metrics.step(stepFreeSeats, start)
	cancel()
	switch boxoffice.ErrorCode(err) {
	case "":
	case boxoffice.ENOTFOUND:
		// The showtime never had these seats booked: nothing to free, and
		// the money must still go back.
		g.log.Warn("booking: showtime has no seats for this booking", "err", err)
	default:
		g.log.Warn("booking: seats not freed yet", "err", err)
		return nil, unavailable("booking %s is being cancelled; retry shortly", b.ID)
	}
	ctx, cancel = step(g.env.chargeTimeout)
	start = time.Now()
	p, err := g.env.payments.refund(ctx, b.ID)
	g.env.metrics.step(stepRefund, start)
	cancel()
	if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
		g.log.Warn("booking: refund not done yet", "err", err)
		return nil, unavailable("booking %s is being cancelled; its refund will follow", b.ID)
	}
	if err := b.FinishCancel(summaryOf(p)); err != nil {
		return nil, err
	}
	kind := boxoffice.NotifyBookingCancelled
	if showtimeCancelled {
		kind = boxoffice.NotifyShowtimeCancelled
	}
	if err := g.notify(kind, b); err != nil {
		return nil, err
	}
	if err := g.save(b); err != nil {
		return nil, err
	}
	g.env.notifier.poke()
	g.env.metrics.booking(bookingCancelled)
	g.log.Info("booking cancelled", "notification", kind)
	return b, nil
}

// showtimeCancelled tells whether b's showtime was cancelled (or its
// cancellation began), which is what a resumed cancellation says in its
// notification.
func (g *bookingGrain) showtimeCancelled(b *boxoffice.Booking) bool {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	st, err := g.env.catalog.Showtime(ctx, b.ShowtimeID)
	return err == nil && st.Cancelled()
}

// cancelBookingsOf cancels the bookings of a cancelled showtime a page at
// a time, so that a sold-out hall is never read in one go, and returns how
// many it tried and how many could not be cancelled now. Pending bookings
// too: a saga in flight may confirm seats it confirmed just before the
// close; its grain finishes it first. A booking cancelled here leaves the
// status filter but not the store's order, so the next page neither skips
// nor repeats one.
func (s *Bookings) cancelBookingsOf(ctx context.Context, showtimeID string) (n, failed int, err error) {
	p := boxoffice.Page{Limit: cmp.Or(s.cancelPage, boxoffice.PageLimitMax)}
	for {
		bs, next, err := s.store.BookingsByShowtime(ctx, showtimeID, p,
			boxoffice.BookingConfirmed, boxoffice.BookingCancelling, boxoffice.BookingPending)
		if err != nil {
			return n, failed, err
		}
		n += len(bs)
		failed += s.cancelAll(ctx, bs)
		if next == "" {
			return n, failed, nil
		}
		p.Cursor = next
	}
}
