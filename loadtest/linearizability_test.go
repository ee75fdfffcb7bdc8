package loadtest_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/loadtest"
)

const ms = int64(time.Millisecond)

// seatTruth is a correct server's seat: the status at any instant, given
// when the winning hold took effect, when its booking did, and when the
// hold would have expired.
type seatTruth struct{ held, booked int64 }

func (s seatTruth) at(t int64) boxoffice.SeatStatus {
	switch {
	case t < s.held:
		return boxoffice.SeatFree
	case t < s.booked:
		return boxoffice.SeatHeld
	}
	return boxoffice.SeatBooked
}

// flashSaleSeat is one seat of a flash sale as the harness records it: a
// winner holds it and pays (the booking is slow, as under load: 700 ms,
// taking effect at 250 ms), losers' holds are refused, and the crowd of
// readers reads the seat map in bursts (every reader at once, as buyers
// who find no free seat do), each read showing the seat's status at some
// instant of the read: around the booking, reads that saw it held and
// reads that saw it booked overlap.
func flashSaleSeat(rng *rand.Rand, t0 int64, hold string) []loadtest.SeatOp {
	const readers, loserHolds, bursts = 16, 12, 24
	truth := seatTruth{held: t0 + 10*ms, booked: t0 + 250*ms}
	ops := []loadtest.SeatOp{
		{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: hold, Call: t0, Return: t0 + 15*ms, Expires: t0 + 15*ms + 2000*ms, Client: 0},
		{Kind: loadtest.SeatConfirm, Result: loadtest.ResultOK, Hold: hold, Call: t0 + 16*ms, Return: t0 + 716*ms, Client: 0},
	}
	for i := range loserHolds {
		call := t0 + 12*ms + rng.Int64N(700*ms)
		ops = append(ops, loadtest.SeatOp{Kind: loadtest.SeatHold, Result: loadtest.ResultRefused, Call: call,
			Return: call + 2*ms + rng.Int64N(20*ms), Client: 1 + i})
	}
	// Bursts from before the hold to after the booking's answer, densest
	// around the instant the booking took effect.
	for b := range bursts {
		at := t0 - 40*ms + int64(b)*40*ms
		if b%2 == 1 {
			at = truth.booked - 60*ms + int64(b)*5*ms
		}
		for c := range readers {
			call := at + rng.Int64N(ms)
			ret := call + ms + rng.Int64N(8*ms)
			point := call + rng.Int64N(ret-call+1)
			ops = append(ops, loadtest.SeatOp{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: truth.at(point),
				Call: call, Return: ret, Client: 100 + c})
		}
	}
	return ops
}

// flashSaleHistory is n seats of flash-sale history, waves of 50 seats
// starting every 100 ms.
func flashSaleHistory(n int, seed uint64) map[loadtest.SeatKey][]loadtest.SeatOp {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make(map[loadtest.SeatKey][]loadtest.SeatOp, n)
	for i := range n {
		k := loadtest.SeatKey{Showtime: fmt.Sprintf("wave%03d", i/50), Seat: fmt.Sprintf("S%02d", i%50)}
		out[k] = flashSaleSeat(rng, int64(i/50)*100*ms+int64(i%50)*ms, fmt.Sprintf("hold%05d", i))
	}
	return out
}

