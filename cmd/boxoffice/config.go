package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/cluster"
	bohttp "github.com/boxoffice/boxoffice/http"
	"github.com/boxoffice/boxoffice/persistence"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// Config is everything `boxoffice serve` reads from flags and environment.
// Every flag has an environment twin; a flag given on the command line wins.
type Config struct {
	HTTPAddr       string
	DataDir        string
	DatabaseURL    string
	DatabasePrefix string
	ServiceURLs    map[string]string // BOXOFFICE_<SERVICE>_DATABASE_URL
	JWTSecret      string
	HoldTTL        time.Duration
	IdleTimeout    time.Duration
	Retention      persistence.Retention
	CardChargesMax int // charges the simulated card gateway remembers; 0: cardgateway.ChargesMax
	Demo           bool
	Node           string
	GossipAddr     string
	RemoteAddr     string
	Advertise      string // host others reach this node by, when it binds every interface
	Join           []string
	AdminEmail     string
	AdminPassword  string
	WebhookURL     string
	WebhookSecret  string // signs webhook requests; BOXOFFICE_NOTIFY_WEBHOOK_SECRET
	LogLevel       string
	OpsAddr        string // the ops listener (/metrics); "" or "off": none
	OpsPprof       bool   // the ops listener serves Go profiles too
	DebugAddr      string // pprof listener; empty: off
	DebugClock     bool   // the node's clock takes an offset set on the debug listener
	RateLimits     bohttp.RateLimits
	TrustedProxies []*net.IPNet // proxies whose X-Forwarded-For names the client
	HoldCapsMode   string       // "on" or "off": off switches every hold cap off (load tests)
	HoldCaps       boxoffice.HoldCaps
	TLSCert        string                  // PEM certificate file: the HTTP listener serves HTTPS
	TLSKey         string                  // its PEM private key file
	SeatStreams    bohttp.SeatStreamLimits // live seat feed bounds
	Events         Events                  // the brokers the events outbox is published to

	// DBMaxConns sizes every PostgreSQL pool, DBServiceMaxConns single
	// services' (--db-max-conns); unset: postgres.MaxConnsDefault.
	DBMaxConns        int32
	DBServiceMaxConns map[string]int32

	// ClusterKey encrypts gossip (BOXOFFICE_CLUSTER_KEY[_FILE] only);
	// ClusterTLS* are the remote port's mutual TLS files.
	ClusterKey                                  []byte
	ClusterTLSCert, ClusterTLSKey, ClusterTLSCA string
}

// envVars names each flag's environment twin.
var envVars = map[string]string{
	"http":               "BOXOFFICE_HTTP_ADDR",
	"data":               "BOXOFFICE_DATA_DIR",
	"database-url":       "BOXOFFICE_DATABASE_URL",
	"database-prefix":    "BOXOFFICE_DATABASE_PREFIX",
	"db-max-conns":       "BOXOFFICE_DB_MAX_CONNS",
	"hold-ttl":           "BOXOFFICE_HOLD_TTL",
	"idle-timeout":       "BOXOFFICE_IDLE_TIMEOUT",
	"retention":          "BOXOFFICE_RETENTION",
	"card-charges-max":   "BOXOFFICE_CARD_CHARGES_MAX",
	"demo":               "BOXOFFICE_DEMO",
	"node":               "BOXOFFICE_NODE",
	"gossip":             "BOXOFFICE_GOSSIP_ADDR",
	"remote":             "BOXOFFICE_REMOTE_ADDR",
	"join":               "BOXOFFICE_JOIN",
	"advertise":          "BOXOFFICE_ADVERTISE_HOST",
	"log-level":          "BOXOFFICE_LOG_LEVEL",
	"ops-addr":           "BOXOFFICE_OPS_ADDR",
	"ops-pprof":          "BOXOFFICE_OPS_PPROF",
	"debug-addr":         "BOXOFFICE_DEBUG_ADDR",
	"debug-clock":        "BOXOFFICE_DEBUG_CLOCK",
	"rate-limits":        "BOXOFFICE_RATE_LIMITS",
	"trusted-proxies":    "BOXOFFICE_TRUSTED_PROXIES",
	"hold-caps":          "BOXOFFICE_HOLD_CAPS",
	"hold-seats-max":     "BOXOFFICE_HOLD_SEATS_MAX",
	"holds-per-user-max": "BOXOFFICE_HOLDS_PER_USER_MAX",
	"hold-cooldown":      "BOXOFFICE_HOLD_COOLDOWN",
	"tls-cert":           "BOXOFFICE_TLS_CERT",
	"tls-key":            "BOXOFFICE_TLS_KEY",
	"seat-streams":       "BOXOFFICE_SEAT_STREAMS",
	"cluster-tls-cert":   "BOXOFFICE_CLUSTER_TLS_CERT",
	"cluster-tls-key":    "BOXOFFICE_CLUSTER_TLS_KEY",
	"cluster-tls-ca":     "BOXOFFICE_CLUSTER_TLS_CA",
}

