// Command soak is `make soak`: a 3-node cluster on loopback, on PostgreSQL
// databases of its own, driven for a long time by the load test's mixed
// scenario in an open loop at half the cluster's measured maximum rate.
// Every 10 s it reads each node's /metrics (memory, goroutines, open
// files, database connections, live grains, request latency of the
// interval) and counts the rows of the tables the retention sweep keeps
// bounded. At the end it fits a line to the second half of each series
// and fails when the growth it implies over the run is beyond the
// series' tolerance (detect.go), or when the load test's audit fails.
// It writes the samples as CSV and JSON, the curves as an SVG, and its
// section of a Markdown file (between markers).
//
//	go run ./loadtest/soak --bin bin/boxoffice --database-url "$BOXOFFICE_TEST_DATABASE_URL" \
//	  --duration 30m --svg docs/soak.svg --markdown FAULTS.md
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/boxoffice/boxoffice/internal/pgdb"
	"github.com/boxoffice/boxoffice/loadtest"
)

const (
	adminEmail    = "soak-admin@boxoffice.local"
	adminPassword = "soak-admin-password"
	jwtSecret     = "soak-jwt-secret-soak-jwt-secret-0123"
	readyWait     = 60 * time.Second
	clusterSize   = 3
)

type options struct {
	bin, databaseURL, out, svg, markdown string
	dbMaxConns, retention                string
	duration, probe, interval            time.Duration
	idleTimeout                          time.Duration
	rate                                 float64
	connections, cardCharges             int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/boxoffice", "the boxoffice binary (make build)")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("BOXOFFICE_TEST_DATABASE_URL"), "PostgreSQL server of the cluster: databases soak_<time>_* are made and dropped (env BOXOFFICE_TEST_DATABASE_URL)")
	flag.DurationVar(&o.duration, "duration", 30*time.Minute, "how long the load runs")
	flag.DurationVar(&o.probe, "probe", 30*time.Second, "length of the closed-loop run that measures the maximum rate")
	flag.DurationVar(&o.interval, "interval", 10*time.Second, "time between samples")
	flag.Float64Var(&o.rate, "rate", 0, "arrivals per second of the soak (0: half the rate the probe measured)")
	flag.IntVar(&o.connections, "connections", 64, "load-test connections (closed-loop workers of the probe; most in flight in the soak)")
	flag.StringVar(&o.dbMaxConns, "db-max-conns", "2,seats=4,bookings=4", "each node's --db-max-conns (three nodes share the server's max_connections)")
	// Short retentions and idle timeout, so that each bounded store and
	// the grain count reach their plateau within the first half of the
	// run, where the judge does not look.
	flag.StringVar(&o.retention, "retention", "refresh-tokens=2m,idempotency=2m,notifications=2m,every=15s", "each node's --retention")
	flag.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "each node's --idle-timeout")
	// The simulated card gateway remembers its last --card-charges-max
	// charges (default 100,000, about 20 MB: an hour of the soak's rate,
	// so at the default its memory would still grow through a 30-minute
	// run). The soak sets 10,000, reached in the first minutes, so that
	// the second half shows the bound. A forgotten charge is still
	// refunded (its ref carries its amount), so the mixed scenario's
	// cancellations of old bookings are refunded all the same.
	flag.IntVar(&o.cardCharges, "card-charges-max", 10_000, "each node's --card-charges-max (0: the node's default)")
	flag.StringVar(&o.out, "out", "", "directory for node logs, load-test reports and samples.{csv,json} (default: a new temporary directory, kept)")
	flag.StringVar(&o.svg, "svg", "", "write the curves (one panel per series) as an SVG file here")
	flag.StringVar(&o.markdown, "markdown", "", "replace the soak section of this Markdown file (between <!-- soak:begin --> and <!-- soak:end -->), or append it")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.databaseURL == "":
		return errors.New("needs a PostgreSQL server: --database-url or BOXOFFICE_TEST_DATABASE_URL")
	case o.duration < time.Minute || o.duration > 24*time.Hour:
		return errors.New("--duration must be between 1m and 24h")
	case o.probe < 5*time.Second || o.probe > 10*time.Minute:
		return errors.New("--probe must be between 5s and 10m")
	case o.interval < time.Second || o.interval > o.duration/10:
		return errors.New("--interval must be between 1s and a tenth of --duration")
	case o.rate < 0 || o.connections < 1 || o.connections > 1000:
		return errors.New("--rate must be positive (0: measured) and --connections between 1 and 1000")
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("--bin: %w (make build)", err)
	}
	return nil
}

