package actors

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice"
)

// Config is what the actors of a node need.
type Config struct {
	Stores      *boxoffice.Stores
	Clock       boxoffice.Clock // default SystemClock
	HoldTTL     time.Duration   // default boxoffice.HoldTTLDefault
	IdleTimeout time.Duration   // an idle showtime grain passivates after it; default IdleTimeoutDefault
	// BookingIdleTimeout: an idle booking grain passivates after it
	// (its state is in the store); default one minute.
	BookingIdleTimeout time.Duration
	Logger             *slog.Logger // default slog.Default()

	// CardGateway takes the money (cmd/boxoffice wires the simulator of
	// package cardgateway). Nil: every charge fails with EUNAVAILABLE.
	CardGateway boxoffice.PaymentProvider
	// ChargeTimeout bounds one card gateway call; default 10s.
	ChargeTimeout time.Duration
	// NotificationSender, when set, receives every notification besides
	// the log (cmd/boxoffice wires package webhook when a webhook URL is
	// configured). Nil: notifications go to the log only.
	NotificationSender boxoffice.NotificationSender
	// NotifySweepEvery is how often the outbox is read for notifications
	// that are due (retries, leftovers of a crash); default 1s.
	NotifySweepEvery time.Duration
	// RecoverEvery is how often bookings left pending or cancelling are
	// resumed (also once at Start); default 5s.
	RecoverEvery time.Duration
	// HoldCaps bound what one user may hold: seats per showtime, open
	// holds across the showtimes of this node, and the cool-down before
	// re-holding seats released or let lapse. A zero field is off, so the
	// zero value switches every cap off; cmd/boxoffice starts from
	// boxoffice.DefaultHoldCaps.
	HoldCaps boxoffice.HoldCaps
	// Healthy reports whether this node may serve showtimes (self-fencing:
	// see cluster.Memberlist.Health). While it is false the Showtimes
	// client answers EUNAVAILABLE without calling, and showtime grains
	// here refuse commands with EUNAVAILABLE and stop. Nil: always.
	// Called on every showtime command, so it must be cheap.
	Healthy func() bool
	// Epoch is the node's fence epoch (see cluster.Memberlist.Epoch): it
	// moves when the node's right to serve from memory was in doubt, and a
	// showtime grain loaded before it moved loads again before answering.
	// Nil: it never moves (a single node).
	Epoch func() uint64
	// FenceLoads makes every showtime load write an activated event to
	// the journal before the grain answers anything, so that an older
	// activation on another node (one that has not noticed yet that it
	// lost the showtime) can no longer write: every write it makes after
	// the load fails the store's sequence check, and every write it made
	// before is in what the new one loaded. Without it, a grain that
	// loads while a stale one elsewhere still writes could refuse a
	// confirmation of a hold the other one has just granted. For
	// clustered nodes; a single node has one activation per showtime.
	FenceLoads bool
	// Gone reports whether a cluster member (by id) is known to have died
	// or left: a load does not wait for an older activation there to
	// stop. Nil: none is.
	Gone func(memberID string) bool
	// JournalWrites is how many seat journal writes (each carrying the
	// batches of many showtimes) the node keeps in flight. Default:
	// JournalWritesDefault, or what the seat store says it can run at once
	// if fewer (SQLite: 1; PostgreSQL: the seats pool's size less one).
	// Each write holds a connection of the seats database's pool while it
	// runs, so that pool must allow at least as many, with room for loads.
	JournalWrites int
	// Metrics counts what the engine does (see Metrics); nil counts
	// nothing.
	Metrics *Metrics
}

// IdleTimeoutDefault is how long a showtime grain stays in memory without a
// command when Config.IdleTimeout is zero; the command line's default too.
const IdleTimeoutDefault = 10 * time.Minute

// Engine is the actor side of boxoffice on one node: the cluster kinds it
// hosts and the clients that reach them.
type Engine struct {
	cfg     Config
	env     *env
	cluster atomic.Pointer[pcluster.Cluster]

	showtimes *Showtimes

	// dispatcher runs the grains' mailboxes (dispatcher.go).
	dispatcher *dispatcher

	// The booking, payment and notification services (booking.go,
	// payment.go, notification.go); started by Start.
	bookingEnv *bookingEnv
	bookings   *Bookings
	paymentSvc *paymentService
	notifier   *notifier
	life       lifecycle
}

