package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/boxoffice/boxoffice/internal/pgdb"
	"github.com/boxoffice/boxoffice/loadtest"
)

// Figure keys of one run.
const (
	fSQLHold100      = "sql_hold_release_100_tps"
	fSQLHold1        = "sql_hold_release_1_tps"
	fSQLBooking      = "sql_booking_tps"
	fSQLBookingMs    = "sql_booking_latency_avg_ms"
	fRefusedRPS      = "refused_holds_rps"
	fHealthzRPS      = "healthz_rps"
	fOpenRate        = "open_rate"
	fOpenHoldP99     = "open_hold_p99_ms"
	fOpenHealthzP99  = "open_healthz_p99_ms"
	fPGBookings      = "pg_bookings_rps"
	fPGBookP50       = "pg_book_p50_ms"
	fSQLiteBookings  = "sqlite_bookings_rps"
	fSQLiteBookP50   = "sqlite_book_p50_ms"
	fEngineRatio1    = "engine_ratio_1"
	fEngineRatio100  = "engine_ratio_100"
	fEngineGrain1    = "engine_grain_1"
	fEngineSQL1      = "engine_sql_1"
	fEngineGrain100  = "engine_grain_100"
	fEngineSQL100    = "engine_sql_100"
	fEngineShowtimes = "engine_spread_showtimes" // 100, or 8 on a tree without the 100 case
)

// Connections a measurement needs on the server, beyond which the bench
// waits for other clients of a shared server to leave.
const (
	benchClientsEngine = 64 + 8 // the benchmark's SQL clients and its stores
	nodeConnections    = 40     // a node's pools
	connectionsWait    = 3 * time.Minute
)

// waitConnections waits, up to connectionsWait, until the server has n
// connections free (a shared server's max_connections is used by others
// too), and notes when it gave up waiting.
func (b *bench) waitConnections(ctx context.Context, n int) {
	deadline := time.Now().Add(connectionsWait)
	for said := false; ; said = true {
		free, err := freeConnections(ctx, b.o.databaseURL)
		if err != nil || free >= n {
			return
		}
		if time.Now().After(deadline) {
			b.note("run %d: went on with %d connections free on the server, %d wanted", len(b.runs), free, n)
			return
		}
		if !said {
			b.progress("waiting for %d free connections on the server (%d free)", n, free)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}

// fHTTPHolds is the key of HTTP holds/s over n showtimes.
func fHTTPHolds(n int) string { return "http_holds_" + strconv.Itoa(n) }

// bench holds the figures of every run.
type bench struct {
	o        options
	dir      string
	pgbench  string
	machine  string
	started  time.Time
	pgServer string // version
	runs     []map[string]float64
	commands map[string]string // figure -> the command that measures it
	notes    []string          // audit results, errors, anything that qualifies a figure
	prefixes []string          // database prefixes of the nodes, dropped at the end
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench [%s, run %d/%d]: %s\n", time.Since(b.started).Round(time.Second), len(b.runs), b.o.runs,
		fmt.Sprintf(format, args...))
}

func (b *bench) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	b.notes = append(b.notes, n)
	fmt.Fprintln(os.Stderr, "bench: note:", n)
}

func (b *bench) command(key, line string) {
	if b.commands == nil {
		b.commands = map[string]string{}
	}
	b.commands[key] = line
}

// measure takes every figure, run after run.
func (b *bench) measure(ctx context.Context) error {
	var engine []engineSample
	if b.o.engine {
		b.progress("engine alone: go test -bench HoldsOnPostgres, -count %d -benchtime %s", b.o.runs, b.o.engineBenchtime)
		var line string
		var err error
		b.waitConnections(ctx, benchClientsEngine)
		engine, line, err = runEngineBench(ctx, b.o.goBin, b.o.databaseURL, b.o.runs, b.o.engineBenchtime)
		b.command("engine alone", line)
		if err != nil {
			// The HTTP and SQL figures are worth taking still.
			b.note("the engine-alone benchmark failed (its rows are not measured): %v", err)
		}
	}
	sql, err := openSQLBench(ctx, b.pgbench, b.o.databaseURL, fmt.Sprintf("bench_sql_%d", os.Getpid()),
		b.dir, b.o.connections, b.o.duration)
	if err != nil {
		return fmt.Errorf("SQL baseline database: %w", err)
	}
	defer sql.close(ctx)
	// The nodes' databases are dropped once every figure is taken: a DROP
	// DATABASE waits for a checkpoint, whose writes would land in the
	// next measurement.
	defer func() {
		for _, p := range b.prefixes {
			b.progress("dropping the databases %s_*", p)
			if err := pgdb.DropPrefixed(ctx, b.o.databaseURL, p); err != nil {
				b.note("dropping the node's databases %s_*: %v", p, err)
			}
		}
	}()
	if err := sql.pool.QueryRow(ctx, "SHOW server_version").Scan(&b.pgServer); err != nil {
		return err
	}
	for i := range b.o.runs {
		f := map[string]float64{}
		b.runs = append(b.runs, f)
		b.progress("load average %s", loadAverage())
		if err := b.measureSQL(ctx, sql, f); err != nil {
			return err
		}
		if err := b.measureHTTP(ctx, i, f); err != nil {
			return err
		}
		if err := b.measureSQLite(ctx, i, f); err != nil {
			return err
		}
		b.engineFigures(engine, i, f)
	}
	return nil
}

