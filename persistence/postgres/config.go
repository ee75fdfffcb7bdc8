package postgres

import (
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// Timeouts that keep a dead database from hanging a request, so that the
// API answers 503 (openapi.json) within 2 s even when the server hangs rather
// than refuses: a store call (its wait for a connection and its
// statements) gives up after CallTimeout, and Ping gives each database
// PingTimeout. A database that cannot answer a short OLTP statement in
// CallTimeout is as good as down for a user waiting on it. A connection
// attempt gives up after ConnectTimeout (unless the URL sets
// connect_timeout); it may go on after the call that asked for it gave up,
// and at start (creating databases, migrating) it is the only bound.
const (
	ConnectTimeout = 2 * time.Second
	CallTimeout    = 1500 * time.Millisecond
	PingTimeout    = time.Second
)

// PrefixDefault is the database name prefix when Config.Prefix is empty.
const PrefixDefault = "boxoffice"

// Config says where the six service databases are.
type Config struct {
	// BaseURL is a server URL (BOXOFFICE_DATABASE_URL). Each service uses
	// the database Prefix + "_" + service on that server, and the database
	// named in BaseURL (default "postgres") is where missing ones are
	// created from.
	BaseURL string
	// Prefix names the service databases; default PrefixDefault.
	Prefix string
	// URLs points single services elsewhere (BOXOFFICE_<SERVICE>_DATABASE_URL),
	// keyed by a name of boxoffice.Services. Such a URL names its database.
	URLs map[string]string
	// MaxConns sizes the pool of every service without a size of its own
	// in ServiceMaxConns; 0: MaxConnsDefault. A URL's pool_max_conns wins
	// over both (pool.go).
	MaxConns int32
	// ServiceMaxConns sizes single services' pools, keyed by a name of
	// boxoffice.Services (--db-max-conns seats=16,...).
	ServiceMaxConns map[string]int32
	// Logger receives database creation and migration messages; nil
	// discards them.
	Logger *slog.Logger
	// EventSettle is how old an event must be before the outbox lists it
	// (see boxoffice.EventSettle); 0: boxoffice.EventSettle. Tests lower it.
	EventSettle time.Duration
}

// ConfigFromEnv reads the database settings of the API contract with
// getenv (os.Getenv, or a map in tests): BOXOFFICE_DATABASE_URL,
// BOXOFFICE_DATABASE_PREFIX and BOXOFFICE_<SERVICE>_DATABASE_URL.
func ConfigFromEnv(getenv func(string) string) Config {
	cfg := Config{
		BaseURL: getenv("BOXOFFICE_DATABASE_URL"),
		Prefix:  getenv("BOXOFFICE_DATABASE_PREFIX"),
		URLs:    map[string]string{},
	}
	for _, s := range boxoffice.Services {
		if u := getenv("BOXOFFICE_" + strings.ToUpper(s) + "_DATABASE_URL"); u != "" {
			cfg.URLs[s] = u
		}
	}
	return cfg
}

// DatabaseName returns the database a service uses when it has no URL of
// its own: Prefix + "_" + service.
func (c Config) DatabaseName(service string) string {
	prefix := c.Prefix
	if prefix == "" {
		prefix = PrefixDefault
	}
	return prefix + "_" + service
}

// prefixRE keeps derived database names plain identifiers, so they never
// need quoting by an operator and cannot smuggle SQL.
var prefixRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// prefixLenMax leaves room for the longest service suffix within
// PostgreSQL's 63-byte identifiers.
const prefixLenMax = 63 - len("_notifications")

func (c Config) validate() error {
	if c.Prefix != "" && (!prefixRE.MatchString(c.Prefix) || len(c.Prefix) > prefixLenMax) {
		return fmt.Errorf("postgres: database prefix %q must be lowercase letters, digits and _ (at most %d bytes)", c.Prefix, prefixLenMax)
	}
	for s := range c.ServiceMaxConns {
		if !slices.Contains(boxoffice.Services, s) {
			return fmt.Errorf("postgres: pool size for unknown service %q (services: %s)", s, strings.Join(boxoffice.Services, ", "))
		}
	}
	for s := range c.URLs {
		if !slices.Contains(boxoffice.Services, s) {
			return fmt.Errorf("postgres: database URL for unknown service %q (services: %s)", s, strings.Join(boxoffice.Services, ", "))
		}
	}
	for _, s := range boxoffice.Services {
		if c.URLs[s] == "" && c.BaseURL == "" {
			return fmt.Errorf("postgres: no database URL for the %s service: set BOXOFFICE_DATABASE_URL or BOXOFFICE_%s_DATABASE_URL", s, strings.ToUpper(s))
		}
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// target is where one service's database lives: the pool configuration
// for it, and the configuration of a database on the same server to
// create it from when it is missing.
type target struct {
	service string
	pool    *pgxpool.Config
	maint   *pgxpool.Config
}

// target resolves a service's URL: its own URL if set, else BaseURL with
// the database swapped for the derived name.
func (c Config) target(service string) (*target, error) {
	url, derived := c.URLs[service], false
	if url == "" {
		url, derived = c.BaseURL, true
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error quotes the URL with the password redacted.
		return nil, fmt.Errorf("postgres: %s database URL: %w", service, err)
	}
	if !derived && pcfg.ConnConfig.Database == "" {
		return nil, fmt.Errorf("postgres: the %s database URL must name its database", service)
	}
	maint := pcfg.Copy()
	if derived {
		pcfg.ConnConfig.Database = c.DatabaseName(service)
	}
	if !derived || maint.ConnConfig.Database == "" {
		maint.ConnConfig.Database = "postgres"
	}
	for _, p := range []*pgxpool.Config{pcfg, maint} {
		if p.ConnConfig.ConnectTimeout == 0 {
			p.ConnConfig.ConnectTimeout = ConnectTimeout
		}
		if _, ok := p.ConnConfig.RuntimeParams["application_name"]; !ok {
			p.ConnConfig.RuntimeParams["application_name"] = "boxoffice-" + service
		}
	}
	if !urlSetsMaxConns(url) {
		pcfg.MaxConns = c.maxConns(service)
	}
	return &target{service: service, pool: pcfg, maint: maint}, nil
}

// name is the service's database name, for messages.
func (t *target) name() string { return t.pool.ConnConfig.Database }
