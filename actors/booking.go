package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
)

// KindBooking is the cluster kind of booking grains; the identity is the
// booking ID.
const KindBooking = "booking"

// Bounds of the booking saga.
const (
	stepTimeout          = 5 * time.Second  // one store write or showtime call
	chargeTimeoutDefault = 10 * time.Second // one card gateway call
	bookingIdle          = time.Minute      // an idle booking grain passivates (default of Config.BookingIdleTimeout)
	confirmTries         = 3                // Confirm is idempotent: retried on unknown outcomes
	confirmRetryPause    = 200 * time.Millisecond
)

// bookingEnv is what booking grains share on a node.
type bookingEnv struct {
	bookings      boxoffice.BookingStore
	paymentStore  boxoffice.PaymentStore
	paymentLog    *paymentService // records what the gateway answered
	catalog       boxoffice.CatalogStore
	showtimes     *Showtimes
	payments      *paymentClient
	notifier      *notifier
	clock         boxoffice.Clock
	log           *slog.Logger
	chargeTimeout time.Duration
	idleTimeout   time.Duration // an idle grain passivates after it
	active        atomic.Int64  // booking grains live on this node
	metrics       *Metrics      // nil: not counted
}

// bookingGrain runs the saga of one booking: its commands run one at a
// time, so two requests for the same booking never interleave. The grain
// trusts no memory across activations (a booking may have moved nodes):
// each command starts from the store, a new booking by inserting itself
// (a retry finds it there) and any other by reading it.
type bookingGrain struct {
	env *bookingEnv
	id  string
	log *slog.Logger
	// token is the card token of this activation's StartBooking. It is
	// not stored anywhere (the payment model has no field for it), so a
	// booking resumed after a restart can only ask the gateway about its
	// earlier charge, never start a new one.
	token string
}

func newBookingGrain(e *bookingEnv) actor.Actor { return &bookingGrain{env: e} }

// Receive handles one message at a time. The saga's steps block this
// grain only: other bookings run in their own grains.
func (g *bookingGrain) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		g.env.active.Add(1)
		g.env.metrics.activated(grainBooking)
	case *actor.Stopped:
		g.env.active.Add(-1)
	case *pcluster.ClusterInit:
		g.id = msg.Identity.Identity
		g.log = g.env.log.With("booking", g.id)
		ctx.SetReceiveTimeout(g.env.idleTimeout)
	case *actor.ReceiveTimeout:
		ctx.Stop(ctx.Self())
	case *StartBooking, *ResumeBooking, *CancelBooking:
		g.handle(ctx, msg.(proto.Message))
	}
}

// handle runs a command and replies with the booking or a Failure. A
// panic becomes an internal error: the library would otherwise restart
// the grain and leave the caller waiting for its timeout.
func (g *bookingGrain) handle(ctx actor.Context, msg proto.Message) {
	var (
		b   *boxoffice.Booking
		err error
	)
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("booking grain panic: %v", r)
			}
		}()
		switch m := msg.(type) {
		case *StartBooking:
			b, err = g.start(m)
		case *ResumeBooking:
			b, err = g.resume()
		case *CancelBooking:
			b, err = g.cancel(m)
		}
	}()
	if ctx.Sender() == nil {
		return
	}
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.EINTERNAL {
			g.log.Error("booking command failed", "command", string(proto.MessageName(msg)), "err", err)
		}
		ctx.Respond(failureOf(err))
		return
	}
	ctx.Respond(&BookingReply{Booking: bookingInfo(b)})
}

// step is the context of one blocking step of the saga.
func step(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// load reads the booking; a booking that does not exist is nil, nil.
func (g *bookingGrain) load() (*boxoffice.Booking, error) {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	b, err := g.env.bookings.Booking(ctx, g.id)
	switch boxoffice.ErrorCode(err) {
	case "":
		return b, nil
	case boxoffice.ENOTFOUND:
		return nil, nil
	}
	g.log.Error("booking: store read failed", "err", err)
	return nil, unavailable("booking %s cannot be read now; retry shortly", g.id)
}

// save stores the booking's status, failure and payment summary.
func (g *bookingGrain) save(b *boxoffice.Booking) error {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	defer g.env.metrics.step(stepSave, time.Now())
	b.UpdatedAt = storedNow(g.env.clock)
	if err := g.env.bookings.UpdateBooking(ctx, b); err != nil {
		g.log.Error("booking: store write failed", "status", b.Status, "err", err)
		return boxoffice.StorageFull(unavailable("booking %s could not be saved; it will be completed", g.id), err)
	}
	return nil
}

// notify enqueues a notification about b; the actor is poked once the
// booking row says what the notification says.
func (g *bookingGrain) notify(kind string, b *boxoffice.Booking) error {
	ctx, cancel := step(stepTimeout)
	defer cancel()
	defer g.env.metrics.step(stepNotify, time.Now())
	if err := g.env.notifier.enqueue(ctx, kind, b); err != nil {
		g.log.Error("booking: notification not enqueued", "kind", kind, "err", err)
		return boxoffice.StorageFull(unavailable("booking %s could not be completed now; it will be", g.id), err)
	}
	return nil
}

func summaryOf(p *boxoffice.Payment) *boxoffice.PaymentSummary {
	if p == nil {
		return nil
	}
	return &boxoffice.PaymentSummary{ID: p.ID, Status: p.Status}
}

// storedNow is the time at the precision the stores keep (microseconds),
// so a booking answered from memory and the same booking read back later
// are the same JSON.
func storedNow(c boxoffice.Clock) time.Time { return c.Now().UTC().Truncate(time.Microsecond) }
