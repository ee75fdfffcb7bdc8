package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/cluster"
	bohttp "github.com/boxoffice/boxoffice/http"
	"github.com/boxoffice/boxoffice/persistence"
	"github.com/boxoffice/boxoffice/webhook"
)

// stopTimeout bounds a clean stop: drain HTTP, finish writes, leave.
const stopTimeout = 10 * time.Second

// Main is one running node. Tests start it without flags.
type Main struct {
	Config Config
	Logger *slog.Logger
	Clock  boxoffice.Clock
	Stdout io.Writer

	Stores *boxoffice.Stores
	Engine *actors.Engine
	// Node is the cluster member as first started; a node that rejoins
	// the cluster (rejoin.go) starts a new one, which node holds.
	Node *cluster.Node
	// Gossip is the memberlist provider of a clustered node (PostgreSQL)
	// as first started, nil on the embedded store, a cluster of one; a
	// rejoin starts a new one, which gossip holds.
	Gossip *cluster.Memberlist
	HTTP   *bohttp.Server
	// ops serves /metrics (and with --ops-pprof Go's profiles); nil when
	// off. debug serves profiles and the debug clock (--debug-addr).
	ops   *sideServer
	debug *sideServer
	// debugClock is the node's clock when started with --debug-clock: the
	// debug listener moves it.
	debugClock *boxoffice.OffsetClock
	// stopSweeps ends the retention sweeps; sweepsDone is closed once
	// they have.
	stopSweeps context.CancelFunc
	sweepsDone chan struct{}
	// webhook delivers notifications when a webhook URL is set; Close
	// closes its idle connections once the engine has stopped.
	webhook *webhook.Sender
	// card is the simulated card gateway; on the embedded store it keeps
	// its charges in the data directory (see cardGateway).
	card *cardgateway.Simulator
	// remoteTLS secures the remote port of every member started.
	remoteTLS *cluster.RemoteTLS

	// node is the current cluster member, read by the self-fencing check,
	// which grains may run before Start has returned (a peer can activate
	// one here during the join); gossip is its provider.
	node   atomic.Pointer[cluster.Node]
	gossip atomic.Pointer[cluster.Memberlist]
	rejoin rejoiner
	// relay publishes the events outbox to the brokers; nil without any.
	relay *eventRelay
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: newLogger(stderr, cfg.LogLevel), Stdout: stdout}
	if err := m.Run(ctx); err != nil {
		cctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		return errors.Join(err, m.Close(cctx))
	}
	<-ctx.Done()
	m.Logger.Info("stopping", "timeout", stopTimeout)
	cctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := m.Close(cctx); err != nil {
		return err
	}
	m.Logger.Info("stopped")
	return nil
}