// ParseConfig reads flags (args, without the command name) over the
// environment (getenv) over the defaults.
//
// Secrets (the JWT secret, the admin password, database URLs, the webhook
// secret) come from the environment or from files named by their _FILE
// twins, never from flags.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	host, _ := os.Hostname()
	c := Config{ServiceURLs: map[string]string{}, Retention: persistence.DefaultRetention()}
	getenv, err := withSecretFiles(getenv)
	if err != nil {
		return c, err
	}
	fs := flag.NewFlagSet("boxoffice serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var join string
	fs.StringVar(&c.HTTPAddr, "http", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.DataDir, "data", "./data", "data directory of the embedded SQLite stores (used when no database URL is set)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL server URL; each service uses its own database <prefix>_<service>")
	fs.StringVar(&c.DatabasePrefix, "database-prefix", postgres.PrefixDefault, "prefix of the PostgreSQL database names")
	fs.Func("db-max-conns", "PostgreSQL pool sizes: N for every service, or service=N,... (e.g. seats=16,bookings=12), or both (8,seats=16); unset: "+
		postgres.Config{}.MaxConnsString()+"; a URL's pool_max_conns wins", func(v string) (err error) {
		c.DBMaxConns, c.DBServiceMaxConns, err = postgres.ParseMaxConns(v)
		return err
	})
	fs.DurationVar(&c.HoldTTL, "hold-ttl", boxoffice.HoldTTLDefault, "how long a seat hold lasts")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", actors.IdleTimeoutDefault, "an idle showtime leaves memory after this long")
	fs.Func("retention", "how long finished rows stay, and the sweep that deletes them: off, or overrides NAME=VALUE,... of "+
		persistence.DefaultRetention().String(), func(v string) (err error) {
		c.Retention, err = persistence.ParseRetention(v)
		return err
	})
	fs.IntVar(&c.CardChargesMax, "card-charges-max", cardgateway.ChargesMax, "charges (idempotency keys) the simulated card gateway of a clustered node remembers; it forgets the oldest past it")
	fs.BoolVar(&c.Demo, "demo", false, "seed demo movies, a cinema and a week of showtimes when the catalog is empty")
	fs.StringVar(&c.Node, "node", host, "this node's name in the cluster")
	fs.StringVar(&c.GossipAddr, "gossip", "127.0.0.1:7946", "cluster gossip address (memberlist)")
	fs.StringVar(&c.RemoteAddr, "remote", "127.0.0.1:8090", "address for actor messages between nodes")
	fs.StringVar(&join, "join", "", "comma-separated gossip addresses of nodes already in the cluster (needs PostgreSQL)")
	fs.StringVar(&c.Advertise, "advertise", "", "host name or IP other nodes reach this node by; required when --gossip or --remote binds every interface (0.0.0.0)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.OpsAddr, "ops-addr", opsAddrDefault, "serve the node's Prometheus metrics (/metrics) on this address; empty or off: no ops listener")
	fs.BoolVar(&c.OpsPprof, "ops-pprof", false, "serve Go profiles (/debug/pprof/) on --ops-addr as well")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "serve Go profiles (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off when empty")
	fs.BoolVar(&c.DebugClock, "debug-clock", false, "fault tests only: the node's clock is real time plus an offset that POST /debug/clock?offset=DURATION on --debug-addr sets (needs --debug-addr)")
	fs.Func("rate-limits", "request limits per client IP and account: on (the defaults), off, or overrides NAME=BURST/PERIOD,... such as hold-account=20/1s", func(v string) (err error) {
		c.RateLimits, err = bohttp.ParseRateLimits(v)
		return err
	})
	fs.Func("trusted-proxies", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client IP; unset: the socket's peer is the client", func(v string) (err error) {
		c.TrustedProxies, err = parseCIDRs(v)
		return err
	})
	holdCapFlags(fs, &c)
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate file: serve HTTPS on --http (with --tls-key); unset: plain HTTP, for a TLS-terminating proxy")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.Func("seat-streams", "live seat feed bounds: on (the defaults), off, or overrides total=N,per-ip=N,lifetime=DURATION", func(v string) (err error) {
		c.SeatStreams, err = bohttp.ParseSeatStreamLimits(v)
		return err
	})
	clusterTLSFlags(fs, &c)
	eventFlags(fs, &c)
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, a := range strings.Split(join, ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Join = append(c.Join, a)
		}
	}
	for _, s := range boxoffice.Services {
		if u := getenv("BOXOFFICE_" + strings.ToUpper(s) + "_DATABASE_URL"); u != "" {
			c.ServiceURLs[s] = u
		}
	}
	c.JWTSecret = getenv("BOXOFFICE_JWT_SECRET")
	if c.ClusterKey, err = readClusterKey(getenv); err != nil {
		return c, err
	}
	c.AdminEmail = getenv("BOXOFFICE_ADMIN_EMAIL")
	c.AdminPassword = getenv("BOXOFFICE_ADMIN_PASSWORD")
	c.WebhookURL = getenv("BOXOFFICE_NOTIFY_WEBHOOK_URL")
	c.WebhookSecret = getenv("BOXOFFICE_NOTIFY_WEBHOOK_SECRET")
	return c, nil
}

