package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// Bounds of the payment actor. A card gateway call can take seconds, so the
// actor never makes one itself: it hands each to a worker goroutine, at most
// paymentWorkersMax at a time, and queues the rest up to paymentQueueMax.
// A worker holds only the gateway call (the saga records the answer), so
// the 64 buyers a node's load test drives each get a worker at once, and
// no payment waits on another's store write; past that, jobs wait in
// arrival order.
const (
	paymentWorkersMax = 64
	paymentQueueMax   = 10_000
	paymentStoreWait  = 5 * time.Second // recording an answer the gateway gave
	paymentStartSlack = 100 * time.Millisecond
)

// Messages of the payment actor. It is local to its node (every node runs
// one), so its messages are plain Go values, never serialized.
type (
	// chargeCmd charges a booking under its payment's ID, the gateway's
	// idempotency key: a second charge with the same key asks the gateway
	// about the first and never takes the money twice.
	chargeCmd struct {
		PaymentID, BookingID, UserID, Currency, Method, Token string
		AmountCents                                           int64
		Deadline                                              time.Time
	}
	// refundCmd refunds a booking's captured payment (idempotent).
	refundCmd struct {
		BookingID string
		Deadline  time.Time
	}
	// settleCmd answers nil when no job for the booking is queued or
	// running on this node, so recovery never asks the gateway about a
	// charge that a worker is still making.
	settleCmd struct{ BookingID string }
	// paymentResult is every reply of the payment actor.
	paymentResult struct {
		Payment *boxoffice.Payment
		Err     error
	}
	paymentJobDone struct{ bookingID string }
)

// paymentJob is one queued gateway call and who waits for its answer.
type paymentJob struct {
	to        *actor.PID
	bookingID string
	deadline  time.Time
	run       func(context.Context) (*boxoffice.Payment, error)
}

// paymentActor runs payments with bounded concurrency. Its mailbox only
// moves jobs around, so a slow gateway never holds up other payments.
type paymentActor struct {
	svc     *paymentService
	wg      *sync.WaitGroup // running jobs, for Engine.Stop
	running int
	queue   []*paymentJob
	busy    map[string]int // booking ID -> jobs queued or running
}

func newPaymentActor(svc *paymentService, wg *sync.WaitGroup) actor.Actor {
	return &paymentActor{svc: svc, wg: wg, busy: map[string]int{}}
}

// Receive handles one message at a time.
func (a *paymentActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *chargeCmd:
		a.submit(ctx, msg.BookingID, msg.Deadline, func(c context.Context) (*boxoffice.Payment, error) {
			return a.svc.charge(c, msg)
		})
	case *refundCmd:
		a.submit(ctx, msg.BookingID, msg.Deadline, func(c context.Context) (*boxoffice.Payment, error) {
			return a.svc.refund(c, msg.BookingID)
		})
	case *settleCmd:
		var err error
		if a.busy[msg.BookingID] > 0 {
			err = unavailable("a payment of booking %s is in progress", msg.BookingID)
		}
		ctx.Respond(&paymentResult{Err: err})
	case *paymentJobDone:
		a.running--
		if a.busy[msg.bookingID]--; a.busy[msg.bookingID] <= 0 {
			delete(a.busy, msg.bookingID)
		}
		a.dispatch(ctx)
	}
}

func (a *paymentActor) submit(ctx actor.Context, bookingID string, deadline time.Time, run func(context.Context) (*boxoffice.Payment, error)) {
	if ctx.Sender() == nil {
		return
	}
	if len(a.queue) >= paymentQueueMax {
		ctx.Respond(&paymentResult{Err: boxoffice.Errorf(boxoffice.ETOOMANYREQUESTS, "payments are busy; retry shortly")})
		return
	}
	a.busy[bookingID]++
	a.queue = append(a.queue, &paymentJob{to: ctx.Sender(), bookingID: bookingID, deadline: deadline, run: run})
	a.dispatch(ctx)
}

