// Command bench is `make bench`: in one run on one PostgreSQL server it
// measures every figure of issue 11's table, --runs times, and prints and
// writes each ratio with its target and verdict:
//
//   - the engine alone (no HTTP): BenchmarkHoldsOnPostgres, the showtime
//     grain against a conditional UPDATE per hold (go test);
//   - the plain-SQL baselines with pgbench: hold-release over 100
//     showtimes and on one, and a booking transaction;
//   - the HTTP figures of a local node on the same server (hold caps and
//     rate limits off), through `boxoffice loadtest`: the scale scenario,
//     refused holds against /healthz, open-loop p99s and steady bookings;
//   - steady bookings on a node with the embedded SQLite store.
//
// It writes its section of BENCHMARKS.md (between markers) and the scale
// curve as an SVG file.
//
//	go run ./loadtest/bench --bin bin/boxoffice --database-url "$BOXOFFICE_TEST_DATABASE_URL" \
//	  --markdown BENCHMARKS.md --svg docs/bench-scale.svg
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

const (
	adminEmail    = "bench-admin@boxoffice.local"
	adminPassword = "bench-admin-password"
	jwtSecret     = "bench-jwt-secret-bench-jwt-secret-0123"
	readyWait     = 60 * time.Second
	runsMax       = 20
)

type options struct {
	bin, databaseURL, pgbench, goBin string
	markdown, svg, reports           string
	duration, engineBenchtime        time.Duration
	connections, runs                int
	engine, storeAudit               bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/boxoffice", "the boxoffice binary (make build)")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("BOXOFFICE_TEST_DATABASE_URL"), "the PostgreSQL server of the SQL baselines and of the node (env BOXOFFICE_TEST_DATABASE_URL)")
	flag.StringVar(&o.pgbench, "pgbench", "pgbench", "the pgbench binary")
	flag.StringVar(&o.goBin, "go", "go", "the go command, for the engine benchmark")
	flag.StringVar(&o.markdown, "markdown", "", "replace the bench section of this Markdown file (BENCHMARKS.md), or append it")
	flag.StringVar(&o.svg, "svg", "", "write the scale curve (holds/s by showtimes) as an SVG file here")
	flag.StringVar(&o.reports, "reports", "", "keep the JSON and HTML reports of each load test in this directory")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each figure's measurement (the scale scenario takes 4 of them)")
	flag.IntVar(&o.connections, "connections", 64, "HTTP connections and pgbench clients")
	flag.IntVar(&o.runs, "runs", 3, "times each figure is measured (the table gives the median and the range)")
	flag.BoolVar(&o.storeAudit, "store-audit", false, "the load tests also audit the node's PostgreSQL databases (another set of connections: on a shared server with max_connections = 100 they may be refused)")
	flag.BoolVar(&o.engine, "engine", true, "also run the engine-alone benchmark (go test -bench HoldsOnPostgres)")
	flag.DurationVar(&o.engineBenchtime, "engine-benchtime", 3*time.Second, "-benchtime of the engine-alone benchmark")
	flag.Parse()
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.databaseURL == "":
		return errors.New("needs a PostgreSQL server for the SQL baselines and the node: --database-url or BOXOFFICE_TEST_DATABASE_URL")
	case o.runs < 1 || o.runs > runsMax:
		return fmt.Errorf("--runs must be between 1 and %d", runsMax)
	case o.duration < time.Second || o.duration > 10*time.Minute:
		return errors.New("--duration must be between 1s and 10m (pgbench counts whole seconds)")
	case o.duration%time.Second != 0:
		return errors.New("--duration must be whole seconds (pgbench -T)")
	case o.connections < 1 || o.connections > 1000:
		return errors.New("--connections must be between 1 and 1000")
	case o.engine && (o.engineBenchtime <= 0 || o.engineBenchtime > 10*time.Minute):
		return errors.New("--engine-benchtime must be between 1ns and 10m")
	}
	return nil
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "boxoffice-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.reports == "" {
		o.reports = filepath.Join(dir, "reports")
	}
	if err := os.MkdirAll(o.reports, 0o755); err != nil {
		return err
	}
	pgbench, err := exec.LookPath(o.pgbench)
	if err != nil {
		return fmt.Errorf("pgbench (Debian: postgresql-15 or postgresql-client): %w", err)
	}
	b := &bench{o: o, dir: dir, pgbench: pgbench, started: time.Now(), machine: machine()}
	if err := b.measure(ctx); err != nil {
		return err
	}
	t := b.table()
	t.writeText(os.Stdout)
	if o.svg != "" {
		if err := os.MkdirAll(filepath.Dir(o.svg), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.svg, []byte(b.scaleSVG()), 0o644); err != nil {
			return err
		}
	}
	if o.markdown != "" {
		return updateMarkdown(o.markdown, b.markdown(t, svgLink(o.markdown, o.svg)))
	}
	return nil
}

// svgLink is the SVG's path relative to the Markdown file, or "".
func svgLink(markdown, svg string) string {
	if svg == "" {
		return ""
	}
	rel, err := filepath.Rel(filepath.Dir(markdown), svg)
	if err != nil {
		return svg
	}
	return filepath.ToSlash(rel)
}

// machine describes where the figures were taken: CPU, cores, OS, Go,
// and the load average, since a busy machine moves every figure.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := exec.Command("uname", "-sr").Output()
	return fmt.Sprintf("%s, %d cores, %s, %s", cpu, runtime.NumCPU(), strings.TrimSpace(string(kernel)), runtime.Version())
}

// loadAverage is /proc/loadavg's first three fields.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
