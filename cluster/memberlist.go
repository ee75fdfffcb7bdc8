package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// MemberlistConfig configures the memberlist ClusterProvider. Zero fields
// take the defaults noted; the probe defaults find a dead node in about
// 2-4s on a LAN or loopback (memberlist's LAN defaults take 5-10s).
type MemberlistConfig struct {
	// Name is the display name in metadata, stable across restarts (the
	// quorum in Health counts names). Default: Config.Name, else the
	// member id.
	Name string
	// GossipAddr is the host:port memberlist binds (UDP and TCP); the host
	// may be a name, bound to the address it resolves to, or empty or
	// 0.0.0.0 for every interface (then set AdvertiseAddr). Default
	// "127.0.0.1:0".
	GossipAddr string
	// AdvertiseAddr is the host[:port] others dial when it is not
	// GossipAddr: a name (resolved at start; memberlist gossips IPs) or
	// an IP. Without a port, or with port 0, the bound port.
	AdvertiseAddr string
	HTTPAddr      string   // HTTP API address, carried in metadata
	Seeds         []string // gossip addresses to join; none = first node
	// Label separates clusters: memberlist drops packets with another
	// label. Default: the protoactor cluster name (Config.ClusterName).
	Label string
	// SecretKey, when set, encrypts and authenticates every gossip packet
	// (AES-256-GCM, GossipKeyLen bytes): a node without the same key can
	// neither join nor read the member list. Empty: plain gossip.
	SecretKey     []byte
	ProbeInterval time.Duration // default 500ms
	ProbeTimeout  time.Duration // default 250ms
	SuspicionMult int           // default 3
	// SuspicionMaxTimeoutMult bounds a suspicion nobody confirms (a lone
	// survivor's) at this many times the minimum; default 2 (memberlist: 6).
	SuspicionMaxTimeoutMult int
	GossipInterval          time.Duration // default 100ms
	Quiet                   time.Duration // events coalesce until this long without one; default 200ms
	LeaveTimeout            time.Duration // bound of the leave broadcast at shutdown; default 2s
	// RejoinInterval is how often a node with no alive peer retries its
	// seeds, and the period of upkeep; default 2s.
	RejoinInterval time.Duration
	ForgetAfter    time.Duration // departed members are listed this long; default 5m
	MaxHealthScore int           // Health fails at this memberlist score; default 4 (max is 7)
	// PauseLimit: a process that stood still longer than this (SIGSTOP, a
	// frozen VM) fences itself, since its peers may have declared it dead
	// meanwhile (see Health). Default: the shortest suspicion timeout,
	// SuspicionMult x ProbeInterval (1.5s with the defaults).
	PauseLimit time.Duration
	// PauseProbation is how long a pause fences the node; a peer's blocked
	// notice, which arrives within a second or two if it was declared dead,
	// then fences it for as long as this member lives (see Health). Default
	// 10s (twice the notice period).
	PauseProbation time.Duration
	// LeaseTimeout: a node of a cluster of two or more serves only while
	// enough peers for a majority answered its probes within this long
	// (see Health). It must stay below the earliest moment the peers can
	// declare this node dead, about ProbeInterval + SuspicionMult x
	// ProbeInterval (2s with the defaults), so that a node cut off stops
	// serving from memory before another node may take its showtimes over.
	// Default (2 x SuspicionMult - 1) x ProbeInterval / 2 (1.25s).
	LeaseTimeout time.Duration
	Logger       *slog.Logger // nil = discard
	LogLevel     slog.Leveler // minimum level of memberlist's own logs; default Warn
}

func (cfg MemberlistConfig) withDefaults() MemberlistConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.GossipAddr == "" {
		cfg.GossipAddr = "127.0.0.1:0"
	}
	def(&cfg.ProbeInterval, 500*time.Millisecond)
	def(&cfg.ProbeTimeout, 250*time.Millisecond)
	def(&cfg.GossipInterval, 100*time.Millisecond)
	def(&cfg.Quiet, 200*time.Millisecond)
	def(&cfg.LeaveTimeout, 2*time.Second)
	def(&cfg.RejoinInterval, 2*time.Second)
	def(&cfg.ForgetAfter, 5*time.Minute)
	if cfg.SuspicionMult <= 0 {
		cfg.SuspicionMult = 3
	}
	if cfg.SuspicionMaxTimeoutMult <= 0 {
		cfg.SuspicionMaxTimeoutMult = 2
	}
	if cfg.MaxHealthScore <= 0 {
		cfg.MaxHealthScore = 4
	}
	def(&cfg.PauseLimit, time.Duration(cfg.SuspicionMult)*cfg.ProbeInterval)
	def(&cfg.PauseProbation, 2*blockedNoticeEvery)
	def(&cfg.LeaseTimeout, time.Duration(2*cfg.SuspicionMult-1)*cfg.ProbeInterval/2)
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	if cfg.LogLevel == nil {
		cfg.LogLevel = slog.LevelWarn
	}
	return cfg
}

