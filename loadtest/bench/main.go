// Command bench is the load-test half of `make bench`: it starts a local
// node (embedded store unless --database-url is given), runs
// `boxoffice loadtest` against it for the figures of the performance
// targets, and writes them as Markdown with the machine they were taken on
// and the command lines that reproduce each one.
//
//	go run ./loadtest/bench --bin bin/boxoffice --out BENCHMARKS-loadtest.md
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
)

const (
	adminEmail    = "bench-admin@boxoffice.local"
	adminPassword = "bench-admin-password"
	jwtSecret     = "bench-jwt-secret-bench-jwt-secret-0123"
	readyWait     = 60 * time.Second
)

type options struct {
	bin, out, databaseURL string
	reports               string
	duration              time.Duration
	connections           int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/boxoffice", "the boxoffice binary (make build)")
	flag.StringVar(&o.out, "out", "", "write the Markdown here (default stdout)")
	flag.StringVar(&o.databaseURL, "database-url", "", "run the node on this PostgreSQL server instead of the embedded store")
	flag.StringVar(&o.reports, "reports", "", "keep the JSON and HTML reports of each run in this directory")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each load test")
	flag.IntVar(&o.connections, "connections", 64, "closed-loop connections")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "boxoffice-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.reports != "" {
		if err := os.MkdirAll(o.reports, 0o755); err != nil {
			return err
		}
	}
	url, stop, err := startNode(o, dir)
	if err != nil {
		return err
	}
	defer stop()
	b := &bench{o: o, dir: dir, target: url, machine: machine()}
	if err := b.measure(ctx); err != nil {
		return err
	}
	var w io.Writer = os.Stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	b.write(w)
	return nil
}

// startNode runs `boxoffice serve` on free loopback ports and waits for
// /readyz. stop ends it with SIGTERM, or SIGKILL after 15 s.
func startNode(o options, dir string) (string, func(), error) {
	remote, err := nodeproc.FreeAddr()
	if err != nil {
		return "", nil, err
	}
	gossip, err := nodeproc.FreeAddr()
	if err != nil {
		return "", nil, err
	}
	args := []string{"--remote", remote, "--gossip", gossip, "--data", filepath.Join(dir, "data"), "--log-level", "warn"}
	if o.databaseURL != "" {
		args = append(args, "--database-url", o.databaseURL, "--database-prefix", "bench_"+fmt.Sprint(os.Getpid()))
	}
	logs, err := os.Create(filepath.Join(dir, "node.log"))
	if err != nil {
		return "", nil, err
	}
	n, err := nodeproc.Start(nodeproc.Options{Binary: o.bin, Args: args, Output: logs,
		// Limits off: the load comes from one address, far faster than one
		// client may; hold caps off: hold-release holds again the seat it
		// has just released, which the cool-down refuses.
		Env: []string{"BOXOFFICE_ADMIN_EMAIL=" + adminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + adminPassword,
			"BOXOFFICE_RATE_LIMITS=off", "BOXOFFICE_HOLD_CAPS=off", "BOXOFFICE_JWT_SECRET=" + jwtSecret}})
	if err != nil {
		logs.Close()
		return "", nil, err
	}
	stop := func() {
		if n.Stop(15*time.Second) != nil {
			n.Kill()
		}
		logs.Close()
	}
	if err := n.WaitReady(readyWait); err != nil {
		stop()
		b, _ := os.ReadFile(filepath.Join(dir, "node.log"))
		return "", nil, fmt.Errorf("%w:\n%s", err, b)
	}
	return n.URL, stop, nil
}

// report is the part of the loadtest JSON report the bench reads.
type report struct {
	ThroughputRPS float64 `json:"throughput_rps"`
	LatencyMs     latency `json:"latency_ms"`
	Operations    map[string]struct {
		Requests      int64    `json:"requests"`
		ThroughputRPS float64  `json:"throughput_rps"`
		LatencyMs     latency  `json:"latency_ms"`
		ServiceMs     *latency `json:"service_ms"`
	} `json:"operations"`
	Outcomes   map[string]int64   `json:"outcomes"`
	Figures    map[string]float64 `json:"figures"`
	Errors     int64              `json:"errors"`
	Dropped    int64              `json:"dropped"`
	Invariants struct {
		OK bool `json:"ok"`
	} `json:"invariants"`
}

type latency struct {
	P50, P90, P99, P999, Max float64
}

// loadtest runs one `boxoffice loadtest` and returns its report and the
// command line that reproduces it (with the target as $TARGET).
func (b *bench) loadtest(ctx context.Context, name string, args ...string) (*report, string, error) {
	dir := b.dir
	if b.o.reports != "" {
		dir = b.o.reports
	}
	out := filepath.Join(dir, name+".json")
	full := append([]string{"loadtest", "--target", b.target, "--quiet", "--out", out, "--html", filepath.Join(dir, name+".html")}, args...)
	if b.o.databaseURL != "" {
		full = append(full, "--database-url", b.o.databaseURL, "--database-prefix", "bench_"+fmt.Sprint(os.Getpid()))
	}
	cmd := exec.CommandContext(ctx, b.o.bin, full...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword)
	fmt.Fprintf(os.Stderr, "bench: %s\n", strings.Join(append([]string{"boxoffice"}, full...), " "))
	stdout, err := cmd.CombinedOutput()
	fmt.Fprint(os.Stderr, string(stdout))
	var r report
	data, rerr := os.ReadFile(out)
	if rerr != nil {
		return nil, "", errors.Join(err, rerr)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, "", err
	}
	line := "boxoffice loadtest --target $TARGET " + strings.Join(args, " ")
	if err != nil {
		line += "   # exited with " + err.Error()
	}
	return &r, line, nil
}
