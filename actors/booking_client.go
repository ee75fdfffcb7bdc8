package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cluster"
)

// Bounds of the booking service.
const (
	// bookingWait bounds a call to a booking grain when the caller's
	// context has no deadline: a saga with a slow gateway takes a while.
	bookingWait = 30 * time.Second
	// showtimeCancelParallel bounds the bookings cancelled at once when a
	// showtime is cancelled.
	showtimeCancelParallel = 8
	// showtimeCancelWait bounds a showtime cancellation whose caller set
	// no deadline; a retry finishes what it did not.
	showtimeCancelWait = 2 * time.Minute
)

// Bookings runs bookings through booking grains wherever they live in the
// cluster. It implements boxoffice.BookingService.
type Bookings struct {
	cluster   func() *pcluster.Cluster
	store     boxoffice.BookingStore
	events    boxoffice.EventStore // nil: stores without an outbox (tests)
	catalog   boxoffice.CatalogStore
	showtimes *Showtimes
	clock     boxoffice.Clock
	log       *slog.Logger
	// cancelPage is how many bookings CancelShowtime reads at a time; 0
	// means boxoffice.PageLimitMax.
	cancelPage int
	// cancelling holds the IDs of the showtimes whose cancellation runs
	// on this node (showtime ID -> struct{}).
	cancelling sync.Map
}

var _ boxoffice.BookingService = (*Bookings)(nil)

// CreateBooking runs the booking saga in a new booking grain, or, for an
// Idempotency-Key seen before with the same body, answers as the first
// request did (finishing it first if it is still pending).
func (s *Bookings) CreateBooking(ctx context.Context, req boxoffice.CreateBookingRequest) (*boxoffice.Booking, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	id := boxoffice.NewID()
	if req.IdempotencyKey != "" {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		rec, created, err := s.store.PutIdempotency(sctx, &boxoffice.IdempotencyRecord{
			UserID: req.UserID, Key: req.IdempotencyKey, RequestHash: req.RequestHash,
			BookingID: id, CreatedAt: s.clock.Now(),
		})
		cancel()
		if err != nil {
			s.log.Error("bookings: idempotency key not stored", "user", req.UserID, "err", err)
			return nil, boxoffice.StorageFull(unavailable("the booking could not be started; retry shortly"), err)
		}
		if !created {
			if rec.RequestHash != req.RequestHash {
				return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "Idempotency-Key was already used with a different request")
			}
			id = rec.BookingID
		}
	}
	return s.call(ctx, id, &StartBooking{
		BookingId: id, UserId: req.UserID, HoldId: req.HoldID,
		PaymentMethod: req.PaymentMethod, PaymentToken: req.PaymentToken,
	})
}

// Booking returns a booking of the caller, or any booking to an admin.
func (s *Bookings) Booking(ctx context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking %q not found", id)
	}
	b, err := s.store.Booking(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.Admin && b.UserID != c.UserID {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "booking %s not found", id)
	}
	return b, nil
}

// Bookings lists the caller's bookings, newest first.
func (s *Bookings) Bookings(ctx context.Context, c boxoffice.Caller, p boxoffice.Page) ([]*boxoffice.Booking, string, error) {
	return s.store.BookingsByUser(ctx, c.UserID, p.Normalize())
}

// CancelBooking cancels and refunds a confirmed booking (idempotent). The
// store is read first so that IDs of no booking of the caller's never
// activate a grain.
func (s *Bookings) CancelBooking(ctx context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	if _, err := s.Booking(ctx, id, c); err != nil {
		return nil, err
	}
	return s.call(ctx, id, &CancelBooking{BookingId: id, UserId: c.UserID, Admin: c.Admin})
}

// CancelShowtime marks the showtime cancelling, closes it to holds,
// cancels and refunds its bookings, then marks it cancelled. The mark comes
// first and is durable, so that recovery finishes a cancellation that a
// crash interrupted at any later step (see Engine.Recover); every step is
// idempotent, so a retry by the admin finishes it too.
func (s *Bookings) CancelShowtime(ctx context.Context, showtimeID string) (*boxoffice.Showtime, error) {
	if !boxoffice.ValidID(showtimeID) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "showtime %q not found", showtimeID)
	}
	ctx, cancel := withDefaultTimeout(ctx, showtimeCancelWait)
	defer cancel()
	s.cancelling.Store(showtimeID, struct{}{})
	defer s.cancelling.Delete(showtimeID)
	started, err := s.catalog.StartCancelShowtime(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	// Closed before the bookings are read: from here on no hold can be
	// confirmed, so the list of bookings below cannot grow.
	if err := s.showtimes.CancelShowtime(ctx, showtimeID); err != nil {
		return nil, err
	}
	n, failed, err := s.cancelBookingsOf(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	if failed > 0 {
		return nil, unavailable("showtime %s is being cancelled, but %d of its bookings are not refunded yet; they will be, or retry", showtimeID, failed)
	}
	// The event before the mark: a failure here leaves the showtime
	// cancelling, so that recovery (or the admin's retry) writes it; its
	// ID makes a second write a no-op.
	if s.events != nil {
		ev := boxoffice.ShowtimeCancelledEvent(started, s.clock.Now().UTC())
		if err := s.events.AppendEvents(ctx, []boxoffice.Event{ev}); err != nil {
			s.log.Warn("showtime cancel: event not stored yet", "showtime", showtimeID, "err", err)
			return nil, unavailable("showtime %s is being cancelled; it will be finished, or retry", showtimeID)
		}
	}
	st, err := s.catalog.CancelShowtime(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	s.log.Info("showtime cancelled", "showtime", showtimeID, "bookings", n)
	return st, nil
}

// cancellingHere reports whether this node runs the cancellation of the
// showtime now, so that recovery leaves it to that run.
func (s *Bookings) cancellingHere(showtimeID string) bool {
	_, ok := s.cancelling.Load(showtimeID)
	return ok
}

// cancelAll cancels bookings of a cancelled showtime, a few at a time, and
// returns how many could not be cancelled now.
func (s *Bookings) cancelAll(ctx context.Context, bs []*boxoffice.Booking) (failed int) {
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, showtimeCancelParallel)
	)
	for _, b := range bs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := s.call(ctx, b.ID, &CancelBooking{BookingId: b.ID, Admin: true, ShowtimeCancelled: true})
			if err != nil && boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
				s.log.Warn("showtime cancel: booking not cancelled yet", "booking", b.ID, "err", err)
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return failed
}

// call sends a command to a booking grain and returns the booking it
// answers with.
func (s *Bookings) call(ctx context.Context, id string, msg proto.Message) (*boxoffice.Booking, error) {
	ctx, cancel := withDefaultTimeout(ctx, bookingWait)
	defer cancel()
	r, err := replyAs[*BookingReply](cluster.Request(ctx, s.cluster(), id, KindBooking, msg))
	if err != nil {
		return nil, err
	}
	if r.Booking == nil {
		return nil, fmt.Errorf("booking %s: reply without a booking", id)
	}
	return bookingOf(r.Booking), nil
}

// withDefaultTimeout bounds ctx by d unless it has a deadline already.
func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