// measureSQL runs the three pgbench baselines.
func (b *bench) measureSQL(ctx context.Context, sql *sqlBench, f map[string]float64) error {
	for _, n := range []int{sqlHoldShowtimes, 1} {
		b.waitConnections(ctx, b.o.connections)
		b.progress("pgbench hold-release over %d showtime(s), %d clients, %s", n, b.o.connections, b.o.duration)
		r, line, err := sql.holdRelease(ctx, n)
		if err != nil {
			return err
		}
		key := fSQLHold100
		if n == 1 {
			key = fSQLHold1
		}
		f[key] = r.TPS
		b.command(fmt.Sprintf("SQL hold-release over %d showtime(s)", n), line)
	}
	b.waitConnections(ctx, b.o.connections)
	b.progress("pgbench booking transaction over %d showtimes, %d clients, %s", sqlBookingShowtimes, b.o.connections, b.o.duration)
	r, line, err := sql.booking(ctx)
	if err != nil {
		return err
	}
	f[fSQLBooking], f[fSQLBookingMs] = r.TPS, r.LatencyAvgMs
	b.command("SQL booking transaction", line)
	return nil
}

// measureHTTP starts a node on the server (databases of its own, dropped
// afterwards) and takes the HTTP figures.
func (b *bench) measureHTTP(ctx context.Context, run int, f map[string]float64) error {
	prefix := fmt.Sprintf("bench_%d_r%d", os.Getpid(), run+1)
	dir := filepath.Join(b.dir, prefix)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b.waitConnections(ctx, nodeConnections)
	b.progress("starting a node on PostgreSQL (databases %s_*)", prefix)
	n, err := startNode(b.o.bin, dir, b.o.databaseURL, prefix)
	if err != nil {
		return err
	}
	defer n.stop()
	b.prefixes = append(b.prefixes, prefix)
	lt := loadtestRun{bin: b.o.bin, target: n.url, reports: b.o.reports, progress: b.progress}
	if b.o.storeAudit {
		lt.databaseURL, lt.dbPrefix = b.o.databaseURL, prefix
	}
	c := strconv.Itoa(b.o.connections)
	name := func(s string) string { return fmt.Sprintf("r%d-pg-%s", run+1, s) }

	sc, line, err := lt.run(ctx, name("scale"), time.Duration(len(loadtest.ScaleSteps))*b.o.duration, "--scenario", "scale", "--connections", c)
	if err != nil {
		return err
	}
	b.command("scale: holds/s over 1, 10, 100, 1000 showtimes", line)
	b.check("scale", sc, "hold", "201")
	for _, p := range loadtest.ScalePoints(sc.Figures) {
		f[fHTTPHolds(p.Showtimes)] = p.HoldsRPS
	}

	hc, line, err := lt.run(ctx, name("refused"), b.o.duration, "--scenario", "hold-contention", "--connections", c)
	if err != nil {
		return err
	}
	b.command("refused holds vs healthz", line)
	b.check("hold-contention", hc, "hold", "409")
	f[fRefusedRPS], f[fHealthzRPS] = hc.Figures["hold_rps"], hc.Figures["healthz_rps"]

	// Half the node's max rate: the closed-loop holds/s over 100 showtimes
	// of this run, sent as hold-release arrivals (each a hold then its
	// release) on 100 showtimes, then as health checks.
	rate := math.Round(f[fHTTPHolds(100)] / 2)
	if rate >= 1 {
		f[fOpenRate] = rate
		r := strconv.FormatFloat(rate, 'f', 0, 64)
		oh, line, err := lt.run(ctx, name("open-hold"), b.o.duration, "--scenario", "hold-release", "--showtimes", "100",
			"--connections", c, "--rate", r)
		if err != nil {
			return err
		}
		b.command("open loop: holds at half the max rate", line)
		b.check("open hold-release", oh, "hold", "201")
		f[fOpenHoldP99] = oh.Operations["hold"].LatencyMs.P99
		oz, line, err := lt.run(ctx, name("open-healthz"), b.o.duration, "--scenario", "healthz", "--connections", c, "--rate", r)
		if err != nil {
			return err
		}
		b.command("open loop: healthz at the same rate", line)
		b.check("open healthz", oz, "health", "200")
		f[fOpenHealthzP99] = oz.Operations["health"].LatencyMs.P99
	}

	st, line, err := lt.run(ctx, name("steady"), b.o.duration, "--scenario", "steady", "--showtimes", "50", "--connections", c)
	if err != nil {
		return err
	}
	b.command("steady on PostgreSQL", line)
	b.check("steady on PostgreSQL", st, "book", "201")
	f[fPGBookings], f[fPGBookP50] = st.Figures["bookings_rps"], st.Operations["book"].LatencyMs.P50
	return nil
}