// parseCIDRs reads a comma-separated list of CIDRs; a bare IP is one
// address.
func parseCIDRs(v string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if ip := net.ParseIP(s); ip != nil {
			bits := 8 * len(ip)
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// applyEnv sets each flag from its environment twin, so that a flag on the
// command line, parsed after, wins.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	for name, env := range envVars {
		v := getenv(env)
		if v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("%s=%q: %w", env, v, err)
		}
	}
	return nil
}

// Validate checks values that flag parsing cannot.
func (c Config) Validate() error {
	if err := c.Events.validate(); err != nil {
		return err
	}
	switch {
	case c.HoldTTL <= 0 || c.HoldTTL > boxoffice.HoldTTLMax:
		return fmt.Errorf("--hold-ttl must be between 1ms and %s, got %s", boxoffice.HoldTTLMax, c.HoldTTL)
	case c.CardChargesMax < 0:
		return errors.New("--card-charges-max must be at least 1 (0 keeps the default)")
	case c.IdleTimeout <= 0:
		return errors.New("--idle-timeout must be positive")
	case c.JWTSecret != "" && len(c.JWTSecret) < bohttp.JWTSecretLenMin:
		return fmt.Errorf("BOXOFFICE_JWT_SECRET must be at least %d bytes", bohttp.JWTSecretLenMin)
	case len(c.Join) > 0 && !c.Persistence().Postgres():
		return errors.New("--join needs PostgreSQL (--database-url): the embedded SQLite store is single-node only, and nodes of a cluster must share their databases")
	case c.JWTSecret == "" && (c.Persistence().Postgres() || c.Clustered()):
		return fmt.Errorf("BOXOFFICE_JWT_SECRET (or BOXOFFICE_JWT_SECRET_FILE, >= %d bytes) is required with PostgreSQL or a cluster: every node must sign and verify tokens with the same secret", bohttp.JWTSecretLenMin)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("set both --tls-cert and --tls-key (BOXOFFICE_TLS_CERT, BOXOFFICE_TLS_KEY), or neither")
	case (c.AdminEmail == "") != (c.AdminPassword == ""):
		return errors.New("set both BOXOFFICE_ADMIN_EMAIL and BOXOFFICE_ADMIN_PASSWORD, or neither")
	case c.DebugClock && c.DebugAddr == "":
		return errors.New("--debug-clock (BOXOFFICE_DEBUG_CLOCK) needs --debug-addr (BOXOFFICE_DEBUG_ADDR): the clock's offset is set on the debug listener")
	case c.OpsPprof && !c.OpsOn():
		return errors.New("--ops-pprof (BOXOFFICE_OPS_PPROF) needs the ops listener: set --ops-addr (BOXOFFICE_OPS_ADDR)")
	}
	if c.OpsOn() {
		if _, _, err := net.SplitHostPort(c.OpsAddr); err != nil {
			return fmt.Errorf("--ops-addr (BOXOFFICE_OPS_ADDR) %q is not host:port (or off): %w", c.OpsAddr, err)
		}
	}
	if err := c.checkKnownSecrets(); err != nil {
		return err
	}
	if err := c.validateHoldCaps(); err != nil {
		return err
	}
	if err := c.validateClusterTLS(); err != nil {
		return err
	}
	if c.Clustered() && c.Advertise == "" {
		for _, f := range [][2]string{{"--gossip", c.GossipAddr}, {"--remote", c.RemoteAddr}} {
			if host, _, err := net.SplitHostPort(f[1]); err == nil && cluster.IsWildcard(host) {
				return fmt.Errorf("%s %s binds every interface: set --advertise (BOXOFFICE_ADVERTISE_HOST) to the host name other nodes reach this one by", f[0], f[1])
			}
		}
	}
	return nil
}