// Memberlist is a protoactor ClusterProvider backed by hashicorp/memberlist.
// Node ids are actor system ids, so a restarted process is a new member.
// One value serves one StartMember.
type Memberlist struct {
	cfg      MemberlistConfig
	log      *slog.Logger
	coalesce *coalescer

	started   atomic.Bool
	ml        atomic.Pointer[memberlist.Memberlist]
	down      atomic.Bool
	meta      atomic.Pointer[[]byte]
	blockedBy atomic.Value // string: name of a peer that blocked us
	alive     atomic.Int32 // quorum as of the latest flush: see Health
	known     atomic.Int32
	pause     *pauseWatch
	resync    chan struct{} // a pause was noticed: exchange state with peers
	lease     lease         // a majority's recent probe answers: see Health
	epoch     atomic.Uint64 // fence epoch: see Epoch

	mu      sync.Mutex
	self    string // member id
	name    string // display name
	cluster *pcluster.Cluster
	peers   map[string]*peer // by member id
	blocked map[string]bool  // ids protoactor here has blocked

	stop     context.CancelFunc
	wg       sync.WaitGroup
	shutOnce sync.Once
	shutErr  error
}

var _ pcluster.ClusterProvider = (*Memberlist)(nil)

// NewMemberlist returns a provider; it starts with the node.
func NewMemberlist(cfg MemberlistConfig) *Memberlist {
	cfg = cfg.withDefaults()
	p := &Memberlist{
		cfg:     cfg,
		log:     cfg.Logger,
		peers:   map[string]*peer{},
		blocked: map[string]bool{},
	}
	p.coalesce = newCoalescer(cfg.Quiet, 10*cfg.Quiet, p.flush)
	p.resync = make(chan struct{}, 1)
	p.pause = newPauseWatch(cfg.PauseLimit, cfg.PauseProbation, p.paused)
	p.lease.base = time.Now()
	return p
}

// defaultName lets Start name the node after Config.Name when
// MemberlistConfig.Name is empty: the quorum rule counts nodes by name, so
// it must survive restarts.
func (p *Memberlist) defaultName(name string) {
	if p.cfg.Name == "" {
		p.cfg.Name = name
	}
}

// StartMember creates the memberlist node, joins the seeds, pushes a first
// topology and starts the coalescer.
func (p *Memberlist) StartMember(c *pcluster.Cluster) error {
	if !p.started.CompareAndSwap(false, true) {
		return errors.New("cluster: memberlist provider already started")
	}
	self, err := selfMember(c)
	if err != nil {
		return err
	}
	meta := nodeMeta{Name: p.cfg.Name, Remote: self.Address(), HTTP: p.cfg.HTTPAddr, Kinds: self.Kinds}
	if meta.Name == "" {
		meta.Name = self.Id
	}
	b, err := meta.encode()
	if err != nil {
		return err
	}
	p.meta.Store(&b)
	p.mu.Lock()
	p.self, p.name, p.cluster = self.Id, meta.Name, c
	p.mu.Unlock()
	p.log = p.cfg.Logger.With("node", meta.Name)

	conf, err := p.memberlistConfig(self.Id, c.Config.Name)
	if err != nil {
		return err
	}
	ml, err := memberlist.Create(conf) // calls NotifyJoin for self
	if err != nil {
		return fmt.Errorf("cluster: memberlist: %w", err)
	}
	p.ml.Store(ml)
	p.join()
	p.flush() // serve our own kinds at once

	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	p.wg.Add(4)
	go func() { defer p.wg.Done(); p.coalesce.run(ctx) }()
	go func() { defer p.wg.Done(); p.beat(ctx) }()
	go func() { defer p.wg.Done(); p.upkeep(ctx) }()
	go func() { defer p.wg.Done(); p.pause.run(ctx) }()
	p.log.Info("memberlist started", "gossip", ml.LocalNode().Address(), "label", conf.Label, "encrypted", len(conf.SecretKey) > 0, "members", ml.NumMembers())
	return nil
}