// result is everything the soak measured, as samples.json holds it.
type result struct {
	Command   string    `json:"command"`
	StartedAt time.Time `json:"started_at"`
	MaxRate   float64   `json:"max_rate"` // steps a second of the closed-loop probe
	Rate      float64   `json:"rate"`     // arrivals a second of the soak
	RunS      float64   `json:"run_s"`
	IntervalS float64   `json:"interval_s"`
	Samples   []sample  `json:"samples"`
	Verdicts  []verdict `json:"verdicts"`
	Audit     string    `json:"audit"` // "ok" or why not
	OK        bool      `json:"ok"`
}

func run(ctx context.Context, o options) error {
	if o.out == "" {
		d, err := os.MkdirTemp("", "boxoffice-soak")
		if err != nil {
			return err
		}
		o.out = d
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "soak: output in %s\n", o.out)
	prefix := fmt.Sprintf("soak_%d", time.Now().Unix())
	defer func() {
		if err := pgdb.DropPrefixed(context.Background(), o.databaseURL, prefix); err != nil {
			fmt.Fprintf(os.Stderr, "soak: drop databases %s_*: %v\n", prefix, err)
		}
	}()
	nodes, err := startCluster(o, o.out, prefix, clusterSize)
	if err != nil {
		return err
	}
	defer stopCluster(nodes)
	var targets []string
	for _, n := range nodes {
		targets = append(targets, n.url)
		fmt.Fprintf(os.Stderr, "soak: %s on %s (metrics on %s/metrics, pprof on %s/debug/pprof/)\n", n.name, n.url, n.ops, n.ops)
	}
	res := &result{Command: strings.Join(os.Args, " "), StartedAt: time.Now().UTC(), Rate: o.rate, IntervalS: o.interval.Seconds()}
	if res.Rate == 0 {
		fmt.Fprintf(os.Stderr, "soak: measuring the maximum rate: mixed, closed loop, %d connections, %s\n", o.connections, o.probe)
		probe, err := loadtestRun(ctx, o, targets, prefix, "probe", []string{"--duration", o.probe.String()})
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		res.MaxRate = probe.StepsPerS
		res.Rate = float64(int(probe.StepsPerS/2*10)) / 10
		if res.Rate <= 0 {
			return fmt.Errorf("probe: %.1f steps a second", probe.StepsPerS)
		}
	}
	fmt.Fprintf(os.Stderr, "soak: mixed, open loop at %.1f arrivals/s (max %.1f) for %s, a sample every %s\n",
		res.Rate, res.MaxRate, o.duration, o.interval)
	runErr := soak(ctx, o, nodes, targets, prefix, res)
	res.OK = runErr == nil
	for _, v := range res.Verdicts {
		if !v.OK {
			res.OK = false
		}
	}
	if err := writeOutputs(o, res); err != nil {
		return errors.Join(runErr, err)
	}
	printVerdicts(res)
	if runErr != nil {
		return runErr
	}
	if !res.OK {
		return errors.New("a series grows beyond its tolerance (see above)")
	}
	return nil
}