// Run starts the node: stores, actors, cluster, HTTP. It returns once the
// node serves; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	if m.Clock == nil {
		m.Clock = boxoffice.SystemClock{}
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	cfg := m.Config
	if cfg.DebugClock {
		m.debugClock = boxoffice.NewOffsetClock(m.Clock)
		m.Clock = m.debugClock
	}
	m.Logger.Info("starting", "version", version, "config", cfg.String())
	if cfg.DebugClock {
		m.Logger.Warn("the debug clock is on: the debug listener can move this node's time (fault tests only, never in production)")
	}
	if cfg.RateLimits.Off {
		m.Logger.Warn("rate limits are off: any client may register, log in, refresh and hold as fast as it likes (for load tests only)")
	}
	if cfg.SeatStreams.Off {
		m.Logger.Warn("seat stream limits are off: any client may hold open as many live seat streams as it likes, for ever (for load tests only)")
	}
	secret, err := m.jwtSecret()
	if err != nil {
		return err
	}
	remoteTLS, err := cfg.remoteTLS()
	if err != nil {
		return err
	}
	cfg.warnOpenCluster(m.Logger)
	stores := cfg.Persistence()
	stores.Logger = m.Logger
	m.Stores, err = persistence.Open(ctx, stores)
	if err != nil {
		return fmt.Errorf("open stores: %w", err)
	}
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
	var sender boxoffice.NotificationSender // the log only
	if cfg.WebhookURL != "" {
		var opts []webhook.Option
		if cfg.WebhookSecret != "" {
			opts = append(opts, webhook.WithSecret([]byte(cfg.WebhookSecret)))
		} else {
			m.Logger.Warn("webhook requests are not signed: set BOXOFFICE_NOTIFY_WEBHOOK_SECRET so the receiver can check they come from this install")
		}
		m.webhook = webhook.New(cfg.WebhookURL, opts...)
		sender = m.webhook
	}
	if m.card, err = m.cardGateway(); err != nil {
		return err
	}
	metrics := actors.NewMetrics()
	m.Engine = actors.New(actors.Config{
		Stores: m.Stores, Clock: m.Clock, HoldTTL: cfg.HoldTTL, IdleTimeout: cfg.IdleTimeout,
		CardGateway: m.card, NotificationSender: sender, Logger: m.Logger, Healthy: m.healthy,
		Epoch: m.epoch, FenceLoads: cfg.Clustered(), Gone: m.gone,
		HoldCaps: cfg.EngineHoldCaps(), Metrics: metrics,
	})
	if cfg.EngineHoldCaps() == (boxoffice.HoldCaps{}) {
		m.Logger.Warn("hold caps are off: one user may hold every seat (load tests and benchmarks only)")
	}
	m.remoteTLS = remoteTLS
	if err := m.startNode(ctx); err != nil {
		return err
	}
	m.Node, m.Gossip = m.node.Load(), m.gossip.Load()
	if err := m.Engine.Start(ctx); err != nil {
		return fmt.Errorf("start actors: %w", err)
	}
	m.relay = m.newRelay()
	reg := m.newRegistry(metrics)
	m.HTTP = bohttp.NewServer(bohttp.Config{
		Addr: cfg.HTTPAddr, Users: m.Stores.Users, Catalog: m.Stores.Catalog, Notifications: m.Stores.Notifications, Events: m.Stores.Events,
		Showtimes: m.Engine.Showtimes(), Bookings: m.Engine.Bookings(), JWTSecret: secret,
		Ready: m.ready, ClusterInfo: m.clusterInfo, Fenced: m.fenced, Clock: m.Clock, Logger: m.Logger,
		RateLimits: cfg.RateLimits, TrustedProxies: cfg.TrustedProxies, SeatStreams: cfg.SeatStreams,
		TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey, Registry: reg,
	})
	if err := m.HTTP.Open(); err != nil {
		return fmt.Errorf("open HTTP: %w", err)
	}
	m.startRejoin()
	if cfg.OpsOn() {
		if m.ops, err = startOps(cfg.OpsAddr, reg, cfg.OpsPprof); err != nil {
			return err
		}
		if cfg.OpsPprof {
			m.Logger.Warn("serving Go profiles on the ops listener: keep this address private", "ops_addr", m.ops.Addr())
		}
	}
	if cfg.DebugAddr != "" {
		if m.debug, err = startDebug(cfg.DebugAddr, m.debugClock, m.Logger); err != nil {
			return err
		}
		m.Logger.Warn("serving Go profiles: keep this address private", "debug_addr", m.debug.Addr())
	}
	m.startSweeps()
	m.relay.start()
	m.banner()
	return nil
}

// startSweeps runs the retention sweeps until Close.
func (m *Main) startSweeps() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopSweeps, m.sweepsDone = cancel, make(chan struct{})
	go func() {
		defer close(m.sweepsDone)
		m.Config.Retention.RunSweeps(ctx, m.Stores, m.Clock, m.Logger)
	}()
}