// dispatch starts queued jobs while workers are free.
func (a *paymentActor) dispatch(ctx actor.Context) {
	for a.running < paymentWorkersMax && len(a.queue) > 0 {
		j := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		a.running++
		a.wg.Add(1)
		self, root := ctx.Self(), ctx.ActorSystem().Root
		go func() {
			defer a.wg.Done()
			root.Send(j.to, a.work(j))
			root.Send(self, &paymentJobDone{bookingID: j.bookingID})
		}()
	}
}

// work runs a job unless its caller has given up already: a charge begun
// after the caller stopped waiting would be money nobody knows about.
func (a *paymentActor) work(j *paymentJob) *paymentResult {
	if time.Until(j.deadline) < paymentStartSlack {
		return &paymentResult{Err: unavailable("payment not started in time; retry shortly")}
	}
	ctx, cancel := context.WithDeadline(context.Background(), j.deadline)
	defer cancel()
	p, err := a.svc.run(ctx, j)
	return &paymentResult{Payment: p, Err: err}
}

// paymentService is what the payment actor's workers do (gateway calls),
// and how the saga records what the gateway answered.
type paymentService struct {
	store    boxoffice.PaymentStore
	provider boxoffice.PaymentProvider
	clock    boxoffice.Clock
	log      *slog.Logger
	metrics  *Metrics // nil: not counted
}

// run calls a job, turning a panic in a provider into an internal error
// rather than a crashed node.
func (s *paymentService) run(ctx context.Context, j *paymentJob) (p *boxoffice.Payment, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("payment job panicked", "booking", j.bookingID, "panic", r)
			p, err = nil, unavailable("payment failed unexpectedly; retry shortly")
		}
	}()
	return j.run(ctx)
}

// charge asks the gateway for a booking's money under the payment's ID (its
// idempotency key) and returns the payment as the gateway answered it,
// captured or declined, not yet stored: the saga records it while the
// seats are confirmed. Nothing is stored before the charge either: the
// pending booking is the trace recovery follows, and it asks the gateway
// again under the same key. Without a card token (a booking resumed after a
// crash) charge only asks what became of an earlier charge: a key the
// gateway never took answers nil, nil (no money moved, nothing to record).
func (s *paymentService) charge(ctx context.Context, cmd *chargeCmd) (*boxoffice.Payment, error) {
	now := storedNow(s.clock)
	p := &boxoffice.Payment{
		ID: cmd.PaymentID, BookingID: cmd.BookingID, UserID: cmd.UserID,
		AmountCents: cmd.AmountCents, Currency: cmd.Currency, Method: cmd.Method,
		CreatedAt: now, UpdatedAt: now,
	}
	ref, err := s.provider.Charge(ctx, boxoffice.ChargeRequest{
		Key: p.ID, AmountCents: p.AmountCents, Currency: p.Currency, Token: cmd.Token,
	})
	switch code := boxoffice.ErrorCode(err); {
	case code == "":
		p.Status, p.ProviderRef = boxoffice.PaymentCaptured, ref
		s.metrics.payment(paymentCaptured)
	case code == boxoffice.EINVALID && cmd.Token == "":
		return nil, nil // the gateway never took this key
	case code == boxoffice.EUNPROCESSABLE || code == boxoffice.EINVALID:
		// A definite refusal: no money moved under this key.
		p.Status, p.Failure = boxoffice.PaymentDeclined, boxoffice.ErrorMessage(err)
		s.metrics.payment(paymentDeclined)
	default:
		s.log.Warn("payment: outcome unknown", "payment", p.ID, "booking", p.BookingID, "err", err)
		s.metrics.payment(paymentError)
		return nil, unavailable("the card gateway did not answer; the booking will be completed or refunded")
	}
	return p, nil
}

