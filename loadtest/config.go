// Package loadtest is the load-test harness behind `boxoffice loadtest`: it
// sets up its own showtimes and users through the REST API, drives one of
// the scenarios in a closed loop (a fixed number of connections) or an open
// loop (a constant arrival rate, latency measured from the intended send
// time), records every latency in HDR histograms, and audits the invariants
// afterwards through the API and, when given, the stores.
//
// It speaks only the public API contract (http/openapi.json) and the root
// package's domain types; it never imports the server's packages, so it can
// be pointed at any node or cluster.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Scenario names.
const (
	ScenarioFlashSale      = "flash-sale"
	ScenarioSteady         = "steady"
	ScenarioMixed          = "mixed"
	ScenarioHoldContention = "hold-contention"
	ScenarioHoldRelease    = "hold-release"
	ScenarioHealthz        = "healthz"
	ScenarioScale          = "scale"
)

// Scenarios lists the scenario names in the order the help shows them.
var Scenarios = []string{ScenarioFlashSale, ScenarioSteady, ScenarioMixed, ScenarioHoldContention, ScenarioHoldRelease, ScenarioScale, ScenarioHealthz}

// Defaults and limits. Every loop of the harness is bounded by one of
// these as well as by the duration.
const (
	DurationDefault    = 30 * time.Second
	DurationMax        = 24 * time.Hour
	ConnectionsDefault = 64
	ConnectionsMax     = 10_000
	RateMax            = 1_000_000
	UsersMax           = 10_000
	TimeoutDefault     = 10 * time.Second
	// HoldTTLCheckWaitMax is the longest server hold TTL the expiry probe
	// waits out; with a longer TTL the check is skipped.
	HoldTTLCheckWaitMax = 2 * time.Minute
	usersDefaultMax     = 64
	// workersPerUserMax spreads the workers over enough buyers that the
	// node's hold caps (4 open holds and 10 seats of a showtime per user
	// by default) never refuse them: each worker holds at most one hold
	// at a time, and the mixed scenario leaves at most one more per user
	// to expire.
	workersPerUserMax   = 2
	registerParallelMax = 8 // registration is bcrypt-bound on the server
)

// Config is one load test.
type Config struct {
	Targets     []string      // base URLs of nodes (http://host:port), used round-robin
	Scenario    string        // one of Scenarios
	Duration    time.Duration // how long load is driven
	Connections int           // closed loop: concurrent workers; open loop: most requests in flight
	Rate        float64       // arrivals per second; 0 selects the closed loop
	Seats       int           // seats per showtime; 0: the scenario's default
	Showtimes   int           // showtimes on sale at once (steady, mixed, hold-release); 0: 10, hold-release 1
	Users       int           // buyers registered for the run; 0: min(connections, 64)
	ScaleSteps  []int         // scale: showtimes of each phase, ascending; nil: ScaleSteps
	Timeout     time.Duration // per request

	AdminEmail, AdminPassword string

	// HoldTTLCheck runs the hold-expiry probe: holds on a probe showtime
	// that are checked just before and one second after their expiry.
	HoldTTLCheck bool
	// Stores, when set, are the node's own stores: the audit then also
	// reads bookings, payments and seat journals from them.
	Stores *boxoffice.Stores

	// DuringLoad, when set, runs beside the load from its first request (a
	// fault schedule); the load's end does not stop it, and AfterLoad and
	// the audit wait for it to return.
	DuringLoad func(ctx context.Context)
	// AfterLoad, when set, runs once the load and the probes are done and
	// before the audit: a fault harness heals its faults there and waits
	// for the nodes to recover. When it returns targets, the audit reads
	// the end state through them alone (nodes that never recovered are
	// left out); an error is reported as the run stopping early.
	AfterLoad func(ctx context.Context) (auditTargets []string, err error)
	// ClockJumps, when set, is called at the audit (after DuringLoad and
	// AfterLoad returned) for the spans during which a node's clock ran
	// ahead: the expiry probe and the seat histories then excuse holds
	// that ended early by no more than the offset within them (see
	// ClockJump). Nil for every run that moves no clock.
	ClockJumps func() []ClockJump

	Seed     int64     // random seed; 0 picks one
	Progress io.Writer // live progress lines; nil for none
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Duration == 0 {
		c.Duration = DurationDefault
	}
	if c.Connections == 0 {
		c.Connections = ConnectionsDefault
	}
	if c.Timeout == 0 {
		c.Timeout = TimeoutDefault
	}
	if c.Users == 0 {
		c.Users = min(max(min(c.Connections, usersDefaultMax), (c.Connections+workersPerUserMax-1)/workersPerUserMax), UsersMax)
	}
	if c.Showtimes == 0 {
		c.Showtimes = showtimesDefault(c.Scenario)
	}
	if c.Scenario == ScenarioScale && len(c.ScaleSteps) == 0 {
		c.ScaleSteps = ScaleSteps
	}
	if c.Seats == 0 {
		c.Seats = seatsDefault(c.Scenario)
		if ownSeatScenario(c.Scenario) {
			c.Seats = max(c.Seats, c.Connections) // a seat of its own for every worker
		}
	}
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	targets := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		targets[i] = strings.TrimRight(strings.TrimSpace(t), "/")
	}
	c.Targets = targets
	return c
}

