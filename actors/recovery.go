package actors

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
	bocluster "github.com/boxoffice/boxoffice/cluster"
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
)

// Names of the node-local actors.
const (
	paymentActorName      = "boxoffice-payments"
	notificationActorName = "boxoffice-notifications"
)

// lifecycle is what Start starts and Stop stops.
type lifecycle struct {
	mu         sync.Mutex
	started    bool
	system     *actor.ActorSystem
	pids       []*actor.PID
	stopLoop   context.CancelFunc
	loopDone   chan struct{}
	paymentsWG sync.WaitGroup // gateway calls in flight
	payments   *payments      // the booking grains' way to the payment actor
}

// initBookings wires the booking, payment and notification services; New
// calls it. Their actors are spawned by Start.
func (e *Engine) initBookings() {
	cfg := e.cfg
	provider := cfg.Payments
	if provider == nil {
		provider = NewGateway()
	}
	chargeTimeout := cfg.ChargeTimeout
	if chargeTimeout <= 0 {
		chargeTimeout = chargeTimeoutDefault
	}
	e.paymentSvc = &paymentService{store: cfg.Stores.Payments, provider: provider, clock: cfg.Clock,
		log: cfg.Logger.With("actor", "payments")}
	e.notifier = newNotifier(cfg)
	e.life.payments = &payments{}
	e.bookingEnv = &bookingEnv{
		bookings: cfg.Stores.Bookings, paymentStore: cfg.Stores.Payments, catalog: cfg.Stores.Catalog,
		showtimes: e.showtimes, payments: e.life.payments, notifier: e.notifier,
		clock: cfg.Clock, log: cfg.Logger.With("kind", KindBooking), chargeTimeout: chargeTimeout,
	}
	e.bookings = &Bookings{cluster: e.cluster.Load, store: cfg.Stores.Bookings, catalog: cfg.Stores.Catalog,
		showtimes: e.showtimes, clock: cfg.Clock, log: cfg.Logger.With("service", "bookings")}
}

// Bookings is the booking service backed by booking grains.
func (e *Engine) Bookings() *Bookings { return e.bookings }

var _ boxoffice.NotificationService = (*Engine)(nil)

// Notifications lists a user's notifications, newest first.
func (e *Engine) Notifications(ctx context.Context, userID string, p boxoffice.Page) ([]*boxoffice.Notification, string, error) {
	return e.cfg.Stores.Notifications.NotificationsByUser(ctx, userID, p.Normalize())
}

// Start spawns the node's payment and notification actors and starts
// recovery: once now and then every RecoverEvery, bookings left pending or
// cancelling are resumed. Call it after Attach; ctx bounds the start only.
func (e *Engine) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := e.cluster.Load()
	if c == nil {
		return errors.New("actors: Start before Attach")
	}
	l := &e.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return errors.New("actors: engine already started")
	}
	root := c.ActorSystem.Root
	payPID, err := root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return newPaymentActor(e.paymentSvc, &l.paymentsWG)
	}), paymentActorName)
	if err != nil {
		return err
	}
	notePID, err := root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return newNotificationActor(e.notifier)
	}), notificationActorName)
	if err != nil {
		root.Stop(payPID)
		return err
	}
	l.started, l.system, l.pids = true, c.ActorSystem, []*actor.PID{payPID, notePID}
	l.payments.system.Store(c.ActorSystem)
	l.payments.pid.Store(payPID)
	e.notifier.system.Store(c.ActorSystem)
	e.notifier.pid.Store(notePID)

	loopCtx, stop := context.WithCancel(context.Background())
	l.stopLoop, l.loopDone = stop, make(chan struct{})
	go e.recoverLoop(loopCtx, l.loopDone)
	e.cfg.Logger.Info("engine started", "payments", payPID.Id, "notifications", notePID.Id)
	return nil
}

// Stop stops recovery and the local actors, then waits for gateway calls
// and notification deliveries in flight, bounded by ctx. Call it before
// stopping the node. Booking grains still running a saga leave their
// booking pending if they can no longer pay; recovery finishes it later.
func (e *Engine) Stop(ctx context.Context) error {
	defer e.dispatcher.stop()
	l := &e.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		return nil
	}
	l.started = false
	l.stopLoop()
	l.payments.pid.Store(nil)
	e.notifier.pid.Store(nil)
	for _, pid := range l.pids {
		if err := l.system.Root.StopFuture(pid).Wait(); err != nil {
			e.cfg.Logger.Warn("engine: local actor did not stop cleanly", "actor", pid.Id, "err", err)
		}
	}
	err := errors.Join(waitDone(ctx, l.loopDone), waitFor(ctx, &l.paymentsWG), waitFor(ctx, &e.notifier.wg))
	e.notifier.client.CloseIdleConnections()
	if err != nil {
		return errors.Join(errors.New("actors: engine stop"), err)
	}
	e.cfg.Logger.Info("engine stopped")
	return nil
}

func waitDone(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

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
// touched for a while, a few at a time. It returns how many it resumed.
// Each resume runs in the booking's grain, so it waits for a saga that is
// still running there and never interleaves with it.
func (e *Engine) Recover(ctx context.Context) (int, error) {
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
	res, err := replyAs[*BookingReply](bocluster.Request(ctx, e.cluster.Load(), b.ID, KindBooking, &ResumeBooking{BookingId: b.ID}))
	if err != nil {
		e.cfg.Logger.Warn("recovery: booking not resumed yet", "booking", b.ID, "status", b.Status, "err", err)
		return
	}
	var now struct{ Status string }
	_ = json.Unmarshal(res.BookingJson, &now)
	e.cfg.Logger.Info("recovery: booking resumed", "booking", b.ID, "was", b.Status, "now", now.Status)
}
