package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const pgbenchOutput = `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: /tmp/boxoffice-bench/hold-release.sql
scaling factor: 1
query mode: prepared
number of clients: 64
number of threads: 2
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 40781
number of failed transactions: 0 (0.000%)
latency average = 15.663 ms
initial connection time = 61.244 ms
tps = 4086.025641 (without initial connection time)
`

func TestParsePgbench(t *testing.T) {
	r, err := parsePgbench(pgbenchOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := pgbenchResult{TPS: 4086.025641, LatencyAvgMs: 15.663, Processed: 40781}
	if r != want {
		t.Fatalf("got %+v, want %+v", r, want)
	}
	failed := strings.Replace(pgbenchOutput, "failed transactions: 0 (0.000%)", "failed transactions: 12 (0.030%)", 1)
	if r, err := parsePgbench(failed); err != nil || r.Failed != 12 {
		t.Fatalf("failed transactions: %+v %v", r, err)
	}
	// -t runs print processed as n/m.
	if r, err := parsePgbench(strings.Replace(pgbenchOutput, "processed: 40781", "processed: 6/6", 1)); err != nil || r.Processed != 6 {
		t.Fatalf("n/m form: %+v %v", r, err)
	}
	for name, out := range map[string]string{
		"no tps":     strings.Replace(pgbenchOutput, "tps = ", "tips = ", 1),
		"no latency": strings.Replace(pgbenchOutput, "latency average", "latency mean", 1),
		"empty":      "",
		"aborted":    pgbenchOutput + "pgbench: error: client 3 aborted in command 2 (SQL) of script 0; ERROR:  boom\n",
	} {
		if _, err := parsePgbench(out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBaselineChecks(t *testing.T) {
	if err := checkHoldRelease(100, 100, 0); err != nil {
		t.Error(err)
	}
	if err := checkHoldRelease(100, 90, 0); err == nil {
		t.Error("holds that matched no row passed")
	}
	if err := checkHoldRelease(100, 100, 1); err == nil {
		t.Error("a seat left held passed")
	}
	if err := checkBooking(5000, 5000, 5000, 5000, 5000, 50, 64); err != nil {
		t.Error(err)
	}
	for name, c := range map[string][6]int64{
		"seat not booked":   {5000, 5000, 4999, 5000, 5000, 50},
		"payment missing":   {5000, 4999, 5000, 5000, 5000, 50},
		"seat of another":   {5000, 5000, 5000, 5000, 4990, 50},
		"extra booking":     {5000, 5001, 5001, 5001, 5001, 50},
		"not spread enough": {5000, 5000, 5000, 5000, 5000, 10},
	} {
		if err := checkBooking(c[0], c[1], c[2], c[3], c[4], c[5], 64); err == nil {
			t.Errorf("%s: passed", name)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "bench_sql_1")
	if err != nil || got != "postgres://postgres@127.0.0.1:5432/bench_sql_1?sslmode=disable" {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, _ := withDatabase("host=/tmp dbname=postgres", "b"); got != "host=/tmp dbname=postgres dbname=b" {
		t.Fatalf("keyword/value: %q", got)
	}
}

// TestSQLBaselinesOnPostgres runs both pgbench scripts for 2 s on the test
// server and checks that their rows prove the work (the checks above).
func TestSQLBaselinesOnPostgres(t *testing.T) {
	url := os.Getenv("BOXOFFICE_TEST_DATABASE_URL")
	bin, err := exec.LookPath("pgbench")
	if url == "" || err != nil {
		t.Skip("needs BOXOFFICE_TEST_DATABASE_URL and pgbench")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := openSQLBench(ctx, bin, url, "bench_sql_test_"+strings.ReplaceAll(t.Name(), "/", "_")[:12], t.TempDir(), 8, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(ctx)
	holdRelease := func(n int) {
		r, line, err := s.holdRelease(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if r.Processed == 0 || r.TPS <= 0 || !strings.Contains(line, fmt.Sprintf("showtimes=%d", n)) {
			t.Fatalf("hold-release over %d: %+v, %s", n, r, line)
		}
	}
	holdRelease(1)
	holdRelease(100)
	for range 2 { // the second run starts from fresh seats
		r, _, err := s.booking(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Processed == 0 || r.LatencyAvgMs <= 0 {
			t.Fatalf("booking: %+v", r)
		}
	}
	// The runs of a bench follow each other: the booked seats of the
	// booking baseline are not the hold-release baseline's.
	holdRelease(100)
}