func (p *Memberlist) memberlistConfig(id, clusterName string) (*memberlist.Config, error) {
	conf := memberlist.DefaultLANConfig()
	conf.Name = id
	var err error
	conf.BindAddr, conf.BindPort, err = bindAddr(p.cfg.GossipAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster: gossip address %q: %w", p.cfg.GossipAddr, err)
	}
	// DefaultLANConfig advertises port 7946; memberlist replaces it only
	// when it picks the bind port itself.
	conf.AdvertisePort = conf.BindPort
	if p.cfg.AdvertiseAddr != "" {
		ip, port, err := advertiseAddr(p.cfg.AdvertiseAddr)
		if err != nil {
			return nil, fmt.Errorf("cluster: advertise address %q: %w", p.cfg.AdvertiseAddr, err)
		}
		conf.AdvertiseAddr = ip
		if port != 0 {
			conf.AdvertisePort = port
		}
	}
	conf.Label = p.cfg.Label
	if conf.Label == "" {
		conf.Label = clusterName
	}
	if len(p.cfg.SecretKey) > 0 {
		if err := checkGossipKey(p.cfg.SecretKey); err != nil {
			return nil, fmt.Errorf("cluster: %w", err)
		}
		// memberlist then refuses plain packets both ways (GossipVerify*).
		conf.SecretKey = p.cfg.SecretKey
	}
	conf.ProbeInterval = p.cfg.ProbeInterval
	conf.ProbeTimeout = p.cfg.ProbeTimeout
	conf.SuspicionMult = p.cfg.SuspicionMult
	conf.SuspicionMaxTimeoutMult = p.cfg.SuspicionMaxTimeoutMult
	conf.GossipInterval = p.cfg.GossipInterval
	// Bounds a Join (and push/pull) to an unreachable seed; Shutdown waits
	// for a rejoin in flight. memberlist's LAN default is 10s.
	conf.TCPTimeout = 3 * time.Second
	d := &mlDelegate{p: p}
	conf.Delegate, conf.Events, conf.Ping = d, d, d
	conf.Logger = memberlistLogger(slog.New(&levelHandler{min: p.cfg.LogLevel, next: p.log.Handler()}).With("lib", "memberlist"))
	return conf, nil
}

// StartClient is not supported: every node hosts grains.
func (p *Memberlist) StartClient(*pcluster.Cluster) error {
	return errors.New("cluster: memberlist provider has no client mode")
}

// GossipAddr is the memberlist address (host:port) to give others as a
// seed; "" before StartMember.
func (p *Memberlist) GossipAddr() string {
	if ml := p.ml.Load(); ml != nil {
		return ml.LocalNode().Address()
	}
	return ""
}

// join tries the seeds other than ourselves; failure is logged, not fatal:
// upkeep retries while we have no peer, so nodes may start in any order.
func (p *Memberlist) join() {
	ml := p.ml.Load()
	own := ml.LocalNode().Address()
	var seeds []string
	for _, s := range p.cfg.Seeds {
		if s != "" && s != own && s != p.cfg.GossipAddr {
			seeds = append(seeds, s)
		}
	}
	if len(seeds) == 0 {
		return
	}
	if n, err := ml.Join(seeds); err != nil {
		p.log.Warn("memberlist: join failed, will retry", "seeds", seeds, "error", err)
	} else {
		p.log.Debug("memberlist: joined", "contacted", n)
	}
}

// upkeep retries the seeds while alone and re-runs flush periodically, so
// that a blocked peer's notice is repeated and suspects show.
func (p *Memberlist) upkeep(ctx context.Context) {
	t := time.NewTicker(p.cfg.RejoinInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.resync:
			p.pushPull()
			continue
		}
		if ml := p.ml.Load(); ml != nil && ml.NumMembers() <= 1 {
			p.join()
		}
		if alive, known := p.alive.Load(), p.known.Load(); 2*alive <= known {
			// In a minority: the peers it declared dead may be back (a
			// healed partition) while both sides, each thinking the other
			// dead, no longer probe. Ask them, as after a pause.
			p.pushPull()
		}
		p.coalesce.Kick()
	}
}

