package loadtest

import "slices"

// Which checks a run requires: a required check that is skipped or
// inconclusive fails the run as a failed one does (Check.FailsRun).
//
//   - run_completed, always: a run stopped early (interrupted, or a
//     scenario that could not go on) proves too little to pass.
//   - linearizable_seats, for every scenario that touches seats: each seat
//     the harness used must be decided, a flash sale's included.
//   - no_seat_in_two_bookings, booked_seats_match_bookings and
//     acknowledged_bookings_confirmed, for the scenarios that book
//     (flash-sale, steady, mixed): a booking run with no acknowledged
//     booking, or no confirmed seat, checked nothing and fails.
//   - money_balances, for those scenarios when the stores are read: only
//     the payments store shows the amounts; through the API alone the
//     check compares the payment statuses and is inconclusive, which the
//     report shows without failing the run.
//   - holds_expire_on_time, when --hold-ttl-check asks for it.
//
// Scenarios that only hold (hold-contention, hold-release) still fail on
// any failed booking check; healthz requires run_completed alone.
func requireChecks(checks []Check, cfg Config) []Check {
	books := slices.Contains([]string{ScenarioFlashSale, ScenarioSteady, ScenarioMixed}, cfg.Scenario)
	seats := cfg.Scenario != ScenarioHealthz
	for i := range checks {
		c := &checks[i]
		switch c.Name {
		case CheckRunCompleted:
			c.Required = true
		case CheckLinearizableSeats:
			c.Required = seats
		case CheckNoSeatInTwoBookings, CheckBookedSeatsMatch, CheckAcknowledgedConfirmed:
			c.Required = books
		case CheckMoneyBalances:
			c.Required = books && cfg.Stores != nil
		case CheckHoldsExpireOnTime:
			c.Required = cfg.HoldTTLCheck
		}
	}
	return checks
}

// RunCompleted: the load ran for its whole duration; stopped is why it
// did not ("" when it did).
func RunCompleted(stopped string) Check {
	if stopped != "" {
		return newCheck(CheckRunCompleted, StatusFailed, "the load stopped early: "+stopped)
	}
	return newCheck(CheckRunCompleted, StatusOK, "the load ran for its whole duration")
}

// Judge marks the checks cfg's run requires and gives the verdict.
func Judge(checks []Check, cfg Config) Invariants {
	return newInvariants(requireChecks(checks, cfg))
}
