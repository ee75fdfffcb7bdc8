// Package faults is the fault harness behind `make faults`: Jepsen-style
// runs of a flash sale on a three-node cluster while a nemesis injects one
// fault (partitions, a node killed or paused, PostgreSQL restarted or
// stopped, a clock jump), each node in a network namespace of its own and
// PostgreSQL a private server on a bridge address. Every operation is
// recorded ok, fail or unknown; after the heal the harness waits for every
// gateway to answer, and the load-test audit and porcupine judge the run.
// Each run is saved as JSON with its seed: FAULTS_SEED replays one run and
// FAULTS_CHECK checks a saved history again.
//
// The runs are a Go test, TestFaults, which runs only when BOXOFFICE_FAULTS
// is set and needs root (network namespaces) and the PostgreSQL server
// binaries.
package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/loadtest"
)

// Names lists the nemeses in the order they run.
func Names() []string {
	out := make([]string, len(nemeses))
	for i, n := range nemeses {
		out[i] = n.name
	}
	return out
}

func nemesisNamed(name string) (nemesis, bool) {
	for _, n := range nemeses {
		if n.name == name {
			return n, true
		}
	}
	return nemesis{}, false
}

// hasDebugClock tells whether the binary has `serve --debug-clock`.
func hasDebugClock(ctx context.Context, bin string) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, "serve", "--help").CombinedOutput()
	return strings.Contains(string(out), "debug-clock")
}

// logf prints a progress line.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "faults %s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}

// CheckSaved checks a saved run's history again with porcupine and
// returns the verdict with the run.
func CheckSaved(path string) (RunResult, loadtest.Check, error) {
	var res RunResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = jsonUnmarshal(b, &res)
	}
	if err != nil {
		return res, loadtest.Check{}, err
	}
	c := loadtest.LinearizableSeats(loadtest.ImportSeats(res.Seats), res.Thinned, 0, res.ClockWindows)
	if c.Status == loadtest.StatusFailed {
		w := writesAlone(res.Seats, res.Thinned, res.ClockWindows)
		c.Detail += "; without the map reads: " + string(w.Status) + ": " + w.Detail
	}
	return res, c, nil
}