// leaseBack logs the end of a lease lapse, which starts a probation.
func (p *Memberlist) leaseBack() {
	p.epoch.Add(1)
	p.log.Warn("cluster: the peers answer again after a silence longer than the lease; fencing until the peers confirm",
		"lease", p.cfg.LeaseTimeout, "probation", p.cfg.PauseProbation)
}

// paused is the pause watch's report: the process stood still for gap.
// It may run on any goroutine (whichever asked Health first), so it only
// logs and hands the state exchange to upkeep.
func (p *Memberlist) paused(gap time.Duration) {
	p.epoch.Add(1)
	p.log.Warn("cluster: this process stood still longer than the failure timeout; fencing until the peers confirm",
		"paused", gap.Round(time.Millisecond), "limit", p.cfg.PauseLimit, "probation", p.cfg.PauseProbation)
	select {
	case p.resync <- struct{}{}:
	default:
	}
}

// pushPull exchanges full state with every peer not known to have left.
// After a pause it is the quickest way to learn that the peers declared us
// dead: memberlist then refutes, the peers see us alive again, and a peer
// that has blocked us tells us so. Without it a pause longer than
// memberlist's gossip-to-the-dead time (30s) would only be noticed at the
// next periodic push-pull.
func (p *Memberlist) pushPull() {
	ml := p.ml.Load()
	if ml == nil {
		return
	}
	var addrs []string
	p.mu.Lock()
	for id, pr := range p.peers {
		if id != p.self && pr.state != StatusLeft {
			addrs = append(addrs, pr.node.Address())
		}
	}
	p.mu.Unlock()
	if len(addrs) == 0 {
		return
	}
	if _, err := ml.Join(addrs); err != nil {
		p.log.Warn("memberlist: state exchange with the peers failed", "error", err)
	}
}

// flush pushes the current member list into protoactor and tells blocked
// peers so.
func (p *Memberlist) flush() {
	members, notify := p.topology()
	p.mu.Lock()
	c := p.cluster
	p.mu.Unlock()
	c.MemberList.UpdateClusterTopology(members)
	for _, n := range notify {
		p.sendBlocked(n)
	}
}

// Shutdown announces the leave (when graceful), leaves memberlist and stops
// the coalescer. Bounded by LeaveTimeout twice (metadata update, then
// leave). Idempotent.
func (p *Memberlist) Shutdown(graceful bool) error {
	p.shutOnce.Do(func() { p.shutErr = p.shutdown(graceful) })
	return p.shutErr
}

func (p *Memberlist) shutdown(graceful bool) error {
	if p.stop != nil {
		p.stop()
		p.wg.Wait()
	}
	ml := p.ml.Load()
	if ml == nil {
		return nil
	}
	var errs []error
	if graceful {
		// A leave that no peer acknowledged in time (they are stopping
		// too, or unreachable) is not a failed stop: the peers will find
		// out by failure detection, a few seconds later.
		if err := p.announceLeaving(ml); err != nil {
			p.log.Warn("memberlist: leave not announced", "error", err)
		}
		if err := ml.Leave(p.cfg.LeaveTimeout); err != nil {
			p.log.Warn("memberlist: leave not acknowledged; peers will detect the departure", "error", err)
		}
	}
	p.down.Store(true)
	if err := ml.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("memberlist shutdown: %w", err))
	}
	return errors.Join(errs...)
}

// announceLeaving sets the leaving flag in our metadata, so peers take us
// out of their topology (and move our grains) before we go, and count us
// as left, not dead.
func (p *Memberlist) announceLeaving(ml *memberlist.Memberlist) error {
	b := *p.meta.Load()
	meta, err := decodeMeta(b)
	if err != nil {
		return err
	}
	meta.Leaving = true
	if b, err = meta.encode(); err != nil {
		return err
	}
	p.meta.Store(&b)
	if err := ml.UpdateNode(p.cfg.LeaveTimeout); err != nil {
		return fmt.Errorf("memberlist announce leave: %w", err)
	}
	return nil
}