// Close stops the node within ctx: HTTP first (no new work), then the
// actors (in-flight writes finish), then the stores.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	m.stopRejoin()
	if m.ops != nil {
		errs = append(errs, m.ops.Close(ctx))
	}
	if m.debug != nil {
		errs = append(errs, m.debug.Close(ctx))
	}
	if m.HTTP != nil {
		errs = append(errs, m.HTTP.Close(ctx))
	}
	if m.Engine != nil {
		errs = append(errs, m.Engine.Stop(ctx))
	}
	if m.webhook != nil {
		m.webhook.Close()
	}
	if m.card != nil {
		errs = append(errs, m.card.Close())
	}
	if n := m.node.Load(); n != nil {
		errs = append(errs, n.Stop(ctx))
	}
	errs = append(errs, m.relay.close(ctx))
	if m.stopSweeps != nil {
		m.stopSweeps()
		select {
		case <-m.sweepsDone:
		case <-ctx.Done():
		}
	}
	if m.Stores != nil {
		errs = append(errs, m.Stores.Close())
	}
	return errors.Join(errs...)
}

// cardGatewayFile is the simulated card gateway's file in the data
// directory of a node on the embedded store.
const cardGatewayFile = "card-simulator.jsonl"

// cardGateway is the simulated card gateway. A single node on the embedded
// store keeps its charges in the data directory, so that after a crash it
// still refunds what it charged before (recovery and cancellations do); a
// clustered node keeps them in memory.
func (m *Main) cardGateway() (*cardgateway.Simulator, error) {
	if m.Config.Clustered() {
		return cardgateway.NewBoundedSimulator(cmp.Or(m.Config.CardChargesMax, cardgateway.ChargesMax)), nil
	}
	return cardgateway.OpenSimulator(filepath.Join(m.Config.DataDir, cardGatewayFile))
}

// startNode starts a cluster member with a new provider, and makes it the
// node's (Run, and each rejoin).
func (m *Main) startNode(ctx context.Context) error {
	cfg := m.Config
	n, err := cluster.Start(ctx, cluster.Config{
		Name: cfg.Node, RemoteAddr: cfg.RemoteAddr, AdvertiseHost: cfg.Advertise, RemoteTLS: m.remoteTLS,
		Kinds: m.Engine.Kinds(), Provider: m.provider(), Logger: m.Logger,
		BeforeJoin: m.Engine.Attach, // grains activated during the join call others
	})
	if err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	m.node.Store(n)
	return nil
}

// provider is a new cluster provider: memberlist gossip on PostgreSQL (a
// node without --join is a cluster of one that others can join), a single
// node without gossip on the embedded store. The memberlist one becomes
// the node's gossip at once, so that the fencing check sees it while the
// member joins.
func (m *Main) provider() pcluster.ClusterProvider {
	cfg := m.Config
	if !cfg.Clustered() {
		return cluster.NewSingle()
	}
	mc := cluster.MemberlistConfig{
		Name: cfg.Node, GossipAddr: cfg.GossipAddr, HTTPAddr: advertised(cfg.HTTPAddr, cfg.Advertise),
		Seeds: cfg.Join, SecretKey: cfg.ClusterKey, Logger: m.Logger,
	}
	if cfg.Advertise != "" {
		mc.AdvertiseAddr = cfg.Advertise // the bound gossip port
	}
	g := cluster.NewMemberlist(mc)
	m.gossip.Store(g)
	return g
}

// advertised is addr with a wildcard host replaced by the advertised one:
// the HTTP address in the node's metadata must be one others can use.
func advertised(addr, host string) string {
	h, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || !cluster.IsWildcard(h) {
		return addr
	}
	return net.JoinHostPort(host, port)
}

// healthy is the self-fencing check of the showtime grains (see
// actors.Config.Healthy): the node's verdict once started, the gossip
// provider's while starting.
func (m *Main) healthy() bool {
	if n := m.node.Load(); n != nil {
		return n.Healthy()
	}
	if g := m.gossip.Load(); g != nil {
		return g.Healthy()
	}
	return true
}

// epoch is the fence epoch of the node's current member (see
// cluster.Memberlist.Epoch), counted on from the members before it: a
// rejoin starts a new member whose own count starts at zero again.
func (m *Main) epoch() uint64 {
	e := m.rejoin.rejoins.Load() << 32
	if g := m.gossip.Load(); g != nil {
		e += g.Epoch()
	}
	return e
}

// gone is the current member's Memberlist.Gone; false for a single node.
func (m *Main) gone(memberID string) bool {
	g := m.gossip.Load()
	return g != nil && g.Gone(memberID)
}

