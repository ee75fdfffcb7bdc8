package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// auditTimeout bounds the audit after the load; it runs even when the
// load was interrupted, so that an interrupted run still says whether
// anything was oversold.
const auditTimeout = 2 * time.Minute

// Run makes one load test: setup, load, audit. It returns the report,
// whose Invariants.OK says whether the run passed (see requiredChecks), or
// an error when the
// test could not be made at all (bad config, setup failed).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if cfg.Seats == 0 {
		cfg.Seats = seatsDefault(cfg.Scenario)
		if cfg.Scenario == ScenarioHoldRelease {
			cfg.Seats = max(cfg.Seats, cfg.Connections) // a seat of its own for every worker
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env := &Env{cfg: cfg, runID: newRunID(), client: NewClient(cfg.Targets, cfg.Connections, cfg.Timeout),
		acks: newAckLog(), stopped: make(chan struct{}), hist: NewHistory(time.Now())}
	defer env.client.Close()
	sc := newScenario(cfg.Scenario)
	setupStart := time.Now()
	probe, err := prepare(ctx, env, sc)
	if err != nil {
		return nil, err
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "setup: %d users, %d showtimes of %d seats in %s; %s of %s load begins\n", len(env.users),
			len(env.Showtimes()), cfg.Seats, time.Since(setupStart).Round(time.Millisecond), cfg.Duration, cfg.Scenario)
	}
	workers := newWorkers(env, cfg.Connections)
	env.start = time.Now()
	env.rec = NewRecorder(env.start)
	loadDone, progressDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(progressDone)
		if cfg.Progress != nil {
			progress(cfg.Progress, env.rec, env.start, cfg.Duration, loadDone)
		}
	}()
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		if probe != nil {
			probe.run(ctx, loadDone)
		}
	}()
	duringDone := make(chan struct{})
	go func() {
		defer close(duringDone)
		if cfg.DuringLoad != nil {
			cfg.DuringLoad(ctx)
		}
	}()
	drive(ctx, env, sc, workers)
	elapsed := time.Since(env.start)
	close(loadDone)
	<-progressDone
	if probe != nil && cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress, "load done; waiting for the hold-expiry probes to see their holds expire")
	}
	<-probeDone
	<-duringDone
	r := newReport(env, sc, elapsed)
	if ctx.Err() != nil {
		r.StoppedEarly = "interrupted: " + context.Cause(ctx).Error()
	}
	if cfg.AfterLoad != nil {
		targets, err := cfg.AfterLoad(ctx)
		if err != nil && r.StoppedEarly == "" {
			r.StoppedEarly = "after the load: " + err.Error()
		}
		if len(targets) > 0 {
			env.client = NewClient(targets, cfg.Connections, cfg.Timeout)
			defer env.client.Close()
		}
	}
	if cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress, "auditing the invariants")
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	r.Invariants = audit(actx, env, probe, r.StoppedEarly)
	r.History = env.hist
	return r, nil
}

// prepare signs the admin in, builds the venue, registers the buyers (and
// the two probe users) and runs the scenario's setup.
func prepare(ctx context.Context, env *Env, sc scenario) (*expiryProbe, error) {
	cfg := env.cfg
	if cfg.Scenario == ScenarioHealthz {
		return nil, nil // no setup: health checks need no showtime and no user
	}
	var err error
	if env.admin, err = loginAdmin(ctx, env.client, cfg.AdminEmail, cfg.AdminPassword); err != nil {
		return nil, err
	}
	if env.venue, err = setupVenue(ctx, env.client, env.admin, env.runID, cfg.Seats); err != nil {
		return nil, err
	}
	n := cfg.Users
	if cfg.HoldTTLCheck {
		n += 2
	}
	users, err := registerUsers(ctx, env.client, env.runID, n)
	if err != nil {
		return nil, err
	}
	env.users = users[:cfg.Users]
	if err := sc.setup(ctx, env); err != nil {
		return nil, err
	}
	if !cfg.HoldTTLCheck {
		return nil, nil
	}
	return newExpiryProbe(ctx, env, users[cfg.Users], users[cfg.Users+1])
}

func newReport(env *Env, sc scenario, elapsed time.Duration) *Report {
	cfg := env.cfg
	r := &Report{Scenario: cfg.Scenario, Mode: "closed", Targets: cfg.Targets, Connections: cfg.Connections,
		SeatsPerShow: cfg.Seats, Users: len(env.users), StartedAt: env.start.UTC(), Seed: cfg.Seed,
		Showtimes: len(env.Showtimes()), StoppedEarly: env.stopReason(), Figures: sc.figures(elapsed)}
	if cfg.OpenLoop() {
		r.Mode, r.RatePerSecond = "open", cfg.Rate
	}
	r.fill(env.rec.snapshot(), elapsed, cfg.OpenLoop())
	r.StepsPerS = float64(env.stepsDone.Load()) / elapsed.Seconds()
	if cfg.OpenLoop() {
		if r.Figures == nil {
			r.Figures = map[string]float64{}
		}
		r.Figures["dispatch_lag_max_ms"] = float64(env.dispatchLagMax.Load()) / float64(time.Millisecond)
	}
	if n := env.capped.Load(); n > 0 {
		if r.Figures == nil {
			r.Figures = map[string]float64{}
		}
		r.Figures["holds_capped"] = float64(n)
	}
	return r
}

// audit checks the invariants through the API, the stores when given, the
// expiry probes and the seat histories, and whether the load ran to its
// end; stopped is why it did not ("" when it did).
func audit(ctx context.Context, env *Env, probe *expiryProbe, stopped string) Invariants {
	acks := env.acks.list()
	var views [][]Check
	api, err := collectAPI(ctx, env, acks)
	views = append(views, dataChecks(api, acks, err, "api"))
	if env.cfg.Stores != nil {
		st, err := CollectStore(ctx, env.cfg.Stores, env.Showtimes(), time.Now())
		views = append(views, dataChecks(st, acks, err, "store"))
	}
	checks := mergeChecks(views...)
	var probes []HoldProbe
	var skip string
	if probe != nil {
		probes, skip = probe.results()
	}
	var jumps []ClockJump
	if env.cfg.ClockJumps != nil {
		jumps = env.cfg.ClockJumps()
	}
	checks = append(checks, HoldsExpireOnTime(probes, env.cfg.HoldTTLCheck, skip, jumps))
	seats, thinned, skipped := env.hist.Seats()
	checks = append(checks, LinearizableSeats(seats, thinned, skipped, env.hist.Windows(jumps)))
	checks = append(checks, RunCompleted(stopped))
	return Judge(checks, env.cfg)
}

// dataChecks runs the checks of one view of the end state; when the view
// could not be read, each of them fails with the reason.
func dataChecks(d *AuditData, acks []Ack, err error, source string) []Check {
	names := []string{CheckNoSeatInTwoBookings, CheckBookedSeatsMatch, CheckAcknowledgedConfirmed, CheckMoneyBalances}
	if err != nil {
		out := make([]Check, len(names))
		for i, n := range names {
			out[i] = newCheck(n, StatusFailed, fmt.Sprintf("%s: could not read the end state: %v", source, err))
		}
		return out
	}
	return AuditChecks(d, acks)
}

// AuditChecks runs the checks on one view of the end state.
func AuditChecks(d *AuditData, acks []Ack) []Check {
	return []Check{NoSeatInTwoBookings(d), BookedSeatsMatchBookings(d), AcknowledgedBookingsConfirmed(d, acks), MoneyBalances(d)}
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