// New returns an engine; register Kinds with the node, then Attach the
// started cluster.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = boxoffice.SystemClock{}
	}
	if cfg.HoldTTL <= 0 {
		cfg.HoldTTL = boxoffice.HoldTTLDefault
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = IdleTimeoutDefault
	}
	if cfg.BookingIdleTimeout <= 0 {
		cfg.BookingIdleTimeout = bookingIdle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, dispatcher: newDispatcher()}
	e.env = &env{
		catalog: cfg.Stores.Catalog, seats: cfg.Stores.Seats, bookings: cfg.Stores.Bookings, clock: cfg.Clock, log: cfg.Logger,
		idleTimeout: cfg.IdleTimeout, healthy: e.healthy, epoch: e.epoch, fenceLoads: cfg.FenceLoads, gone: cfg.Gone, holdCaps: cfg.HoldCaps,
		journal: newJournal(cfg.Stores.Seats, cfg.Logger.With("actor", "journal"), cfg.JournalWrites),
		metrics: cfg.Metrics,
	}
	e.env.journal.metrics = cfg.Metrics
	e.showtimes = &Showtimes{cluster: e.cluster.Load, holdTTL: cfg.HoldTTL, healthy: e.healthy, metrics: cfg.Metrics}
	e.initBookings()
	return e
}

// Kinds returns the cluster kinds this node hosts.
func (e *Engine) Kinds() []*pcluster.Kind {
	return []*pcluster.Kind{
		pcluster.NewKind(KindShowtime, actor.PropsFromProducer(func() actor.Actor { return newShowtimeGrain(e.env) },
			actor.WithDispatcher(e.dispatcher))),
		pcluster.NewKind(KindBooking, actor.PropsFromProducer(func() actor.Actor { return newBookingGrain(e.bookingEnv) },
			actor.WithDispatcher(e.dispatcher))),
	}
}

// epoch is Config.Epoch, 0 when unset.
func (e *Engine) epoch() uint64 {
	if e.cfg.Epoch == nil {
		return 0
	}
	return e.cfg.Epoch()
}

// healthy is Config.Healthy, true when unset.
func (e *Engine) healthy() bool { return e.cfg.Healthy == nil || e.cfg.Healthy() }

// Attach gives the engine the started cluster.
func (e *Engine) Attach(c *pcluster.Cluster) { e.cluster.Store(c) }

// Showtimes is the showtime service backed by showtime grains.
func (e *Engine) Showtimes() *Showtimes { return e.showtimes }

// JournalStats returns the counters of the node's seat journal committer
// (writes, showtimes and events written, commands refused as busy).
func (e *Engine) JournalStats() JournalStats { return e.env.journal.Stats() }

// JournalQueue is how many seat events wait for the journal committer to
// write them (commands that change seats are refused past
// journalEventsMax).
func (e *Engine) JournalQueue() int64 { return e.env.journal.events.Load() }

// JournalQueueCapacity is the bound of JournalQueue past which seat-changing
// commands are refused (503).
func (e *Engine) JournalQueueCapacity() int { return e.env.journal.eventsMax }

// Grains counts the grains live on this node: showtimes and bookings
// (idle ones passivate, so both stay bounded under steady load).
func (e *Engine) Grains() (showtimes, bookings int) {
	e.env.active.Range(func(_, _ any) bool { showtimes++; return true })
	return showtimes, int(e.bookingEnv.active.Load())
}

// ActiveShowtimes lists the showtime grains that live on this node.
func (e *Engine) ActiveShowtimes() []string {
	var ids []string
	e.env.active.Range(func(k, _ any) bool {
		ids = append(ids, k.(string))
		return true
	})
	slices.Sort(ids)
	return ids
}

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
	payments   *paymentClient // the booking grains' way to the payment actor
}

// initBookings wires the booking, payment and notification services; New
// calls it. Their actors are spawned by Start.
func (e *Engine) initBookings() {
	cfg := e.cfg
	provider := cfg.CardGateway
	if provider == nil {
		provider = noCardGateway{}
	}
	chargeTimeout := cfg.ChargeTimeout
	if chargeTimeout <= 0 {
		chargeTimeout = chargeTimeoutDefault
	}
	e.paymentSvc = &paymentService{store: cfg.Stores.Payments, provider: provider, clock: cfg.Clock,
		log: cfg.Logger.With("actor", "payments"), metrics: cfg.Metrics}
	e.notifier = newNotifier(cfg)
	e.life.payments = &paymentClient{}
	e.bookingEnv = &bookingEnv{
		bookings: cfg.Stores.Bookings, paymentStore: cfg.Stores.Payments, paymentLog: e.paymentSvc, catalog: cfg.Stores.Catalog,
		showtimes: e.showtimes, payments: e.life.payments, notifier: e.notifier,
		clock: cfg.Clock, log: cfg.Logger.With("kind", KindBooking), chargeTimeout: chargeTimeout,
		idleTimeout: cfg.BookingIdleTimeout, metrics: cfg.Metrics,
	}
	e.bookings = &Bookings{cluster: e.cluster.Load, store: cfg.Stores.Bookings, events: cfg.Stores.Events, catalog: cfg.Stores.Catalog,
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
// An engine stopped may be started again, after Attach of a new cluster
// (the node rejoined under a new member id).
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
	e.dispatcher.reopen() // an engine stopped and started again (a rejoin)
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
