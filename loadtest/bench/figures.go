package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// bench takes the load-test figures that need only HTTP (BENCHMARKS.md
// lists their targets).
type bench struct {
	o       options
	dir     string
	target  string
	machine string
	rows    []row
	started time.Time
}

// row is one figure with the command that reproduces it.
type row struct {
	what, figure, target, command string
}

func (b *bench) add(what, figure, target, command string) {
	b.rows = append(b.rows, row{what, figure, target, command})
}

// measure runs, in order: hold attempts on taken seats against /healthz
// (closed loop); a flash sale (closed loop); then both again as open loops
// at half the rate each reached closed.
func (b *bench) measure(ctx context.Context) error {
	b.started = time.Now()
	d, c := b.o.duration.String(), fmt.Sprint(b.o.connections)
	hc, cmd, err := b.loadtest(ctx, "hold-contention", "--scenario", "hold-contention", "--duration", d, "--connections", c)
	if err != nil {
		return err
	}
	ratio := hc.Figures["hold_to_healthz"]
	b.add("hold attempts on taken seats (409) vs GET /healthz, same client, same run",
		fmt.Sprintf("holds %.0f/s, healthz %.0f/s: **%.0f%%** (hold p99 %.2f ms, healthz p99 %.2f ms)", hc.Figures["hold_rps"],
			hc.Figures["healthz_rps"], 100*ratio, hc.Operations["hold"].LatencyMs.P99, hc.Operations["health"].LatencyMs.P99),
		verdict(ratio >= 0.7, ">= 70%"), cmd)

	fs, cmd, err := b.loadtest(ctx, "flash-sale", "--scenario", "flash-sale", "--duration", d, "--connections", c)
	if err != nil {
		return err
	}
	b.add("flash sale, 50 hot seats per wave (hold 1 seat, pay, losers retry)",
		fmt.Sprintf("%.0f req/s, p99 %.2f ms (hold p99 %.2f ms, book p99 %.2f ms), %.0f seats booked/s, audit %s", fs.ThroughputRPS,
			fs.LatencyMs.P99, fs.Operations["hold"].LatencyMs.P99, fs.Operations["book"].LatencyMs.P99, fs.Figures["bookings_rps"], okText(fs.Invariants.OK)),
		"", cmd)

	hr, cmd, err := b.loadtest(ctx, "hold-release", "--scenario", "hold-release", "--duration", d, "--connections", c)
	if err != nil {
		return err
	}
	b.add("successful durable 1-seat holds (each connection holds a seat of its own, releases it, again)",
		fmt.Sprintf("**%.0f holds/s** (hold p99 %.2f ms, release p99 %.2f ms), audit %s", hr.Figures["holds_rps"],
			hr.Operations["hold"].LatencyMs.P99, hr.Operations["release"].LatencyMs.P99, okText(hr.Invariants.OK)),
		holdsTarget(b.o.databaseURL != ""), cmd)

	rate := fmt.Sprintf("%.0f", hc.Figures["hold_rps"]/2)
	ol, cmd, err := b.loadtest(ctx, "open-contention", "--scenario", "hold-contention", "--duration", d, "--connections", c, "--rate", rate)
	if err != nil {
		return err
	}
	p99 := ol.Operations["hold"].LatencyMs.P99
	b.add(fmt.Sprintf("open loop at half the closed-loop hold rate (%s arrivals/s), hold on taken seats", rate),
		fmt.Sprintf("hold p99 **%.2f ms** (p50 %.2f, p99.9 %.2f, max %.2f; from the actual send p99 %.2f), harness dispatch lag max %.1f ms, %d dropped",
			p99, ol.Operations["hold"].LatencyMs.P50, ol.Operations["hold"].LatencyMs.P999, ol.Operations["hold"].LatencyMs.Max,
			svcP99(ol, "hold"), ol.Figures["dispatch_lag_max_ms"], ol.Dropped),
		verdict(p99 <= 5, "<= 5 ms"), cmd)

	rate = fmt.Sprintf("%.0f", fs.Operations["hold"].ThroughputRPS/2)
	of, cmd, err := b.loadtest(ctx, "open-flash-sale", "--scenario", "flash-sale", "--duration", d, "--connections", c, "--rate", rate)
	if err != nil {
		return err
	}
	p99 = of.Operations["hold"].LatencyMs.P99
	b.add(fmt.Sprintf("open loop flash sale at half its closed-loop hold rate (%s buyers/s)", rate),
		fmt.Sprintf("hold p99 **%.2f ms** (from the actual send %.2f), book p99 %.2f ms, all p99 %.2f ms, harness dispatch lag max %.1f ms, %d dropped, audit %s",
			p99, svcP99(of, "hold"), of.Operations["book"].LatencyMs.P99, of.LatencyMs.P99, of.Figures["dispatch_lag_max_ms"], of.Dropped, okText(of.Invariants.OK)),
		verdict(p99 <= 5, "<= 5 ms"), cmd)
	return nil
}

// svcP99 is an operation's p99 counted from the actual send (open loop).
func svcP99(r *report, op string) float64 {
	if s := r.Operations[op].ServiceMs; s != nil {
		return s.P99
	}
	return 0
}

// holdsTarget says what the durable-hold figure is compared with: on
// PostgreSQL, the target is 1.5x what 64 clients get from the same
// server with a conditional UPDATE per seat, which `make bench` measures
// with BenchmarkHoldsOnPostgres/sql-update.
func holdsTarget(postgres bool) string {
	if !postgres {
		return ""
	}
	return ">= 1.5x BenchmarkHoldsOnPostgres/sql-update/showtimes=1 (holds/s) on the same server"
}

func verdict(ok bool, target string) string {
	if ok {
		return "met (" + target + ")"
	}
	return "**missed** (" + target + ")"
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}

func (b *bench) write(w io.Writer) {
	store := "embedded SQLite store"
	if b.o.databaseURL != "" {
		store = "PostgreSQL"
	}
	fmt.Fprintf(w, "## Load tests over HTTP (`boxoffice loadtest`)\n\n")
	fmt.Fprintf(w, "One local node, %s, %s per run, %d connections; taken %s.\n\n", store, b.o.duration, b.o.connections,
		b.started.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "Machine: %s\n\n", b.machine)
	fmt.Fprintln(w, "| what | figure | target |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range b.rows {
		fmt.Fprintf(w, "| %s | %s | %s |\n", r.what, r.figure, r.target)
	}
	serve := "boxoffice serve --rate-limits off --hold-caps off --data /tmp/bench"
	if b.o.databaseURL != "" {
		serve = "BOXOFFICE_JWT_SECRET=$SECRET boxoffice serve --rate-limits off --hold-caps off --database-url $DATABASE_URL"
	}
	fmt.Fprintf(w, "\nTo reproduce, start a node (`BOXOFFICE_ADMIN_EMAIL=... BOXOFFICE_ADMIN_PASSWORD=... %s`),\nset TARGET=http://127.0.0.1:8080 and the same admin env, then:\n\n```\n", serve)
	for _, r := range b.rows {
		fmt.Fprintln(w, r.command)
	}
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w, "\nThe open-loop rates are half of what the closed loop above reached on this run; the harness and the node share the machine.")
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
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%s, %d cores, %s, %s; load average before the run: %s", cpu, runtime.NumCPU(),
		strings.TrimSpace(string(kernel)), runtime.Version(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}