// OpsOn reports whether the node runs its ops listener (--ops-addr neither
// empty nor off).
func (c Config) OpsOn() bool { return c.OpsAddr != "" && c.OpsAddr != "off" }

// Persistence is the choice of stores these settings make: the one place
// that turns them into a persistence.Config (which also says whether the
// stores are PostgreSQL databases).
func (c Config) Persistence() persistence.Config {
	return persistence.Config{DataDir: c.DataDir, DatabaseURL: c.DatabaseURL, Prefix: c.DatabasePrefix, URLs: c.ServiceURLs,
		MaxConns: c.DBMaxConns, ServiceMaxConns: c.DBServiceMaxConns}
}

// Clustered reports whether this node is a cluster member that others can
// join (gossip on): every node on PostgreSQL is, with or without --join. A
// node on the embedded store is a cluster of one without gossip.
func (c Config) Clustered() bool { return c.Persistence().Postgres() || len(c.Join) > 0 }

// String prints the config for the start-up log, secrets masked.
func (c Config) String() string {
	mask := func(s string) string {
		if s == "" {
			return "(unset)"
		}
		return "(set, hidden)"
	}
	store := "sqlite:" + c.DataDir
	if c.Persistence().Postgres() {
		pools := postgres.Config{MaxConns: c.DBMaxConns, ServiceMaxConns: c.DBServiceMaxConns}
		store = fmt.Sprintf("postgres:%s prefix=%s db-max-conns=%s (%d a node)", redactURL(c.DatabaseURL), c.DatabasePrefix,
			pools.MaxConnsString(), pools.MaxConnsPerNode())
	}
	gossip := c.GossipAddr
	if !c.Clustered() {
		gossip = "off"
	}
	debug := c.DebugAddr
	if debug == "" {
		debug = "off"
	}
	if c.DebugClock {
		debug += " debug-clock=on"
	}
	ops := "off"
	if c.OpsOn() {
		ops = fmt.Sprintf("%s ops-pprof=%t", c.OpsAddr, c.OpsPprof)
	}
	return fmt.Sprintf("http=%s store=%s retention=%s hold-ttl=%s node=%s gossip=%s remote=%s advertise=%s join=%v demo=%t jwt-secret=%s admin=%s webhook=%s webhook-secret=%s ops=%s debug=%s hold-caps=%s rate-limits=%s trusted-proxies=%v seat-streams=%s tls=%t %s",
		c.HTTPAddr, store, c.Retention, c.HoldTTL, c.Node, gossip, c.RemoteAddr, c.Advertise, c.Join, c.Demo, mask(c.JWTSecret), c.AdminEmail, mask(c.WebhookURL), mask(c.WebhookSecret), ops, debug,
		c.holdCapsString(), c.RateLimits, c.TrustedProxies, c.SeatStreams, c.TLSCert != "", c.clusterSecurityString()) + " " + c.Events.String()
}

// redactURL hides the password of a database URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
