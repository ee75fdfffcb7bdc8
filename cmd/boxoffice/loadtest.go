package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

const loadtestUsage = `Usage: boxoffice loadtest [flags]

Sets up its own movie, hall, showtimes and users through the API (admin
credentials), drives one scenario against the targets, prints a live line a
second on stderr and a summary table on stdout, then audits the invariants.
Exit status 1 when the test could not run, an invariant failed, or a check
the scenario requires was skipped or inconclusive.

Scenarios (--scenario):
  flash-sale       many buyers, few hot seats (--seats, default 50): hold one
                   seat then pay (tok_visa); losers (409) try other seats; a
                   sold-out showtime is followed by the next one (waves)
  steady           1-2 seat bookings spread over --showtimes showtimes, no
                   contention: the booking pipeline at a constant rate
  mixed            browse seat maps, buy, hold and release, hold and abandon
                   (left to expire), cancel, list bookings
  hold-contention  hold attempts on seats already booked (409) alternating,
                   second by second, with GET /healthz on the same client:
                   figures hold_rps, healthz_rps and hold_to_healthz
  hold-release     each connection holds a seat of its own, releases it, and
                   again: successful durable holds, figure holds_rps; needs a
                   node with --hold-caps off (its cool-down refuses this);
                   one showtime unless --showtimes N (holds spread over N)
  scale            hold-release over 1, 10, 100 and 1000 showtimes, a quarter
                   of --duration each: figures holds_rps_showtimes_N and
                   holds_1000_to_10, the curve in the HTML report
  healthz          GET /healthz alone: a node's HTTP ceiling (no setup)

Loops: without --rate, a closed loop of --connections workers; with --rate N,
an open loop of N arrivals (scenario steps) per second, each step's latency
counted from its intended send time, at most --connections in flight and
one second of arrivals queued (more are dropped and counted).

Checks: no_seat_in_two_bookings, booked_seats_match_bookings,
acknowledged_bookings_confirmed, money_balances (through the API, and the
stores with --database-url or --data), holds_expire_on_time (with --hold-ttl-check:
needs a node started with a short --hold-ttl such as 2s), linearizable_seats
(porcupine, per seat, from the harness's own history), run_completed (the
load was not stopped early). Each is ok, failed, skipped (not run) or
inconclusive (partly decided, with its counts). The scenarios that book
(flash-sale, steady, mixed) require every booking check decided (a run with
no acknowledged booking fails), money_balances only with --database-url or
--data (the API does not show payment amounts); every scenario but healthz
requires every seat decided by linearizable_seats; --hold-ttl-check
requires holds_expire_on_time.

Flags:
`

