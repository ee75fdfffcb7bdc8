package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/loadtest"
)

// Load of a run: a flash sale through every gateway, in an open loop so
// that a node answering 503 at once does not turn into a storm of
// requests (and of operations with unknown outcomes) from a closed loop.
const (
	loadConnections = 16
	loadRate        = 100 // arrivals per second
	loadSeats       = 50
	loadUsers       = 8
	loadTimeout     = 10 * time.Second
	holdTTL         = 2 * time.Second
	// recoverMax bounds the wait for every gateway to answer 2xx after the
	// heal; a node still failing then is marked as never recovered. A node
	// cut off from its peers stays fenced for the cluster's probation
	// (10s) after the heal, then, if the peers had declared it dead,
	// rejoins under a new member id: 30s leaves room for both.
	recoverMax   = 30 * time.Second
	recoverEvery = 100 * time.Millisecond
)

// RunResult is what one run found; it is saved with the history.
type RunResult struct {
	Nemesis string `json:"nemesis"`
	Seed    int64  `json:"seed"`
	Target  string `json:"target"`
	Other   string `json:"other"`
	// Err: the run could not be made (the cluster did not start...).
	Err     string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// OK, Fail and Unknown count the recorded seat operations by result.
	OK, Fail, Unknown int
	Thinned           int64 `json:"thinned"`
	// Violations are the failed checks of the audit; AuditIncomplete the
	// checks that could not read the end state; Inconclusive those that
	// could not decide (porcupine out of time, probes without answers).
	Violations      []string `json:"violations,omitempty"`
	AuditIncomplete []string `json:"audit_incomplete,omitempty"`
	Inconclusive    []string `json:"inconclusive,omitempty"`
	// WritesAlone is porcupine's verdict on the seats' histories without
	// their map reads, when the whole history failed: "ok" means that only
	// reads saw what no order of the writes explains (stale reads), not
	// that a seat was held or booked twice.
	WritesAlone string `json:"writes_alone,omitempty"`
	// Recover is from the heal to the first 200 of every gateway's
	// /readyz; NotRecovered names the nodes with none within recoverMax.
	Recover      time.Duration `json:"recover_ns"`
	NotRecovered []string      `json:"not_recovered,omitempty"`
	// FaultAt and HealAt are from the load's first request.
	FaultAt time.Duration `json:"fault_at_ns"`
	HealAt  time.Duration `json:"heal_at_ns"`
	// FaultOps and HealOps are FaultAt and HealAt on the history's clock,
	// as the operations' Call and Return times are.
	FaultOps int64 `json:"fault_at_history_ns"`
	HealOps  int64 `json:"heal_at_history_ns"`
	// ClockWindows are when the clock nemesis had a node's clock ahead,
	// on the history's clock (from before it moved the clock to after it
	// moved it back); the audit excused what they explain. Empty for the
	// other nemeses.
	ClockWindows []loadtest.ClockWindow `json:"clock_windows,omitempty"`
	Notes        []string               `json:"notes,omitempty"`
	Measures     map[string]float64     `json:"measures,omitempty"`
	Report       *loadtest.Report       `json:"report,omitempty"`
	Seats        []loadtest.SeatHistory `json:"seats,omitempty"`
	File         string                 `json:"-"`
}

// harness is one nemesis's cluster and database.
type harness struct {
	c      *cluster
	nw     *network
	pg     database
	stores *boxoffice.Stores
	// openStores opens stores once the databases exist (the first node
	// creates them); the audit then also reads the stores.
	openStores func() error
	outDir     string
	logf       func(format string, args ...any)
}

// run makes one run of nem with seed and saves it.
func (h *harness) run(ctx context.Context, nem nemesis, seed int64) RunResult {
	res := RunResult{Nemesis: nem.name, Seed: seed}
	runName := fmt.Sprintf("%s-%d", nem.name, seed)
	f := &fault{c: h.c, nw: h.nw, pg: h.pg, run: runName}
	f.pickNodes(rand.New(rand.NewPCG(uint64(seed), 0xfa17)), h.nw.n)
	res.Target, res.Other = h.c.name(f.target), h.c.name(f.other)

	// A fresh set of processes for each run: a node fenced by the last
	// run's fault must not make this one's.
	_ = h.nw.heal(ctx)
	h.c.killAll()
	if err := h.c.startAll(ctx, h.nw.n, runName); err != nil {
		res.Err = "start: " + err.Error()
		return h.save(res)
	}
	if h.stores == nil && h.openStores != nil {
		if err := h.openStores(); err != nil {
			res.Err = "open the stores: " + err.Error()
			return h.save(res)
		}
	}
	window := nem.window
	if window == 0 {
		window = faultWindow
	}
	rate := nem.rate
	if rate == 0 {
		rate = loadRate
	}
	var start, faulted, healed time.Time
	rec := &recovery{}
	var healOnce sync.Once
	heal := func(ctx context.Context) {
		healOnce.Do(func() {
			healed = time.Now()
			res.HealAt = healed.Sub(start)
			if err := nem.heal(ctx, f); err != nil {
				f.note("heal: %v", err)
			}
			rec.watch(ctx, h.c, h.nw.n, healed)
		})
	}
	cfg := loadtest.Config{Targets: h.c.URLs(), Scenario: loadtest.ScenarioFlashSale,
		Duration: faultAfter + window + afterHeal, Connections: loadConnections, Rate: rate, Seats: loadSeats, Users: loadUsers,
		Timeout: loadTimeout, AdminEmail: adminEmail, AdminPassword: adminPassword, HoldTTLCheck: true,
		Stores: h.stores, Seed: seed,
		DuringLoad: func(ctx context.Context) {
			start = time.Now()
			sleepCtx(ctx, faultAfter)
			faulted = time.Now()
			res.FaultAt = faulted.Sub(start)
			h.logf("%s: %s begins on %s", runName, nem.name, res.Target)
			if err := nem.begin(ctx, f); err != nil {
				f.note("begin: %v", err)
			}
			if f.skipped == "" {
				sleepCtx(ctx, window)
			}
			heal(ctx)
			h.logf("%s: healed", runName)
		},
		// Read at the audit, once DuringLoad and AfterLoad are done with f.
		ClockJumps: func() []loadtest.ClockJump { return f.jumps },
		AfterLoad: func(ctx context.Context) ([]string, error) {
			heal(ctx)
			rec.wait()
			res.Recover = rec.all
			var targets []string
			for i := range h.nw.n {
				if rec.at[i] < 0 {
					res.NotRecovered = append(res.NotRecovered, h.c.name(i))
					f.note("%s", h.c.diagnose(ctx, i, runName))
				} else {
					targets = append(targets, h.c.URL(i))
				}
			}
			if len(targets) == 0 {
				return nil, fmt.Errorf("no node recovered within %s of the heal", recoverMax)
			}
			return targets, nil
		}}
	r, err := loadtest.Run(ctx, cfg)
	heal(context.WithoutCancel(ctx))
	res.Skipped, res.Notes, res.Measures = f.skipped, f.notes, f.measures
	if err != nil {
		res.Err = "load: " + err.Error()
		return h.save(res)
	}
	res.Report = r
	if !faulted.IsZero() {
		res.FaultOps, res.HealOps = r.History.At(faulted), r.History.At(healed)
	}
	if len(f.jumps) > 0 {
		res.ClockWindows = r.History.Windows(f.jumps)
	}
	res.judge(r)
	return h.save(res)
}

