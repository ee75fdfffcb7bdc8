package faults

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/loadtest"
)

// TestCheckSavedClockWindows: a saved clock run is checked again with its
// clock windows. The seat is from a run (seed 203935088) before the
// windows were passed to the audit: a hold taken just before its node's
// clock jumped 2s ahead expired at once on that clock, its confirmation
// was refused and the seat sold to another buyer, which porcupine found
// not linearizable on the harness's clock.
func TestCheckSavedClockWindows(t *testing.T) {
	const hold1, hold2 = "st.h1", "st.h2"
	ops := []loadtest.SeatOp{
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatFree, Call: 2988798190, Return: 2989447359, Client: 6},
		{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: hold1, Expires: 4998518051, Call: 2999223160, Return: 2999983909, Client: 7},
		{Kind: loadtest.SeatConfirm, Result: loadtest.ResultRefused, Hold: hold1, Call: 3000015637, Return: 3002562314, Client: 7},
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatFree, Call: 3028431383, Return: 3028637638, Client: 10},
		{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: hold2, Expires: 7038518051, Call: 3038913470, Return: 3039843009, Client: 11},
		{Kind: loadtest.SeatConfirm, Result: loadtest.ResultOK, Hold: hold2, Call: 3039874155, Return: 3042804688, Client: 11},
		{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: boxoffice.SeatBooked, Call: 3049005324, Return: 3049259039, Client: 12},
	}
	save := func(windows []loadtest.ClockWindow) string {
		res := RunResult{Nemesis: "clock", Seed: 203935088, ClockWindows: windows,
			Seats: []loadtest.SeatHistory{{Showtime: "st", Seat: "C8", Ops: ops}}}
		b, err := json.Marshal(res)
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "clock.json")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	jumped := []loadtest.ClockWindow{{From: 2999239379, To: 8006000000, Offset: int64(clockJump)}}
	res, c, err := CheckSaved(save(jumped))
	require.NoError(t, err)
	require.Equal(t, jumped, res.ClockWindows)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)

	_, c, err = CheckSaved(save(nil))
	require.NoError(t, err)
	require.Equal(t, loadtest.StatusFailed, c.Status, c.Detail)

	small := []loadtest.ClockWindow{{From: 2999239379, To: 8006000000, Offset: int64(time.Second)}}
	_, c, err = CheckSaved(save(small))
	require.NoError(t, err)
	require.Equal(t, loadtest.StatusFailed, c.Status, "early by more than the offset: %s", c.Detail)
}

// TestClockJumpSpans: the clock nemesis's span opens before the forward
// move, is dropped when the node refused it, and closes when the clock is
// back; one never moved back stays open.
func TestClockJumpSpans(t *testing.T) {
	t0 := time.Now()
	f := &fault{}
	f.jumps = append(f.jumps, loadtest.ClockJump{From: t0, Offset: clockJump})
	f.dropOpenJump()
	require.Empty(t, f.jumps)

	f.jumps = append(f.jumps, loadtest.ClockJump{From: t0, Offset: clockJump})
	require.True(t, f.jumps[0].To.IsZero(), "open until moved back")
	f.closeJumps(t0.Add(5 * time.Second))
	require.Equal(t, []loadtest.ClockJump{{From: t0, To: t0.Add(5 * time.Second), Offset: clockJump}}, f.jumps)
	f.dropOpenJump()
	require.Len(t, f.jumps, 1, "a closed span is kept")
}