// measureSQLite takes the steady figure on a node with the embedded store.
func (b *bench) measureSQLite(ctx context.Context, run int, f map[string]float64) error {
	dir := filepath.Join(b.dir, fmt.Sprintf("sqlite-r%d", run+1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b.progress("starting a node on the embedded SQLite store")
	n, err := startNode(b.o.bin, dir, "", "")
	if err != nil {
		return err
	}
	defer n.stop()
	lt := loadtestRun{bin: b.o.bin, target: n.url, reports: b.o.reports, progress: b.progress}
	st, line, err := lt.run(ctx, fmt.Sprintf("r%d-sqlite-steady", run+1), b.o.duration, "--scenario", "steady", "--showtimes", "50",
		"--connections", strconv.Itoa(b.o.connections))
	if err != nil {
		return err
	}
	b.command("steady on SQLite (a node with --data)", line)
	b.check("steady on SQLite", st, "book", "201")
	f[fSQLiteBookings], f[fSQLiteBookP50] = st.Figures["bookings_rps"], st.Operations["book"].LatencyMs.P50
	return nil
}

// check notes what qualifies a load test's figures: requests other than
// the expected answer of its main operation, a run stopped early, a failed
// audit check.
func (b *bench) check(name string, r *report, op, want string) {
	run := len(b.runs)
	o := r.Operations[op]
	if other := o.Requests - o.Outcomes[want]; other > 0 {
		b.note("run %d, %s: %d of %d %s requests answered other than %s: %v", run, name, other, o.Requests, op, want, o.Outcomes)
	}
	if r.StoppedEarly != "" {
		b.note("run %d, %s: stopped early: %s", run, name, r.StoppedEarly)
	}
	if r.Dropped > 0 {
		b.note("run %d, %s: %d arrivals dropped (the harness queue was full)", run, name, r.Dropped)
	}
	if a := r.audit(); a != "ok" {
		b.note("run %d, %s: audit %s", run, name, a)
	}
}

// engineFigures puts the i-th sample of each engine case into run i.
func (b *bench) engineFigures(samples []engineSample, i int, f map[string]float64) {
	spreadN := 100
	if len(engineRatios(samples, 100)) == 0 {
		spreadN = 8
	}
	f[fEngineShowtimes] = float64(spreadN)
	pick := func(approach string, n int) float64 {
		var xs []float64
		for _, s := range samples {
			if s.Approach == approach && s.Showtimes == n {
				xs = append(xs, s.HoldsPS)
			}
		}
		if i < len(xs) {
			return xs[i]
		}
		return math.NaN()
	}
	f[fEngineGrain1], f[fEngineSQL1] = pick("grain", 1), pick("sql-update", 1)
	f[fEngineGrain100], f[fEngineSQL100] = pick("grain", spreadN), pick("sql-update", spreadN)
	f[fEngineRatio1] = ratio(f[fEngineGrain1], f[fEngineSQL1])
	f[fEngineRatio100] = ratio(f[fEngineGrain100], f[fEngineSQL100])
}

// scaleSVG draws the median HTTP holds/s over each number of showtimes.
func (b *bench) scaleSVG() string {
	var points []loadtest.ScalePoint
	for _, n := range loadtest.ScaleSteps {
		if s := b.spreadOf(fHTTPHolds(n)); s.ok() {
			points = append(points, loadtest.ScalePoint{Showtimes: n, HoldsRPS: s.Median})
		}
	}
	return loadtest.ScaleSVG(points, fmt.Sprintf("durable holds/s via HTTP, %d connections, PostgreSQL (median of %d runs, %s)",
		b.o.connections, len(b.runs), b.started.UTC().Format("2006-01-02")))
}

// samples is a figure's value in each run (NaN where not measured).
func (b *bench) samples(key string) []float64 {
	out := make([]float64, len(b.runs))
	for i, f := range b.runs {
		v, ok := f[key]
		if !ok {
			v = math.NaN()
		}
		out[i] = v
	}
	return out
}

func (b *bench) spreadOf(key string) spread { return spreadOf(b.samples(key)) }

// ratios is num/den run by run.
func (b *bench) ratios(num, den string) []float64 {
	n, d := b.samples(num), b.samples(den)
	out := make([]float64, len(n))
	for i := range n {
		out[i] = ratio(n[i], d[i])
	}
	return out
}
