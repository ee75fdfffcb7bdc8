package actors

import (
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice"
)

// Config is what the actors of a node need.
type Config struct {
	Stores      *boxoffice.Stores
	Clock       boxoffice.Clock // default SystemClock
	HoldTTL     time.Duration   // default boxoffice.HoldTTLDefault
	IdleTimeout time.Duration   // an idle showtime grain passivates after it; default 10m
	Logger      *slog.Logger    // default slog.Default()

	// Payments is the card gateway; default a simulated Gateway.
	Payments boxoffice.PaymentProvider
	// ChargeTimeout bounds one card gateway call; default 10s.
	ChargeTimeout time.Duration
	// WebhookURL, when set, receives every notification as a JSON POST
	// (environment: BOXOFFICE_NOTIFY_WEBHOOK_URL, see EnvWebhookURL).
	WebhookURL string
	// NotifySweepEvery is how often the outbox is read for notifications
	// that are due (retries, leftovers of a crash); default 1s.
	NotifySweepEvery time.Duration
	// RecoverEvery is how often bookings left pending or cancelling are
	// resumed (also once at Start); default 1m.
	RecoverEvery time.Duration
	// Healthy reports whether this node may serve showtimes (self-fencing:
	// see cluster.Memberlist.Health). While it is false the Showtimes
	// client answers EUNAVAILABLE without calling, and showtime grains
	// here refuse commands with EUNAVAILABLE and stop. Nil: always.
	// Called on every showtime command, so it must be cheap.
	Healthy func() bool
}

// Engine is the actor side of boxoffice on one node: the cluster kinds it
// hosts and the clients that reach them.
type Engine struct {
	cfg     Config
	env     *env
	cluster atomic.Pointer[cluster.Cluster]

	showtimes *Showtimes

	// dispatcher runs the grains' mailboxes (dispatcher.go).
	dispatcher *dispatcher

	// The booking, payment and notification services (booking.go,
	// payment.go, notification.go); started by Start (recovery.go).
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
		cfg.IdleTimeout = idleTimeoutBase
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := &Engine{cfg: cfg, dispatcher: newDispatcher()}
	e.env = &env{
		catalog: cfg.Stores.Catalog, seats: cfg.Stores.Seats, clock: cfg.Clock, log: cfg.Logger,
		holdTTL: cfg.HoldTTL, idleTimeout: cfg.IdleTimeout,
	}
	e.showtimes = &Showtimes{cluster: e.cluster.Load, clock: cfg.Clock, holdTTL: cfg.HoldTTL, healthy: e.healthy}
	e.initBookings()
	return e
}

// Kinds returns the cluster kinds this node hosts.
func (e *Engine) Kinds() []*cluster.Kind {
	return []*cluster.Kind{
		cluster.NewKind(KindShowtime, actor.PropsFromProducer(func() actor.Actor {
			g := newShowtimeGrain(e.env).(*showtimeGrain)
			g.healthy = e.healthy
			return g
		}, actor.WithDispatcher(e.dispatcher))),
		cluster.NewKind(KindBooking, actor.PropsFromProducer(func() actor.Actor { return newBookingGrain(e.bookingEnv) },
			actor.WithDispatcher(e.dispatcher))),
	}
}

// healthy is Config.Healthy, true when unset.
func (e *Engine) healthy() bool { return e.cfg.Healthy == nil || e.cfg.Healthy() }

// Attach gives the engine the started cluster.
func (e *Engine) Attach(c *cluster.Cluster) { e.cluster.Store(c) }

// Holds is the hold service backed by showtime grains.
func (e *Engine) Holds() *Showtimes { return e.showtimes }

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
