package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
	"github.com/boxoffice/boxoffice/internal/pgserver"
	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// Environment of TestFaults (make faults sets them).
const (
	envOn       = "BOXOFFICE_FAULTS" // set: run the harness
	envRuns     = "FAULTS_RUNS"      // runs per nemesis (default 10)
	envNemeses  = "FAULTS_NEMESES"   // comma-separated names (default all)
	envSeed     = "FAULTS_SEED"      // replay: one run of each nemesis with this seed
	envOut      = "FAULTS_OUT"       // where runs are saved (default faults-out at the repository root)
	envCheck    = "FAULTS_CHECK"     // a saved run: check its history again
	nodes       = 3
	runsDefault = 10
)

// TestFaults runs every nemesis FAULTS_RUNS times with different seeds and
// fails on any violation the audit or porcupine finds and on a run that
// could not be made. A view of the end state that could not be read (the
// API answering 503 after the heal; the stores' view is still checked) is
// counted in the table as an incomplete audit. A node that
// never answered again after the heal is shown in the table, not failed:
// unavailability is allowed, a lost or doubled booking is not.
func TestFaults(t *testing.T) {
	if os.Getenv(envOn) == "" {
		t.Skipf("the fault harness runs with %s=1 (make faults)", envOn)
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "network namespaces need root")
	}
	names := Names()
	if s := os.Getenv(envNemeses); s != "" {
		names = nil
		for _, n := range strings.Split(s, ",") {
			if n != "disk-full" { // a test of its own: make faults runs it after this one
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			t.Skip("only disk-full chosen: make faults runs it as its own test (TestDiskFull)")
		}
	}
	runs := runsDefault
	if s := os.Getenv(envRuns); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", envRuns, s)
		}
		runs = n
	}
	seed, replay := time.Now().UnixNano()%1_000_000_000, false
	if s := os.Getenv(envSeed); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want a number", envSeed, s)
		}
		seed, replay, runs = n, true, 1
	}
	outDir := os.Getenv(envOut)
	if outDir == "" {
		outDir = filepath.Join("..", "..", "faults-out")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, cleanup, err := nodeproc.Build("../../cmd/boxoffice")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	ctx := context.Background()
	killLeftovers()
	nw, err := setupNetwork(ctx, nodes)
	if err != nil {
		skipOrFail(t, "cannot build the network namespaces: "+err.Error())
	}
	t.Cleanup(func() { killLeftovers(); removeNetwork(context.Background()) })
	debugClock := hasDebugClock(ctx, bin)
	logf("%d nemeses x %d runs, first seed %d, runs saved in %s", len(names), runs, seed, outDir)

	var rows []row
	for _, name := range names {
		nem, ok := nemesisNamed(name)
		if !ok {
			t.Fatalf("no nemesis %q (one of %s)", name, strings.Join(Names(), ", "))
		}
		t.Run(name, func(t *testing.T) {
			results := runNemesis(t, nem, nw, bin, debugClock, outDir, seed, runs)
			r := summarize(name, results)
			rows = append(rows, r)
			var b strings.Builder
			writeTable(&b, []row{r})
			logf("%s done:\n%s", name, b.String())
			for _, res := range results {
				for _, v := range res.Violations {
					t.Errorf("%s seed %d: violation: %s (history %s)", name, res.Seed, v, res.File)
				}
				for _, v := range res.AuditIncomplete {
					t.Logf("%s seed %d: audit incomplete: %s (history %s)", name, res.Seed, v, res.File)
				}
				if res.Err != "" {
					t.Errorf("%s seed %d: run not made: %s (history %s)", name, res.Seed, res.Err, res.File)
				}
				if len(res.NotRecovered) > 0 {
					t.Errorf("%s seed %d: not recovered within %s of the heal: %s (history %s, node logs in faults-out/logs/)",
						name, res.Seed, recoverMax, strings.Join(res.NotRecovered, ", "), res.File)
				}
				if res.Skipped != "" {
					t.Logf("%s seed %d: skipped: %s", name, res.Seed, res.Skipped)
				}
			}
		})
	}
	var b strings.Builder
	writeTable(&b, rows)
	b.WriteString("| disk-full | (SQLite on a tiny file system filling up: a test of its own, run by `make faults` beside this harness) |||||||||||||\n")
	section := "\n" + tableIntro(runs, seed) + "\n\n" + b.String() + "\n"
	logf("summary:\n%s", b.String())
	md := filepath.Join("..", "..", "FAULTS.md")
	switch {
	case replay:
	case os.Getenv(envNemeses) == "":
		if err := updateFaultsMD(md, section); err != nil {
			t.Error(err)
		}
	default:
		// Some nemeses only: their rows replace theirs in the table.
		extra := fmt.Sprintf("run on its own, seeds from %d, %s", seed, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
		if err := updateFaultsRows(md, rows, extra); err != nil {
			t.Logf("FAULTS.md not updated: %v", err)
		}
	}
}

// runNemesis makes the runs of one nemesis on its own PostgreSQL server.
func runNemesis(t *testing.T, nem nemesis, nw *network, bin string, debugClock bool, outDir string, seed int64, runs int) []RunResult {
	pg := pgserver.Start(t, pgserver.Options{Listen: []string{pgIP}, Trust: []string{subnet + ".0/24"},
		Settings: []string{"max_connections = 200"}})
	logDir := filepath.Join(outDir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: bin, dbURL: pg.URLAt(pgIP) + "&pool_max_conns=4", prefix: "faults", holdTTL: holdTTL,
		debugClock: debugClock, logDir: logDir}
	t.Cleanup(c.killAll)
	h := &harness{c: c, nw: nw, pg: pg, outDir: outDir, logf: logf}
	ctx := context.Background()
	h.openStores = func() error {
		st, err := postgres.Open(ctx, postgres.Config{BaseURL: pg.URL(), Prefix: c.prefix, MaxConns: 4})
		h.stores = st
		return err
	}
	var results []RunResult
	for k := range runs {
		s := seed + int64(k)
		logf("%s run %d/%d seed %d", nem.name, k+1, runs, s)
		started := time.Now()
		res := h.run(ctx, nem, s)
		logf("%s seed %d: %d ok / %d fail / %d unknown, %d violations%s, recover %s, not recovered %v%s%s (%s, %s)",
			nem.name, s, res.OK, res.Fail, res.Unknown, len(res.Violations), wrap(" (porcupine without the map reads: ", res.WritesAlone, ")"),
			res.Recover.Round(time.Millisecond), res.NotRecovered, prefixed(" skipped: ", res.Skipped), prefixed(" error: ", res.Err),
			time.Since(started).Round(time.Second), res.File)
		results = append(results, res)
	}
	if h.stores != nil {
		h.stores.Close()
	}
	return results
}

func wrap(p, s, q string) string {
	if s == "" {
		return ""
	}
	return p + s + q
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

func tableIntro(runs int, seed int64) string {
	return "Runs of `make faults` (" + strconv.Itoa(runs) + " per nemesis, seeds from " + strconv.FormatInt(seed, 10) +
		"), " + time.Now().UTC().Format("2006-01-02 15:04 UTC") + ". Operations are the seat operations recorded " +
		"(map reads past the first 256 of a seat thinned as the load test does). Time to recover: from the heal " +
		"to the first 200 of every gateway's /readyz."
}

// TestFaultsCheck checks a saved run's history again (FAULTS_CHECK=<file>).
func TestFaultsCheck(t *testing.T) {
	path := os.Getenv(envCheck)
	if path == "" {
		t.Skipf("set %s to a saved run (faults-out/<nemesis>-<seed>.json) to check it again", envCheck)
	}
	res, c, err := CheckSaved(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s seed %d: %s %s", res.Nemesis, res.Seed, c.Status, c.Detail)
	if c.Status == loadtest.StatusFailed {
		t.Fail()
	}
}

func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("faults: %s (CI is set)", msg)
	}
	t.Skipf("faults: skipping: %s", msg)
}