// judge sorts the audit's checks into violations, incomplete and
// inconclusive ones, and counts the history's operations.
func (res *RunResult) judge(r *loadtest.Report) {
	for _, c := range r.Invariants.Checks {
		line := c.Name + ": " + c.Detail
		switch {
		case c.Name == loadtest.CheckRunCompleted:
			if c.Status == loadtest.StatusFailed && res.Err == "" {
				res.Err = c.Detail
			}
		case c.Status == loadtest.StatusFailed && isUnreadable(c.Detail):
			res.AuditIncomplete = append(res.AuditIncomplete, line)
		case c.Status == loadtest.StatusFailed:
			res.Violations = append(res.Violations, line)
		case c.Status == loadtest.StatusInconclusive:
			res.Inconclusive = append(res.Inconclusive, line)
		}
	}
	seats, thinned, _ := r.History.Export()
	res.Seats, res.Thinned = seats, thinned
	if c := checkNamed(r, loadtest.CheckLinearizableSeats); c.Status == loadtest.StatusFailed {
		res.WritesAlone = string(writesAlone(seats, thinned, res.ClockWindows).Status)
	}
	for _, s := range seats {
		for _, op := range s.Ops {
			switch op.Result {
			case loadtest.ResultOK:
				res.OK++
			case loadtest.ResultRefused:
				res.Fail++
			case loadtest.ResultUnknown:
				res.Unknown++
			}
		}
	}
}

func isUnreadable(detail string) bool {
	return len(detail) > 0 && strings.Contains(detail, "could not read the end state")
}

// save writes the run, its history and seed to the output directory.
func (h *harness) save(res RunResult) RunResult {
	res.File = filepath.Join(h.outDir, fmt.Sprintf("%s-%d.json", res.Nemesis, res.Seed))
	b, err := json.Marshal(res)
	if err == nil {
		err = os.WriteFile(res.File, b, 0o644)
	}
	if err != nil {
		h.logf("save %s: %v", res.File, err)
	}
	res.Seats = nil // kept on disk, not in memory
	return res
}

// recovery watches every gateway after the heal until each answers 200.
type recovery struct {
	at   []time.Duration // per node; -1: not within recoverMax
	all  time.Duration   // until the last one
	done chan struct{}
}

func (r *recovery) watch(ctx context.Context, c *cluster, n int, healed time.Time) {
	r.at, r.done = make([]time.Duration, n), make(chan struct{})
	go func() {
		defer close(r.done)
		left := n
		for i := range r.at {
			r.at[i] = -1
		}
		for left > 0 && time.Since(healed) < recoverMax && ctx.Err() == nil {
			for i := range r.at {
				if r.at[i] < 0 {
					if st, err := c.ready(ctx, i); err == nil && st == 200 {
						r.at[i] = time.Since(healed)
						r.all = max(r.all, r.at[i])
						left--
					}
				}
			}
			sleepCtx(ctx, recoverEvery)
		}
		if left > 0 {
			r.all = -1
		}
	}()
}

func (r *recovery) wait() {
	if r.done != nil {
		<-r.done
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func checkNamed(r *loadtest.Report, name string) loadtest.Check {
	for _, c := range r.Invariants.Checks {
		if c.Name == name {
			return c
		}
	}
	return loadtest.Check{}
}

// writesAlone checks the histories again without the map reads.
func writesAlone(seats []loadtest.SeatHistory, thinned int64, windows []loadtest.ClockWindow) loadtest.Check {
	out := make([]loadtest.SeatHistory, len(seats))
	for i, s := range seats {
		out[i] = loadtest.SeatHistory{Showtime: s.Showtime, Seat: s.Seat}
		for _, op := range s.Ops {
			if op.Kind != loadtest.SeatRead {
				out[i].Ops = append(out[i].Ops, op)
			}
		}
	}
	return loadtest.LinearizableSeats(loadtest.ImportSeats(out), thinned, 0, windows)
}