// record stores a payment the gateway answered for. A payment of the
// booking stored already is either a pending row from before (it is
// settled with this answer) or the same answer recorded by an earlier run,
// which is returned as stored: it may have been refunded since.
func (s *paymentService) record(ctx context.Context, p *boxoffice.Payment) (*boxoffice.Payment, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), paymentStoreWait)
	defer cancel()
	err := s.store.CreatePayment(ctx, p)
	if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT {
		if err != nil {
			s.log.Error("payment: store failed after the gateway answered", "payment", p.ID, "status", p.Status, "err", err)
			return nil, boxoffice.StorageFull(unavailable("payment could not be recorded; it will be resolved"), err)
		}
		return p, nil
	}
	stored, err := s.store.PaymentByBooking(ctx, p.BookingID)
	switch {
	case err != nil:
		s.log.Error("payment: store failed", "booking", p.BookingID, "err", err)
		return nil, boxoffice.StorageFull(unavailable("payment could not be recorded; it will be resolved"), err)
	case stored.Status != boxoffice.PaymentPending:
		return stored, nil
	case stored.ID != p.ID:
		return nil, fmt.Errorf("payment %s of booking %s was charged under another key (%s)", stored.ID, p.BookingID, p.ID)
	}
	p.CreatedAt = stored.CreatedAt
	return p, s.save(ctx, p)
}

// untaken settles a pending payment stored by an earlier version whose
// charge the gateway never took: declined, nothing was charged.
func untaken(p *boxoffice.Payment) *boxoffice.Payment {
	p.Status = boxoffice.PaymentDeclined
	p.Failure = "the payment was interrupted before the card gateway took it"
	return p
}

// refund returns a captured payment's money. A declined or refunded
// payment needs nothing; a pending one must be resolved by a charge first.
func (s *paymentService) refund(ctx context.Context, bookingID string) (*boxoffice.Payment, error) {
	p, err := s.store.PaymentByBooking(ctx, bookingID)
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
			return nil, err
		}
		s.log.Error("payment: store failed", "booking", bookingID, "err", err)
		return nil, unavailable("payment could not be read; retry shortly")
	}
	switch p.Status {
	case boxoffice.PaymentRefunded, boxoffice.PaymentDeclined:
		return p, nil
	case boxoffice.PaymentPending:
		return p, boxoffice.Errorf(boxoffice.ECONFLICT, "payment %s is not settled yet", p.ID)
	}
	if err := s.provider.Refund(ctx, p.ProviderRef, p.AmountCents); err != nil {
		s.log.Warn("payment: refund failed", "payment", p.ID, "booking", bookingID, "err", err)
		s.metrics.payment(paymentError)
		return p, unavailable("the refund did not go through; it will be retried")
	}
	s.metrics.payment(paymentRefunded)
	p.Status = boxoffice.PaymentRefunded
	return p, s.save(ctx, p)
}

// save stores what the gateway answered. It gets its own deadline: the
// gateway may have used up the caller's, and an answer we know must not be
// lost for want of a few milliseconds.
func (s *paymentService) save(ctx context.Context, p *boxoffice.Payment) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), paymentStoreWait)
	defer cancel()
	p.UpdatedAt = storedNow(s.clock)
	if err := s.store.UpdatePayment(ctx, p); err != nil {
		s.log.Error("payment: store failed after the gateway answered", "payment", p.ID, "status", p.Status, "err", err)
		return boxoffice.StorageFull(unavailable("payment could not be recorded; it will be resolved"), err)
	}
	return nil
}

// noCardGateway stands in for a missing Config.CardGateway: a node that
// cannot take money refuses to, and books nothing.
type noCardGateway struct{}

func (noCardGateway) Charge(context.Context, boxoffice.ChargeRequest) (string, error) {
	return "", unavailable("no card gateway is configured on this node")
}

func (noCardGateway) Refund(context.Context, string, int64) error {
	return unavailable("no card gateway is configured on this node")
}