// loadtestCmd runs `boxoffice loadtest`.
func loadtestCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, out, err := parseLoadtest(args, getenv, stderr)
	if err != nil {
		return err
	}
	if out.databaseURL != "" {
		stores, err := postgres.Open(ctx, postgres.Config{BaseURL: out.databaseURL, Prefix: out.databasePrefix})
		if err != nil {
			return fmt.Errorf("store audit: %w", err)
		}
		defer stores.Close()
		cfg.Stores = stores
	}
	if out.dataDir != "" {
		stores, err := openEmbeddedAudit(ctx, out.dataDir)
		if err != nil {
			return err
		}
		defer stores.Close()
		cfg.Stores = stores
	}
	if out.cpuProfile != "" {
		stop, err := startCPUProfile(out.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	report, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	report.WriteSummary(stdout)
	if out.json != "" {
		if err := report.WriteJSON(out.json); err != nil {
			return err
		}
	}
	if out.html != "" {
		if err := report.WriteHTML(out.html); err != nil {
			return err
		}
	}
	if !report.Invariants.OK {
		return fmt.Errorf("invariants failed: %s", strings.Join(report.Invariants.Failing(), ", "))
	}
	return nil
}

// loadtestOut is where the report goes, and the store to audit.
type loadtestOut struct {
	json, html                  string
	databaseURL, databasePrefix string
	dataDir                     string
	cpuProfile                  string
}

func parseLoadtest(args []string, getenv func(string) string, stderr io.Writer) (loadtest.Config, loadtestOut, error) {
	var cfg loadtest.Config
	var out loadtestOut
	fs := flag.NewFlagSet("boxoffice loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadtestUsage); fs.PrintDefaults() }
	targets := fs.String("target", "http://127.0.0.1:8080", "comma-separated base URLs of the nodes, used round-robin")
	fs.StringVar(&cfg.Scenario, "scenario", loadtest.ScenarioFlashSale, "scenario: "+strings.Join(loadtest.Scenarios, ", "))
	fs.DurationVar(&cfg.Duration, "duration", loadtest.DurationDefault, "how long to drive load")
	fs.IntVar(&cfg.Connections, "connections", loadtest.ConnectionsDefault, "closed loop: workers; open loop: most requests in flight")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: arrivals per second (0: closed loop)")
	fs.IntVar(&cfg.Seats, "seats", 0, "seats per showtime (default 50; steady and mixed 200)")
	fs.IntVar(&cfg.Showtimes, "showtimes", 0, "showtimes on sale at once (steady, mixed, hold-release; default 10, hold-release 1)")
	fs.IntVar(&cfg.Users, "users", 0, "buyers to register (default min(connections, 64), and at least one per two connections so the node's hold caps refuse none); workers share them")
	fs.DurationVar(&cfg.Timeout, "timeout", loadtest.TimeoutDefault, "timeout of each request")
	fs.BoolVar(&cfg.HoldTTLCheck, "hold-ttl-check", false, "probe hold expiry (waits out the node's --hold-ttl, at most 2m)")
	fs.Int64Var(&cfg.Seed, "seed", 0, "random seed (0: from the clock; the report names it)")
	fs.StringVar(&cfg.AdminEmail, "admin-email", getenv("BOXOFFICE_ADMIN_EMAIL"), "admin account (env BOXOFFICE_ADMIN_EMAIL)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "admin password (env BOXOFFICE_ADMIN_PASSWORD)")
	fs.StringVar(&out.json, "out", "", "write the JSON report here")
	fs.StringVar(&out.html, "html", "", "write the HTML report (inline SVG charts) here")
	fs.StringVar(&out.databaseURL, "database-url", "", "PostgreSQL server of the nodes: also audit the stores (env BOXOFFICE_DATABASE_URL)")
	fs.StringVar(&out.databasePrefix, "database-prefix", envOr(getenv, "BOXOFFICE_DATABASE_PREFIX", postgres.PrefixDefault), "database name prefix (env BOXOFFICE_DATABASE_PREFIX)")
	fs.StringVar(&out.dataDir, "data", "", "data directory of a node on the embedded store (same machine): also audit its stores")
	fs.StringVar(&out.cpuProfile, "cpuprofile", "", "write the harness's own CPU profile here (go tool pprof)")
	quiet := fs.Bool("quiet", false, "no live progress line")
	if err := fs.Parse(args); err != nil {
		return cfg, out, err
	}
	if fs.NArg() > 0 {
		return cfg, out, fmt.Errorf("loadtest: unexpected arguments %q", fs.Args())
	}
	if out.dataDir != "" && out.databaseURL != "" {
		return cfg, out, errors.New("loadtest: --data and --database-url name two stores; give one")
	}
	// Secrets are not flag defaults: -h would print them.
	if cfg.AdminPassword == "" {
		cfg.AdminPassword = getenv("BOXOFFICE_ADMIN_PASSWORD")
	}
	if out.databaseURL == "" {
		out.databaseURL = getenv("BOXOFFICE_DATABASE_URL")
	}
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Targets = append(cfg.Targets, t)
		}
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if cfg.Duration <= 0 || cfg.Duration > loadtest.DurationMax {
		return cfg, out, errors.New("loadtest: --duration must be positive and at most 24h")
	}
	if cfg.Timeout > time.Hour {
		return cfg, out, errors.New("loadtest: --timeout must be at most 1h")
	}
	return cfg, out, nil
}

// openEmbeddedAudit opens the embedded stores of a node's data directory
// for the store audit. The directory must exist: opening a missing one
// would create an empty install.
func openEmbeddedAudit(ctx context.Context, dir string) (*boxoffice.Stores, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store audit: --data: %w", err)
	}
	stores, err := sqlite.Open(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("store audit: %w", err)
	}
	return stores, nil
}

// startCPUProfile profiles the harness itself: on one machine it shares
// the cores with the node, and its own cost is part of every figure.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
