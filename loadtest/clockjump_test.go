package loadtest_test

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/loadtest"
)

// earlyProbe is a probe whose hold was given to the rival early before
// its expiry exp.
func earlyProbe(exp time.Time, early time.Duration) loadtest.HoldProbe {
	done := exp.Add(-early)
	return loadtest.HoldProbe{Seat: "A1", HoldID: "h1", ExpiresAt: exp, OwnerGet: http.StatusGone,
		Before: loadtest.ProbeTry{Sent: done.Add(-time.Millisecond), Done: done, Status: http.StatusCreated, Released: true},
		After:  loadtest.ProbeTry{Sent: exp.Add(time.Second), Done: exp.Add(time.Second + time.Millisecond), Status: http.StatusCreated}}
}

// TestHoldsExpireOnTimeClockJump: a hold that ended early by no more than
// a clock jump's offset, while the jump was in force, is no violation;
// the same early end without a jump, outside it, or by more than its
// offset still is.
func TestHoldsExpireOnTimeClockJump(t *testing.T) {
	exp := time.Now()
	jumped := []loadtest.ClockJump{{From: exp.Add(-3 * time.Second), To: exp.Add(2 * time.Second), Offset: 2 * time.Second}}
	early := earlyProbe(exp, 1500*time.Millisecond)

	c := loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{early}, true, "", jumped)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
	require.Contains(t, c.Detail, "1 ended early by no more than a clock jump")

	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{early}, true, "", nil)
	require.Equal(t, loadtest.StatusFailed, c.Status, "no jump: %s", c.Detail)
	require.Contains(t, c.Detail, "ended 1.5s before its expiry")

	tooEarly := earlyProbe(exp, 2500*time.Millisecond)
	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{tooEarly}, true, "", jumped)
	require.Equal(t, loadtest.StatusFailed, c.Status, "early by more than the offset: %s", c.Detail)

	// The jump was over (clock back) before the expiry minus the offset:
	// the clock never read the expiry while ahead.
	over := []loadtest.ClockJump{{From: exp.Add(-5 * time.Second), To: exp.Add(-2500 * time.Millisecond), Offset: 2 * time.Second}}
	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{early}, true, "", over)
	require.Equal(t, loadtest.StatusFailed, c.Status, "jump over before: %s", c.Detail)

	// The jump began after the rival already had the seat.
	later := []loadtest.ClockJump{{From: exp.Add(-time.Second), Offset: 2 * time.Second}}
	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{early}, true, "", later)
	require.Equal(t, loadtest.StatusFailed, c.Status, "jump after the early end: %s", c.Detail)

	// A jump never moved back lasts to the end.
	open := []loadtest.ClockJump{{From: exp.Add(-3 * time.Second), Offset: 2 * time.Second}}
	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{early}, true, "", open)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)

	// A jump excuses nothing late.
	late := earlyProbe(exp, 0)
	late.Before.Status, late.After.Status = http.StatusConflict, http.StatusConflict
	c = loadtest.HoldsExpireOnTime([]loadtest.HoldProbe{late}, true, "", jumped)
	require.Equal(t, loadtest.StatusFailed, c.Status, c.Detail)
}

// jumpHistory is the seat of a fault run: a hold expiring at 5 s taken
// just before its node's clock jumped 2 s ahead, its confirmation refused
// at once (the hold had expired on the jumped clock), the seat read free
// and held again by another buyer.
func jumpHistory() []loadtest.SeatOp {
	return []loadtest.SeatOp{
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatFree, Call: 2990 * ms, Return: 2991 * ms},
		{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: "h1", Expires: 5000 * ms, Call: 2999 * ms, Return: 3000 * ms},
		{Kind: loadtest.SeatConfirm, Result: loadtest.ResultRefused, Hold: "h1", Call: 3001 * ms, Return: 3003 * ms},
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatFree, Call: 3028 * ms, Return: 3029 * ms},
		{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: "h2", Expires: 7040 * ms, Call: 3039 * ms, Return: 3040 * ms},
		{Kind: loadtest.SeatConfirm, Result: loadtest.ResultOK, Hold: "h2", Call: 3041 * ms, Return: 3043 * ms},
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatBooked, Call: 3049 * ms, Return: 3050 * ms},
	}
}

func linearizableIn(windows []loadtest.ClockWindow, ops ...loadtest.SeatOp) loadtest.Check {
	return loadtest.LinearizableSeats(map[loadtest.SeatKey][]loadtest.SeatOp{{Showtime: "st", Seat: "A1"}: ops}, 0, 0, windows)
}

// TestLinearizableSeatsClockWindow: a hold that expired early by no more
// than a clock window's offset, within the window, is linearizable; the
// same history without the window, with a smaller offset, or with the
// window over before the early end is not.
func TestLinearizableSeatsClockWindow(t *testing.T) {
	jumped := []loadtest.ClockWindow{{From: 2999 * ms, To: 8000 * ms, Offset: 2000 * ms}}
	c := linearizableIn(jumped, jumpHistory()...)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)

	c = linearizableIn(nil, jumpHistory()...)
	require.Equal(t, loadtest.StatusFailed, c.Status, "no window: %s", c.Detail)

	small := []loadtest.ClockWindow{{From: 2999 * ms, To: 8000 * ms, Offset: 1000 * ms}}
	c = linearizableIn(small, jumpHistory()...)
	require.Equal(t, loadtest.StatusFailed, c.Status, "early by more than the offset: %s", c.Detail)

	over := []loadtest.ClockWindow{{From: 1000 * ms, To: 2900 * ms, Offset: 2000 * ms}}
	c = linearizableIn(over, jumpHistory()...)
	require.Equal(t, loadtest.StatusFailed, c.Status, "window over before: %s", c.Detail)

	open := []loadtest.ClockWindow{{From: 2999 * ms, To: math.MaxInt64, Offset: 2000 * ms}}
	c = linearizableIn(open, jumpHistory()...)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
}

// TestLinearizableSeatsClockWindowThenHeld: a hold seen still held after
// the window (so it did not expire in it) may not end early afterwards.
func TestLinearizableSeatsClockWindowThenHeld(t *testing.T) {
	window := []loadtest.ClockWindow{{From: 1000 * ms, To: 2000 * ms, Offset: 2000 * ms}}
	hold := loadtest.SeatOp{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: "h1", Expires: 3500 * ms, Call: 500 * ms, Return: 510 * ms}
	heldAfter := loadtest.SeatOp{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatHeld, Call: 2200 * ms, Return: 2210 * ms}
	other := loadtest.SeatOp{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: "h2", Expires: 5000 * ms, Call: 2500 * ms, Return: 2510 * ms}

	// Free within the window: explained.
	inWindow := other
	inWindow.Call, inWindow.Return = 1600*ms, 1610*ms
	c := linearizableIn(window, hold, inWindow)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
	// Free after the window without a sighting in between: it may have
	// ended in the window.
	c = linearizableIn(window, hold, other)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
	// Seen held after the window, then free before its expiry: not
	// explained by the jump.
	c = linearizableIn(window, hold, heldAfter, other)
	require.Equal(t, loadtest.StatusFailed, c.Status, c.Detail)
}
