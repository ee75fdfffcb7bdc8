package actors

import (
	"context"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cluster"
)

// Bounds of recovery.
const (
	recoverEveryDefault = 5 * time.Second
	// recoverStaleAfter keeps recovery away from sagas that are still
	// running. A resume goes to the booking's grain, so it queues behind a
	// saga running there anyway; the wait only matters while a booking
	// grain moves between nodes. It is longer than a saga's steps take
	// (ChargeTimeout plus a few store and grain calls), and short enough
	// that a node restarted after a crash settles its bookings in seconds.
	recoverStaleAfter = 15 * time.Second
	recoverBatchMax   = 1000 // bookings read per pass, oldest first
	recoverParallel   = 16
	// recoverShowtimesMax bounds the showtime cancellations finished per
	// pass; each cancels its bookings a few at a time.
	recoverShowtimesMax = 20
	// recoverShowtimeWait bounds the work on one showtime per pass, so
	// that bookings stuck on one (a gateway that does not refund) delay
	// neither the others nor the next pass; the next pass goes on.
	recoverShowtimeWait = 30 * time.Second
)

// recoverLoop runs a recovery pass at once and then periodically.
func (e *Engine) recoverLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	every := e.cfg.RecoverEvery
	if every <= 0 {
		every = recoverEveryDefault
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := e.Recover(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("recovery pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Recover resumes the bookings that were left pending or cancelling (by a
// crash, or by an outcome that was unknown at the time) and have not been
// touched for a while, a few at a time, then finishes the showtime
// cancellations left unfinished. It returns how many bookings and
// showtimes it resumed. Each resume runs in the booking's grain, so it
// waits for a saga that is still running there and never interleaves with
// it.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	n, err := e.recoverBookings(ctx)
	if err != nil {
		return n, err
	}
	m, err := e.recoverShowtimeCancels(ctx)
	return n + m, err
}

func (e *Engine) recoverBookings(ctx context.Context) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	bs, err := e.cfg.Stores.Bookings.BookingsByStatus(sctx, recoverBatchMax,
		boxoffice.BookingPending, boxoffice.BookingCancelling)
	cancel()
	if err != nil {
		return 0, err
	}
	cutoff := e.cfg.Clock.Now().Add(-recoverStaleAfter)
	var (
		wg      sync.WaitGroup
		sem     = make(chan struct{}, recoverParallel)
		resumed int
	)
	for _, b := range bs {
		if b.UpdatedAt.After(cutoff) {
			continue
		}
		resumed++
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.resume(ctx, b)
		}()
	}
	wg.Wait()
	if resumed > 0 {
		e.cfg.Logger.Info("recovery pass", "resumed", resumed, "listed", len(bs))
	}
	return resumed, ctx.Err()
}

func (e *Engine) resume(ctx context.Context, b *boxoffice.Booking) {
	ctx, cancel := context.WithTimeout(ctx, bookingWait)
	defer cancel()
	res, err := replyAs[*BookingReply](cluster.Request(ctx, e.cluster.Load(), b.ID, KindBooking, &ResumeBooking{BookingId: b.ID}))
	if err != nil {
		e.cfg.Logger.Warn("recovery: booking not resumed yet", "booking", b.ID, "status", b.Status, "err", err)
		return
	}
	e.cfg.Logger.Info("recovery: booking resumed", "booking", b.ID, "was", b.Status, "now", res.Booking.GetStatus())
}

// recoverShowtimeCancels finishes the cancellations of showtimes still
// marked cancelling, except those this node is running now: a crash (or an
// admin's request that timed out, or bookings that could not be refunded
// then) left them. Another node may be finishing the same one: every step
// is idempotent, and each booking is cancelled in its own grain, which
// refunds and notifies once.
func (e *Engine) recoverShowtimeCancels(ctx context.Context) (int, error) {
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	ids, err := e.cfg.Stores.Catalog.CancellingShowtimes(sctx, recoverShowtimesMax)
	cancel()
	if err != nil {
		return 0, err
	}
	resumed := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		if e.bookings.cancellingHere(id) {
			continue
		}
		resumed++
		sctx, cancel := context.WithTimeout(ctx, recoverShowtimeWait)
		_, err := e.bookings.CancelShowtime(sctx, id)
		cancel()
		if err != nil {
			e.cfg.Logger.Warn("recovery: showtime cancellation not finished yet", "showtime", id, "err", err)
			continue
		}
		e.cfg.Logger.Info("recovery: showtime cancellation finished", "showtime", id)
	}
	return resumed, ctx.Err()
}