// TestLinearizableSeatsDecidesAFlashSale: a flash sale's histories (1,500
// seats, hundreds of concurrent reads and refused holds per seat around a
// slow booking) are decided for every seat, and a double sale planted in
// one of them fails the check. Porcupine alone, ordering every read, left
// most such seats undecided in its time budget.
func TestLinearizableSeatsDecidesAFlashSale(t *testing.T) {
	seats := 1500
	if testing.Short() {
		seats = 500
	}
	hist := flashSaleHistory(seats, 7)
	nops := 0
	for _, ops := range hist {
		nops += len(ops)
	}
	c := loadtest.LinearizableSeats(hist, 0, 0, nil)
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
	require.Equal(t, seats, c.Decided)
	require.Zero(t, c.Undecided)
	t.Logf("%d operations: %s", nops, c.Detail)

	// A second buyer holds and books the seat after the first booking.
	k := loadtest.SeatKey{Showtime: "wave003", Seat: "S07"}
	end := int64(10_000) * ms
	hist[k] = append(hist[k],
		loadtest.SeatOp{Kind: loadtest.SeatHold, Result: loadtest.ResultOK, Hold: "second", Call: end, Return: end + 5*ms, Expires: end + 2005*ms, Client: 9},
		loadtest.SeatOp{Kind: loadtest.SeatConfirm, Result: loadtest.ResultOK, Hold: "second", Call: end + 6*ms, Return: end + 30*ms, Client: 9})
	c = loadtest.LinearizableSeats(hist, 0, 0, nil)
	require.Equal(t, loadtest.StatusFailed, c.Status, c.Detail)
	require.False(t, c.OK)
	require.Contains(t, c.Detail, "NOT linearizable: 1 seats")
	require.Contains(t, c.Detail, "seat S07")
}

// TestReductionKeepsTheVerdict compares porcupine on whole seat histories
// with porcupine on the reduced ones: thousands of small random histories,
// linearizable ones generated from a correct seat and broken ones from a
// planted fault, must get the same verdict both ways. Half of them come
// from a seat whose clock jumps ahead for a while, checked with that
// clock window.
func TestReductionKeepsTheVerdict(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	runs := 3000
	if testing.Short() {
		runs = 600
	}
	legal, illegal := 0, 0
	for i := range runs {
		var windows []loadtest.ClockWindow
		if i%4 >= 2 {
			from := rng.Int64N(800 * ms)
			windows = []loadtest.ClockWindow{{From: from, To: from + 50*ms + rng.Int64N(400*ms), Offset: 100*ms + rng.Int64N(250*ms)}}
		}
		ops, ttlMin := randomSeatHistory(rng, windows)
		if i%2 == 1 {
			plantFault(rng, ops)
		}
		full := loadtest.LinearizableSeatFull(ops, ttlMin, windows)
		require.Equal(t, full, loadtest.LinearizableSeatReduced(ops, ttlMin, windows), "history %d: %v (windows %v)", i, ops, windows)
		if full {
			legal++
		} else {
			illegal++
		}
	}
	require.Greater(t, legal, runs/4)
	require.Greater(t, illegal, runs/8)
}