// ready answers /readyz: the node has not fenced itself and every store
// answers.
func (m *Main) ready(ctx context.Context) error {
	if !m.healthy() {
		return fmt.Errorf("cluster: %s", m.unhealthyReason())
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return m.Stores.Ping(ctx)
}

func (m *Main) unhealthyReason() string {
	if s, _ := m.rejoin.state.Load().(string); s != "" {
		return s
	}
	if g := m.gossip.Load(); g != nil {
		if h := g.Health(); !h.Healthy {
			return h.Reason
		}
	}
	return "stopping"
}

// clusterSelf is this node in GET /api/v1/cluster.
type clusterSelf struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Healthy bool   `json:"healthy"`
	Reason  string `json:"reason,omitempty"` // why not healthy
	// Rejoins counts the times this process rejoined the cluster under a
	// new member id after the others had blocked it.
	Rejoins uint64          `json:"rejoins"`
	Health  *cluster.Health `json:"health,omitempty"` // the gossip view, when clustered
}

// clusterInfo answers GET /api/v1/cluster: this node, the members it
// knows (departed ones too, for a while) and the showtime grains active
// here.
func (m *Main) clusterInfo(ctx context.Context) (any, error) {
	n := m.node.Load()
	self := clusterSelf{ID: n.ID(), Name: m.Config.Node, Healthy: m.healthy(), Rejoins: m.rejoin.rejoins.Load()}
	var members []cluster.MemberInfo
	if g := m.gossip.Load(); g != nil {
		h := g.Health()
		self.Health = &h
		members = g.Members()
	} else {
		members = []cluster.MemberInfo{{
			ID: n.ID(), Name: m.Config.Node, HTTP: strings.TrimPrefix(m.HTTP.URL(), "http://"),
			Remote: n.Address(), Status: cluster.StatusAlive, Self: true,
		}}
	}
	if !self.Healthy {
		self.Reason = m.unhealthyReason()
	}
	return map[string]any{"self": self, "members": members, "showtimes": nonNil(m.Engine.ActiveShowtimes())}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (m *Main) banner() {
	url := m.HTTP.URL()
	var b strings.Builder
	fmt.Fprintf(&b, "\nboxoffice %s is serving at %s\n", version, url)
	fmt.Fprintf(&b, "  API:      %s/api/v1/showtimes\n", url)
	fmt.Fprintf(&b, "  OpenAPI:  %s/openapi.json\n", url)
	fmt.Fprintf(&b, "  Health:   %s/healthz  %s/readyz\n", url, url)
	if m.ops != nil {
		fmt.Fprintf(&b, "  Metrics:  %s/metrics\n", m.OpsURL())
		if m.Config.OpsPprof {
			fmt.Fprintf(&b, "  Profiles: %s/debug/pprof/ (keep private)\n", m.OpsURL())
		}
	}
	if m.Config.Persistence().Postgres() {
		fmt.Fprintf(&b, "  Stores:   PostgreSQL, databases %s_<service>\n", m.Config.DatabasePrefix)
	} else {
		fmt.Fprintf(&b, "  Stores:   SQLite files in %s\n", m.Config.DataDir)
	}
	if m.Config.AdminEmail != "" {
		fmt.Fprintf(&b, "  Admin:    %s (password from BOXOFFICE_ADMIN_PASSWORD)\n", m.Config.AdminEmail)
	}
	if m.debugClock != nil && m.debug != nil {
		fmt.Fprintf(&b, "  Debug clock (development only): POST http://%s/debug/clock?offset=DURATION\n", m.debug.Addr())
	}
	if m.Config.Demo {
		fmt.Fprintf(&b, "  Demo user (dev default, change it): %s / %s\n", demoUserEmail, demoUserPassword)
	}
	fmt.Fprintln(m.Stdout, b.String())
}

// OpsURL is the ops listener's base URL (http://host:port), "" when it is
// off.
func (m *Main) OpsURL() string {
	if m.ops == nil {
		return ""
	}
	return "http://" + m.ops.Addr()
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