// soak drives the load and samples until the load test ends.
func soak(ctx context.Context, o options, nodes []*node, targets []string, prefix string, res *result) error {
	type ltResult struct {
		rep *loadtest.Report
		err error
	}
	done := make(chan ltResult, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		rep, err := loadtestRun(lctx, o, targets, prefix, "soak", []string{"--duration", o.duration.String(),
			"--rate", fmt.Sprint(res.Rate), "--database-url", o.databaseURL, "--database-prefix", prefix})
		done <- ltResult{rep, err}
	}()
	start := time.Now()
	sc := newScraper()
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-done
			return ctx.Err()
		case r := <-done:
			res.RunS = time.Since(start).Seconds()
			judged := res.Samples
			if r.rep != nil {
				judged = loadWindow(res, r.rep.StartedAt, r.rep.DurationS)
			}
			res.Verdicts = judgeAll(judged, res.RunS)
			switch {
			case r.err != nil:
				res.Audit = r.err.Error()
				return r.err
			case !r.rep.Invariants.OK:
				res.Audit = "failed: " + strings.Join(r.rep.Invariants.Failing(), ", ")
				return errors.New("audit " + res.Audit)
			}
			res.Audit = "ok"
			return nil
		case <-tick.C:
		}
		if gone := exited(nodes); len(gone) > 0 {
			cancel()
			<-done
			return fmt.Errorf("node exited during the soak: %s", strings.Join(gone, ", "))
		}
		t := time.Since(start).Seconds()
		line := fmt.Sprintf("soak %5.0fs", t)
		for _, n := range nodes {
			v, err := sc.scrape(ctx, n.ops)
			if err != nil {
				fmt.Fprintf(os.Stderr, "soak: %s: %v\n", n.name, err)
				continue
			}
			res.Samples = append(res.Samples, sample{At: time.Now(), T: t, Node: n.name, Values: v})
			line += fmt.Sprintf(" | %s rss %.0fM heap %.0fM gor %.0f fd %.0f conn %.0f grains %.0f/%.0f p50 %.1f p99 %.0fms",
				n.name, v[seriesRSS], v[seriesHeap], v[seriesGoroutines], v[seriesFDs], v[seriesDBConns],
				v[seriesShowtimes], v[seriesBookings], v[seriesP50], v[seriesP99])
		}
		if rows, err := countRows(ctx, o.databaseURL, prefix); err != nil {
			fmt.Fprintf(os.Stderr, "soak: row counts: %v\n", err)
		} else {
			res.Samples = append(res.Samples, sample{At: time.Now(), T: t, Node: dbNode, Values: rows})
			line += fmt.Sprintf(" | rows tokens %.0f idem %.0f notes %.0f bookings %.0f",
				rows[seriesRowsTokens], rows[seriesRowsIdem], rows[seriesRowsNotes], rows[seriesRowsBooked])
		}
		fmt.Fprintln(os.Stderr, line)
	}
}

// loadWindow times the samples from the start of the load (the load
// test's setup comes before it, its audit after) and returns those taken
// while the load ran: the judge and the figure look at these only, so
// that the quiet of the audit cannot hide a growth. res.RunS becomes the
// load's length.
func loadWindow(res *result, loadStart time.Time, loadS float64) []sample {
	var in []sample
	for i := range res.Samples {
		s := &res.Samples[i]
		s.T = s.At.Sub(loadStart).Seconds()
		if s.T >= 0 && s.T <= loadS {
			in = append(in, *s)
		}
	}
	res.RunS = loadS
	return in
}

// loadtestRun runs `boxoffice loadtest --scenario mixed` with the extra
// arguments, its output in <out>/<name>.log and its report in
// <out>/<name>.json. A run whose audit failed returns the report and no
// error: the caller tells.
func loadtestRun(ctx context.Context, o options, targets []string, prefix, name string, extra []string) (*loadtest.Report, error) {
	jsonPath := filepath.Join(o.out, name+".json")
	args := append([]string{"loadtest", "--scenario", "mixed", "--target", strings.Join(targets, ","),
		"--connections", fmt.Sprint(o.connections), "--out", jsonPath, "--quiet"}, extra...)
	logs, err := os.Create(filepath.Join(o.out, name+".log"))
	if err != nil {
		return nil, err
	}
	defer logs.Close()
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	runErr := cmd.Run()
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, fmt.Errorf("loadtest %s: %v (no report; see %s)", name, errors.Join(runErr, err), logs.Name())
	}
	var r loadtest.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("loadtest %s report: %w", name, err)
	}
	if runErr != nil && r.Invariants.OK {
		return nil, fmt.Errorf("loadtest %s: %v (see %s)", name, runErr, logs.Name())
	}
	return &r, nil
}
