package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"github.com/boxoffice/boxoffice/loadtest"
)

// A nemesis injects one kind of fault: begin starts it, heal ends it (and
// must be safe to call when begin did not run or failed). target and
// other are nodes the run's seed picked.
type nemesis struct {
	name   string
	desc   string
	window time.Duration // how long the fault lasts; 0: faultWindow
	// rate is the load's arrivals per second; 0: loadRate. A long outage
	// runs a lighter load: every request in it has an unknown outcome, and
	// porcupine's work grows with them.
	rate  float64
	begin func(ctx context.Context, f *fault) error
	heal  func(ctx context.Context, f *fault) error
}

// fault is one run's fault: the nodes it picked and what it noted.
type fault struct {
	c             *cluster
	nw            *network
	pg            database
	run           string
	target, other int
	// skipped says why the fault could not be made (the run still loads
	// and is audited, but the nemesis is not counted as exercised).
	skipped string
	notes   []string
	// measures are the figures a nemesis measures itself (pg-stop).
	measures map[string]float64
	pgw      *pgWatch // pg-stop's probes while the server is down
	// jumps are the clock nemesis's spans with the target's clock ahead,
	// for the audit.
	jumps []loadtest.ClockJump
}

// database is what a nemesis does to PostgreSQL.
type database interface {
	Stop()
	Start()
}

func (f *fault) note(format string, args ...any) {
	f.notes = append(f.notes, fmt.Sprintf(format, args...))
}

// Schedule of a run: load starts, faultAfter later the fault begins, it
// lasts its window, and the load goes on for afterHeal once healed.
const (
	faultAfter  = 2 * time.Second
	faultWindow = 5 * time.Second
	afterHeal   = 3 * time.Second
	pgStopFor   = time.Minute
	clockJump   = 2 * time.Second // about one hold TTL: holds on the jumped node look expired early
)

// nemeses are every nemesis, in the order the table shows them.
var nemeses = []nemesis{
	{name: "partition-one", desc: "one node cut from the other two, both directions; PostgreSQL still reachable",
		begin: func(ctx context.Context, f *fault) error {
			return forOthers(f, func(j int) error { return f.nw.cutBoth(ctx, f.target, j) })
		}, heal: healNet},
	{name: "isolate", desc: "2/1 split where the lone node also loses PostgreSQL (the harness still reaches it)",
		begin: func(ctx context.Context, f *fault) error {
			if err := forOthers(f, func(j int) error { return f.nw.cutBoth(ctx, f.target, j) }); err != nil {
				return err
			}
			return f.nw.drop(ctx, f.target, pgIP)
		}, heal: healNet},
	{name: "asymmetric", desc: "target hears other, other does not hear target (target's packets to other dropped)",
		begin: func(ctx context.Context, f *fault) error { return f.nw.drop(ctx, f.target, nodeIP(f.other)) },
		heal:  healNet},
	{name: "pg-partition", desc: "one node cut from PostgreSQL only",
		begin: func(ctx context.Context, f *fault) error { return f.nw.drop(ctx, f.target, pgIP) },
		heal:  healNet},
	{name: "kill", desc: "kill -9 of a random node, restarted at heal",
		begin: func(ctx context.Context, f *fault) error { f.c.kill(f.target); return nil },
		heal: func(ctx context.Context, f *fault) error {
			if f.c.pid(f.target) != 0 {
				return nil
			}
			return f.c.restart(ctx, f.target, f.run+"-restart")
		}},
	{name: "pause", desc: "SIGSTOP of a random node, SIGCONT at heal",
		begin: func(ctx context.Context, f *fault) error { f.c.signal(f.target, syscall.SIGSTOP); return nil },
		heal:  func(ctx context.Context, f *fault) error { f.c.signal(f.target, syscall.SIGCONT); return nil }},
	{name: "pg-restart", desc: "PostgreSQL restarted (pg_ctl stop -m fast, then start)", window: time.Second,
		begin: func(ctx context.Context, f *fault) error { f.pg.Stop(); f.pg.Start(); return nil },
		heal:  func(ctx context.Context, f *fault) error { return nil }},
	{name: "pg-stop", desc: "PostgreSQL stopped for a minute; nodes must answer 503 within 2 s and recover without a restart",
		window: pgStopFor, rate: loadRate / 4, begin: beginPGStop, heal: healPGStop},
	{name: "clock", desc: "the clock of one node jumps forward by about a hold TTL (POST /debug/clock), back at heal",
		begin: func(ctx context.Context, f *fault) error { return setClock(ctx, f, clockJump) },
		heal: func(ctx context.Context, f *fault) error {
			if f.skipped != "" {
				return nil
			}
			return setClock(ctx, f, 0)
		}},
	// disk-full (SQLite on a tiny file system) is a test of its own, wired
	// into `make faults` beside this harness.
}

func forOthers(f *fault, do func(j int) error) error {
	for j := range f.nw.n {
		if j != f.target {
			if err := do(j); err != nil {
				return err
			}
		}
	}
	return nil
}

func healNet(ctx context.Context, f *fault) error { return f.nw.heal(ctx) }

// pickNodes chooses the run's target and another node.
func (f *fault) pickNodes(rng *rand.Rand, n int) {
	f.target = rng.IntN(n)
	f.other = (f.target + 1 + rng.IntN(n-1)) % n
}

// setClock moves node target's clock by offset through the debug
// endpoint; a node without it (404) makes the nemesis skipped, never ok.
//
// It notes the span with the clock ahead in f.jumps, wide rather than
// narrow: from before a forward move is sent (kept unless the node
// answered that it did not move: a move without an answer may have
// happened) to after the move back answered 200; a move back that failed
// leaves the span open to the run's end.
func setClock(ctx context.Context, f *fault, offset time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if offset != 0 {
		f.jumps = append(f.jumps, loadtest.ClockJump{From: time.Now(), Offset: offset})
	}
	u := "http://" + nodeIP(f.target) + ":" + debugPort + "/debug/clock?offset=" + url.QueryEscape(offset.String())
	req, _ := http.NewRequestWithContext(ctx, "POST", u, nil)
	res, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		f.skipped = "POST /debug/clock answered 404: the node has no --debug-clock"
		if offset != 0 {
			f.dropOpenJump()
		}
		return nil
	case res.StatusCode != http.StatusOK:
		if offset != 0 {
			f.dropOpenJump()
		}
		return fmt.Errorf("POST /debug/clock: %d %s", res.StatusCode, body)
	}
	if offset == 0 {
		f.closeJumps(time.Now())
	}
	f.note("clock of %s offset %s: %s", f.c.name(f.target), offset, body)
	return nil
}

// dropOpenJump forgets the last span, which the node refused to make.
func (f *fault) dropOpenJump() {
	if n := len(f.jumps); n > 0 && f.jumps[n-1].To.IsZero() {
		f.jumps = f.jumps[:n-1]
	}
}

// closeJumps ends the open spans at t: the clock is back.
func (f *fault) closeJumps(t time.Time) {
	for i := range f.jumps {
		if f.jumps[i].To.IsZero() {
			f.jumps[i].To = t
		}
	}
}

// errNotRecovered: a node answered no 2xx within the recovery bound.
var errNotRecovered = errors.New("not recovered")