// randomSeatHistory plays random operations on a correct seat (holds with
// a 300 ms TTL, bookings, releases, cancellations, reads) at random
// instants, and records each with an interval around its instant; one in
// twelve has no answer, one in three takes long. Reads come one to four
// at a time. Within a clock window the seat's clock runs ahead by the
// window's offset: its holds expire and are stamped by that clock.
func randomSeatHistory(rng *rand.Rand, windows []loadtest.ClockWindow) ([]loadtest.SeatOp, int64) {
	const ttl = 300 * ms
	var (
		ops     []loadtest.SeatOp
		status  = boxoffice.SeatFree
		holder  string
		expires int64
		t       int64
	)
	clock := func(t int64) int64 {
		for _, w := range windows {
			if w.From <= t && t <= w.To {
				return t + w.Offset
			}
		}
		return t
	}
	n := 4 + rng.IntN(10)
	for i := range n {
		t += rng.Int64N(120 * ms)
		if status == boxoffice.SeatHeld && clock(t) >= expires {
			status, holder = boxoffice.SeatFree, ""
		}
		op := loadtest.SeatOp{Call: t - rng.Int64N(40*ms), Return: t + rng.Int64N(40*ms), Client: i}
		switch rng.IntN(5) {
		case 0:
			op.Kind, op.Status, op.Result = loadtest.SeatRead, status, loadtest.ResultOK
			for range rng.IntN(4) { // other readers at the same instant
				ops = append(ops, loadtest.SeatOp{Kind: loadtest.SeatRead, Result: loadtest.ResultOK, Status: status,
					Call: t - rng.Int64N(40*ms), Return: t + rng.Int64N(40*ms), Client: 100 + len(ops)})
			}
		case 1:
			op.Kind, op.Result = loadtest.SeatHold, loadtest.ResultRefused
			if status == boxoffice.SeatFree {
				holder, expires = fmt.Sprintf("h%d", i), clock(t)+ttl
				status, op.Result, op.Hold, op.Expires = boxoffice.SeatHeld, loadtest.ResultOK, holder, expires
			}
		case 2:
			op.Kind, op.Hold, op.Result = loadtest.SeatConfirm, holder, loadtest.ResultRefused
			if status == boxoffice.SeatHeld {
				status, op.Result = boxoffice.SeatBooked, loadtest.ResultOK
			}
		case 3:
			op.Kind, op.Hold, op.Result = loadtest.SeatRelease, holder, loadtest.ResultRefused
			if status == boxoffice.SeatHeld {
				status, holder, op.Result = boxoffice.SeatFree, "", loadtest.ResultOK
			}
		case 4:
			op.Kind, op.Hold, op.Result = loadtest.SeatCancel, holder, loadtest.ResultRefused
			if status == boxoffice.SeatBooked {
				status, holder, op.Result = boxoffice.SeatFree, "", loadtest.ResultOK
			}
		}
		if op.Hold == "" && op.Kind != loadtest.SeatRead && op.Kind != loadtest.SeatHold {
			op.Hold = "gone"
		}
		if op.Kind != loadtest.SeatRead && rng.IntN(3) == 0 { // slow, as a booking under load
			op.Call, op.Return = t-rng.Int64N(300*ms), t+rng.Int64N(300*ms)
		}
		if op.Kind != loadtest.SeatRead && rng.IntN(12) == 0 {
			op.Result, op.Return = loadtest.ResultUnknown, math.MaxInt64
		}
		ops = append(ops, op)
	}
	return ops, ttl - 40*ms
}

// plantFault changes one operation's outcome: a read shows another status,
// or an operation that took effect is said refused, or the reverse.
func plantFault(rng *rand.Rand, ops []loadtest.SeatOp) {
	op := &ops[rng.IntN(len(ops))]
	switch {
	case op.Kind == loadtest.SeatRead:
		others := map[boxoffice.SeatStatus][]boxoffice.SeatStatus{
			boxoffice.SeatFree: {boxoffice.SeatHeld, boxoffice.SeatBooked}, boxoffice.SeatHeld: {boxoffice.SeatFree, boxoffice.SeatBooked},
			boxoffice.SeatBooked: {boxoffice.SeatFree, boxoffice.SeatHeld}}
		op.Status = others[op.Status][rng.IntN(2)]
	case op.Result == loadtest.ResultOK:
		op.Result = loadtest.ResultRefused
	case op.Result == loadtest.ResultRefused:
		op.Result = loadtest.ResultOK
		if op.Kind == loadtest.SeatHold {
			op.Hold, op.Expires = "planted", op.Return+300*ms
		}
	}
}

// BenchmarkLinearizableFlashSale checks 50 seats of flash-sale history
// with porcupine alone and after the reduction, in one run, so the two
// compare on the same machine and load.
func BenchmarkLinearizableFlashSale(b *testing.B) {
	hist := flashSaleHistory(50, 3)
	ttlMin := 1985 * ms
	for _, bc := range []struct {
		name  string
		check func([]loadtest.SeatOp, int64, []loadtest.ClockWindow) bool
	}{{"PorcupineAlone", loadtest.LinearizableSeatFull}, {"Reduced", loadtest.LinearizableSeatReduced}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				for _, ops := range hist {
					if !bc.check(ops, ttlMin, nil) {
						b.Fatal("a correct history found not linearizable")
					}
				}
			}
		})
	}
}
