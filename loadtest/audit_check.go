package loadtest

import (
	"fmt"
	"strings"
)

// Status is a check's verdict. Only ok says the invariant was checked in
// full and holds: a check that could not run is skipped, one that checked
// only part of what it covers is inconclusive, with its counts.
type Status string

// Statuses.
const (
	StatusOK           Status = "ok"
	StatusFailed       Status = "failed"
	StatusSkipped      Status = "skipped"
	StatusInconclusive Status = "inconclusive"
)

// Check is one invariant's verdict.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// OK is Status == ok, kept for readers of older reports.
	OK bool `json:"ok"`
	// Required: the scenario needs this check decided, so skipped and
	// inconclusive fail the run as failed does.
	Required bool `json:"required"`
	// Decided and Undecided count the items (Unit: seats, probes,
	// bookings) the check could and could not decide.
	Decided   int    `json:"decided"`
	Undecided int    `json:"undecided"`
	Unit      string `json:"unit,omitempty"`
	Detail    string `json:"detail"`
}

func newCheck(name string, s Status, detail string) Check {
	return Check{Name: name, Status: s, OK: s == StatusOK, Detail: detail}
}

// counted sets the check's counts.
func (c Check) counted(decided, undecided int, unit string) Check {
	c.Decided, c.Undecided, c.Unit = decided, undecided, unit
	return c
}

// FailsRun says whether the check fails the run: failed always, skipped
// and inconclusive when the scenario requires the check.
func (c Check) FailsRun() bool {
	return c.Status == StatusFailed || c.Required && c.Status != StatusOK
}

// Invariants is the audit's verdict.
type Invariants struct {
	// OK: no check fails the run (see Check.FailsRun).
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

func newInvariants(checks []Check) Invariants {
	inv := Invariants{OK: true, Checks: checks}
	for _, c := range checks {
		inv.OK = inv.OK && !c.FailsRun()
	}
	return inv
}

// Failing names the checks that fail the run, with their status.
func (inv Invariants) Failing() []string {
	var out []string
	for _, c := range inv.Checks {
		if c.FailsRun() {
			out = append(out, fmt.Sprintf("%s (%s)", c.Name, c.Status))
		}
	}
	return out
}

// Undecided names the checks not decided in full that the scenario does
// not require.
func (inv Invariants) Undecided() []string {
	var out []string
	for _, c := range inv.Checks {
		if c.Status != StatusOK && !c.FailsRun() {
			out = append(out, fmt.Sprintf("%s (%s)", c.Name, c.Status))
		}
	}
	return out
}

// Verdict is the audit's one-line summary.
func (inv Invariants) Verdict() string {
	var b strings.Builder
	if inv.OK {
		b.WriteString("ok")
	} else {
		b.WriteString("FAILED: " + strings.Join(inv.Failing(), ", "))
	}
	if u := inv.Undecided(); len(u) > 0 {
		b.WriteString("; not decided, not required by this run: " + strings.Join(u, ", "))
	}
	return b.String()
}

// statusRank orders the statuses for merging views: a failure in any view
// fails the check; otherwise the view that decided most gives the verdict
// (the store decides money_balances in full where the API cannot).
func statusRank(s Status) int {
	switch s {
	case StatusFailed:
		return 3
	case StatusOK:
		return 2
	case StatusInconclusive:
		return 1
	}
	return 0
}

// mergeChecks folds the checks of several views (API, store) into one per
// name: the status by statusRank, the counts of the view that gave it, the
// details joined.
func mergeChecks(views ...[]Check) []Check {
	var out []Check
	index := map[string]int{}
	for _, checks := range views {
		for _, c := range checks {
			i, ok := index[c.Name]
			if !ok {
				index[c.Name] = len(out)
				out = append(out, c)
				continue
			}
			detail := out[i].Detail + " | " + c.Detail
			if statusRank(c.Status) > statusRank(out[i].Status) {
				out[i] = c
			}
			out[i].Detail = detail
		}
	}
	return out
}
