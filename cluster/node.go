package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
)

// Config describes one cluster node.
type Config struct {
	Name        string // node name (cluster member display name)
	ClusterName string // default "boxoffice"
	// RemoteAddr is the host:port actor remoting listens on; port 0 picks a
	// free one. Default "127.0.0.1:0".
	RemoteAddr string
	// AdvertiseHost is the host other nodes dial; required when RemoteAddr
	// binds every interface (":7000", "0.0.0.0:7000").
	AdvertiseHost string
	// RemoteTLS, when set, secures the remote port with mutual TLS: a
	// node without a certificate of the same CA can neither send to this
	// node's grains nor receive from them. Nil: plain gRPC.
	RemoteTLS *RemoteTLS
	Kinds     []*pcluster.Kind         // protoactor kinds to host (showtime, booking...)
	Provider  pcluster.ClusterProvider // nil = single node (self only)
	// BeforeJoin, if set, runs with the cluster once it is built and
	// before it joins: peers may activate grains here as soon as they see
	// this node, before Start returns, and those grains may need the
	// cluster (to call other grains) already.
	BeforeJoin func(*pcluster.Cluster)
	// RequestTimeout bounds a grain call whose context has no deadline.
	// Default 5s.
	RequestTimeout time.Duration
	Logger         *slog.Logger // nil = discard
	// LibraryLevel is the minimum level of protoactor's own log records.
	// Default slog.LevelWarn: the library is chatty at Info.
	LibraryLevel slog.Leveler
}

const (
	defaultClusterName    = "boxoffice"
	defaultRemoteAddr     = "127.0.0.1:0"
	defaultRequestTimeout = 5 * time.Second
)

func (cfg Config) withDefaults() Config {
	if cfg.ClusterName == "" {
		cfg.ClusterName = defaultClusterName
	}
	if cfg.RemoteAddr == "" {
		cfg.RemoteAddr = defaultRemoteAddr
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultRequestTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	if cfg.LibraryLevel == nil {
		cfg.LibraryLevel = slog.LevelWarn
	}
	if cfg.Provider == nil {
		cfg.Provider = NewSingle()
	}
	return cfg
}

// Node is a started cluster member. Its methods are safe for concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	system   *actor.ActorSystem
	cluster  *pcluster.Cluster
	stopOnce sync.Once
	stopped  chan struct{} // closed when the shutdown sequence has finished
	stopErr  error         // written before stopped is closed
	killOnce sync.Once
	stopping atomic.Bool
}

// Start starts a cluster member and returns once it has joined (or failed
// to). A start that outlives ctx is abandoned: Start returns ctx's error and
// the half-started member is stopped in the background when it finishes.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	for _, k := range cfg.Kinds {
		if k == nil || k.Kind == "" || k.Props == nil {
			return nil, errors.New("cluster: every kind needs a name and props")
		}
	}
	if p, ok := cfg.Provider.(interface{ defaultName(string) }); ok {
		p.defaultName(cfg.Name)
	}
	rc, err := remoteConfig(cfg.RemoteAddr, cfg.AdvertiseHost)
	if err != nil {
		return nil, err
	}
	if cfg.RemoteTLS != nil {
		for _, o := range cfg.RemoteTLS.options() {
			o(rc)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cluster: start: %w", err)
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(libraryLogger(cfg.Logger, cfg.LibraryLevel)))
	cc := pcluster.Configure(cfg.ClusterName, cfg.Provider, disthash.New(), rc,
		pcluster.WithKinds(withDelivery(cfg.Kinds)...),
		pcluster.WithRequestTimeout(cfg.RequestTimeout))
	n := &Node{
		cfg:     cfg,
		log:     cfg.Logger.With("node", cfg.Name),
		system:  system,
		stopped: make(chan struct{}),
	}

	done := make(chan error, 1)
	go func() { done <- n.startMember(cc) }()
	select {
	case err := <-done:
		if err != nil {
			n.teardownFailed()
			return nil, err
		}
	case <-ctx.Done():
		go func() {
			if err := <-done; err != nil {
				n.teardownFailed()
				return
			}
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = n.Stop(sctx)
		}()
		return nil, fmt.Errorf("cluster: start: %w", ctx.Err())
	}
	n.log.Info("cluster node started", "address", n.Address(), "id", system.ID, "cluster", cfg.ClusterName, "tls", cfg.RemoteTLS != nil)
	return n, nil
}

// startMember builds the protoactor cluster and joins it, turning the
// library's panics into an error.
func (n *Node) startMember(cc *pcluster.Config) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cluster: start member: %v", r)
		}
	}()
	c := pcluster.New(n.system, cc)
	n.cluster = c
	// Subscribe before StartMember so the first topology is seen.
	installPlacement(c)
	installReplies(n.system)
	if n.cfg.BeforeJoin != nil {
		n.cfg.BeforeJoin(c)
	}
	c.StartMember() // sleeps 1s after the provider has started
	return nil
}

// teardownFailed releases what a failed start may have opened (the remote
// listener above all), ignoring further panics: the start already failed.
func (n *Node) teardownFailed() {
	c := n.cluster
	if c == nil {
		return
	}
	step := func(name string, f func()) {
		defer func() {
			if r := recover(); r != nil {
				n.log.Debug("cluster: teardown after failed start", "step", name, "panic", r)
			}
		}()
		f()
	}
	step("provider", func() { _ = c.Config.ClusterProvider.Shutdown(false) })
	step("actor system", n.system.Shutdown)
	step("gossip", c.Gossip.Shutdown)
	step("remote", func() { c.Remote.Shutdown(false) })
}

// System is the node's actor system.
func (n *Node) System() *actor.ActorSystem { return n.system }

// Cluster is the node's protoactor cluster; call grains with Request.
func (n *Node) Cluster() *pcluster.Cluster { return n.cluster }

// Address is the actor remote address (host:port) other nodes dial.
func (n *Node) Address() string { return n.system.Address() }

// Healthy reports whether this node may keep serving: false once Stop has
// begun, else the provider's verdict when it has one (Memberlist.Health
// documents the rule), else true.
func (n *Node) Healthy() bool {
	if n.stopping.Load() {
		return false
	}
	if h, ok := n.cfg.Provider.(interface{ Healthy() bool }); ok {
		return h.Healthy()
	}
	return true
}

// ID is the member id (the actor system id), unique per process start.
func (n *Node) ID() string { return n.system.ID }
