package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// report is the part of the loadtest JSON report the bench reads.
type report struct {
	ThroughputRPS float64 `json:"throughput_rps"`
	LatencyMs     latency `json:"latency_ms"`
	Operations    map[string]struct {
		Requests      int64            `json:"requests"`
		Errors        int64            `json:"errors"`
		ThroughputRPS float64          `json:"throughput_rps"`
		LatencyMs     latency          `json:"latency_ms"`
		ServiceMs     *latency         `json:"service_ms"`
		Outcomes      map[string]int64 `json:"outcomes"`
	} `json:"operations"`
	Outcomes     map[string]int64   `json:"outcomes"`
	Figures      map[string]float64 `json:"figures"`
	Errors       int64              `json:"errors"`
	Dropped      int64              `json:"dropped"`
	StoppedEarly string             `json:"stopped_early"`
	Invariants   struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	} `json:"invariants"`
}

type latency struct {
	P50, P90, P99, P999, Max, Mean float64
}

// audit says how the run's audit ended, naming the failed checks.
func (r *report) audit() string {
	if r.Invariants.OK {
		return "ok"
	}
	var failed []string
	for _, c := range r.Invariants.Checks {
		if !c.OK {
			failed = append(failed, c.Name)
		}
	}
	return "failed: " + strings.Join(failed, ", ")
}

// loadtestRun is where one `boxoffice loadtest` goes.
type loadtestRun struct {
	bin, target, reports  string
	databaseURL, dbPrefix string // the node's store, for the store audit
	duration              time.Duration
	progress              func(format string, args ...any)
}

// run runs one `boxoffice loadtest` and returns its report and the command
// line that reproduces it (the target as $TARGET). The report is read
// even when the command exits 1 (an audit check failed): the figure is
// kept and the bench's notes name the failed checks.
func (l loadtestRun) run(ctx context.Context, name string, d time.Duration, args ...string) (*report, string, error) {
	out := filepath.Join(l.reports, name+".json")
	full := append([]string{"loadtest", "--target", l.target, "--quiet", "--out", out, "--html", filepath.Join(l.reports, name+".html"),
		"--duration", d.String()}, args...)
	if l.databaseURL != "" {
		full = append(full, "--database-url", l.databaseURL, "--database-prefix", l.dbPrefix)
	}
	_ = os.Remove(out)
	ctx, cancel := context.WithTimeout(ctx, d+10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.bin, full...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword)
	l.progress("loadtest %s (%s of load)", strings.Join(args, " "), d)
	stdout, err := cmd.CombinedOutput()
	line := "boxoffice loadtest --target $TARGET --duration " + d.String() + " " + strings.Join(args, " ")
	var r report
	data, rerr := os.ReadFile(out)
	if rerr != nil {
		return nil, line, fmt.Errorf("%s: %w\n%s", line, errors.Join(err, rerr), tail(string(stdout), 4000))
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, line, err
	}
	return &r, line, nil
}