// Validate reports the first problem with c, after defaults.
func (c Config) Validate() error {
	if len(c.Targets) == 0 {
		return errors.New("at least one --target is required")
	}
	for _, t := range c.Targets {
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("target %q is not an http(s) URL such as http://127.0.0.1:8080", t)
		}
	}
	switch {
	case !validScenario(c.Scenario):
		return fmt.Errorf("unknown scenario %q (one of %s)", c.Scenario, strings.Join(Scenarios, ", "))
	case c.Duration <= 0 || c.Duration > DurationMax:
		return fmt.Errorf("duration must be between 1ns and %s", DurationMax)
	case c.Connections < 1 || c.Connections > ConnectionsMax:
		return fmt.Errorf("connections must be between 1 and %d", ConnectionsMax)
	case c.Rate < 0 || c.Rate > RateMax:
		return fmt.Errorf("rate must be between 0 (closed loop) and %d per second", RateMax)
	case c.Seats < 0 || c.Seats > hallSeatsMax:
		return fmt.Errorf("seats must be between 1 and %d (26 rows of 99)", hallSeatsMax)
	case c.Showtimes < 1 || c.Showtimes > 1000:
		return errors.New("showtimes must be between 1 and 1000")
	case c.Users < 1 || c.Users > UsersMax:
		return fmt.Errorf("users must be between 1 and %d", UsersMax)
	case c.Timeout <= 0:
		return errors.New("timeout must be positive")
	case c.Scenario == ScenarioScale && !validSteps(c.ScaleSteps):
		return fmt.Errorf("scale steps must be 1 to %d ascending numbers of showtimes between 1 and 1000", scaleStepsMax)
	case c.Scenario != ScenarioHealthz && (c.AdminEmail == "" || c.AdminPassword == ""):
		return errors.New("admin credentials are required to set up showtimes: --admin-email/--admin-password or BOXOFFICE_ADMIN_EMAIL/PASSWORD")
	}
	return nil
}

// showtimesDefault is each scenario's --showtimes when not given: a
// hold-release run is a flash sale on one showtime unless told otherwise.
func showtimesDefault(name string) int {
	if name == ScenarioHoldRelease {
		return 1
	}
	return 10
}

// ownSeatScenario tells whether the scenario gives every connection a
// seat of its own, so that its hall needs at least one seat per connection.
func ownSeatScenario(name string) bool {
	return name == ScenarioHoldRelease || name == ScenarioScale
}

// scaleStepsMax bounds the phases of a scale run.
const scaleStepsMax = 10

func validSteps(steps []int) bool {
	if len(steps) == 0 || len(steps) > scaleStepsMax {
		return false
	}
	for i, n := range steps {
		if n < 1 || n > 1000 || i > 0 && n <= steps[i-1] {
			return false
		}
	}
	return true
}

func validScenario(name string) bool {
	for _, s := range Scenarios {
		if s == name {
			return true
		}
	}
	return false
}

// OpenLoop reports whether the run uses a constant arrival rate.
func (c Config) OpenLoop() bool { return c.Rate > 0 }
