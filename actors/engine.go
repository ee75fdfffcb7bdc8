package actors

import (
	"log/slog"
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
}

// Engine is the actor side of boxoffice on one node: the cluster kinds it
// hosts and the clients that reach them.
type Engine struct {
	cfg     Config
	env     *env
	cluster atomic.Pointer[cluster.Cluster]

	showtimes *Showtimes
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
	e := &Engine{cfg: cfg}
	e.env = &env{
		catalog: cfg.Stores.Catalog, seats: cfg.Stores.Seats, clock: cfg.Clock, log: cfg.Logger,
		holdTTL: cfg.HoldTTL, idleTimeout: cfg.IdleTimeout,
	}
	e.showtimes = &Showtimes{cluster: e.cluster.Load, clock: cfg.Clock, holdTTL: cfg.HoldTTL}
	return e
}

// Kinds returns the cluster kinds this node hosts.
func (e *Engine) Kinds() []*cluster.Kind {
	return []*cluster.Kind{
		cluster.NewKind(KindShowtime, actor.PropsFromProducer(func() actor.Actor { return newShowtimeGrain(e.env) })),
	}
}

// Attach gives the engine the started cluster.
func (e *Engine) Attach(c *cluster.Cluster) { e.cluster.Store(c) }

// Holds is the hold service backed by showtime grains.
func (e *Engine) Holds() *Showtimes { return e.showtimes }
