package loadtest

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/boxoffice/boxoffice"
)

// The seat register: each seat is free, held by one hold, or booked by
// the booking of one hold. Holds expire by themselves at their expiry, a
// server-side event the harness never sees; the model lets the expiry
// happen at any linearization point that the operation's interval allows,
// give or take clockSlack for the difference between the harness's clock
// and the server's, and earlier by up to a clock jump's offset while that
// jump was in force (see ClockWindow).
const (
	regFree uint8 = iota
	regHeld
	regBooked
	clockSlack = int64(50 * time.Millisecond)
	// linPerSeatMax bounds porcupine on one seat; linBudget on all.
	linPerSeatMax = 5 * time.Second
	linBudget     = 30 * time.Second
)

// seatReg is the model's state of one seat. It is comparable, which is
// the equality porcupine uses by default.
type seatReg struct {
	kind    uint8
	hold    string
	expires int64
	// early is the earliest the hold may expire: expires-clockSlack, or
	// earlier within a clock window (expiryFrom).
	early int64
	// fuzzy marks a hold whose answer never came: it may have been placed
	// at any time after its call, so it expires at some unknown time after
	// expires (the call plus the shortest TTL seen).
	fuzzy bool
}

// seatModel is the nondeterministic specification of a seat.
type seatModel struct {
	ttlMin  int64         // shortest hold TTL observed, for holds with no answer
	windows []ClockWindow // when a node's clock ran ahead
}

// live returns the states the seat may be in at the operation's
// linearization point: a hold may have expired on the way.
func (m seatModel) live(s seatReg, op SeatOp) []seatReg {
	if s.kind != regHeld {
		return []seatReg{s}
	}
	var out []seatReg
	if s.fuzzy || op.Call < s.expires+clockSlack {
		// Still held at a point after op's call: it did not expire in a
		// clock window that was over by then.
		held := s
		held.early = expiryFrom(s.expires, op.Call, m.windows)
		out = append(out, held)
	}
	if op.Return > s.early {
		out = append(out, seatReg{kind: regFree})
	}
	return out
}

func (m seatModel) step(s seatReg, op SeatOp) []seatReg {
	var out []seatReg
	for _, cur := range m.live(s, op) {
		out = append(out, m.apply(cur, op)...)
	}
	return out
}

// apply returns the states after op from cur: none when op could not have
// ended as recorded, two when its outcome is unknown.
func (m seatModel) apply(cur seatReg, op SeatOp) []seatReg {
	mine := cur.hold == op.Hold && op.Hold != ""
	switch op.Kind {
	case SeatHold:
		next := seatReg{kind: regHeld, hold: op.Hold, expires: op.Expires}
		if op.Result == ResultUnknown {
			next = seatReg{kind: regHeld, expires: op.Call + m.ttlMin, fuzzy: true}
		}
		next.early = expiryFrom(next.expires, op.Call, m.windows)
		return transition(cur, op.Result, cur.kind == regFree, next)
	case SeatConfirm:
		return transition(cur, op.Result, cur.kind == regHeld && mine, seatReg{kind: regBooked, hold: op.Hold})
	case SeatRelease:
		return transition(cur, op.Result, cur.kind == regHeld && mine, seatReg{kind: regFree})
	case SeatCancel:
		return transition(cur, op.Result, cur.kind == regBooked && mine, seatReg{kind: regFree})
	case SeatRead:
		if statusOf(cur) == op.Status {
			return []seatReg{cur}
		}
	}
	return nil
}

// transition applies an operation that takes effect exactly when enabled:
// OK needs it enabled, Refused needs it disabled, Unknown allows both.
func transition(cur seatReg, res SeatResult, enabled bool, next seatReg) []seatReg {
	switch {
	case res == ResultOK && enabled:
		return []seatReg{next}
	case res == ResultRefused && !enabled:
		return []seatReg{cur}
	case res == ResultUnknown && enabled:
		return []seatReg{cur, next}
	case res == ResultUnknown:
		return []seatReg{cur}
	}
	return nil
}

func statusOf(s seatReg) boxoffice.SeatStatus {
	switch s.kind {
	case regHeld:
		return boxoffice.SeatHeld
	case regBooked:
		return boxoffice.SeatBooked
	}
	return boxoffice.SeatFree
}

func (m seatModel) porcupine() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init: func() []any { return []any{seatReg{kind: regFree}} },
		Step: func(state, input, _ any) []any {
			var out []any
			for _, s := range m.step(state.(seatReg), input.(SeatOp)) {
				out = append(out, s)
			}
			return out
		},
		DescribeOperation: func(input, _ any) string { return describeOp(input.(SeatOp)) },
	}
	return nm.ToModel()
}

// ttlMin is the shortest TTL the server gave a hold: expiry minus the
// time the answer came back, which is never more than the TTL.
func ttlMin(seats map[SeatKey][]SeatOp) int64 {
	best := int64(-1)
	for _, ops := range seats {
		for _, op := range ops {
			if op.Kind == SeatHold && op.Result == ResultOK {
				if d := op.Expires - op.Return; best < 0 || d < best {
					best = d
				}
			}
		}
	}
	return max(best, 0)
}

// LinearizableSeats checks each seat's history against the seat register
// with porcupine, after reduceOps has dropped the observers that cannot
// change the verdict. A seat porcupine cannot decide within its time
// budget is undecided and counted: the check is then inconclusive, not ok.
// windows are when a node's clock ran ahead (nil when none did): a hold
// may expire early by up to a window's offset while it lasted.
func LinearizableSeats(seats map[SeatKey][]SeatOp, thinned, skipped int64, windows []ClockWindow) Check {
	keys := slices.SortedFunc(func(yield func(SeatKey) bool) {
		for k := range seats {
			if !yield(k) {
				return
			}
		}
	}, func(a, b SeatKey) int {
		return cmp.Or(cmp.Compare(a.Showtime, b.Showtime), cmp.Compare(a.Seat, b.Seat))
	})
	if len(keys) == 0 {
		return newCheck(CheckLinearizableSeats, StatusSkipped, "no seat operation was recorded")
	}
	ttl := ttlMin(seats)
	model := seatModel{ttlMin: ttl, windows: windows}.porcupine()
	results := make([]porcupine.CheckResult, len(keys))
	checked := make([]int, len(keys))
	deadline := time.Now().Add(linBudget)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				left := min(time.Until(deadline), linPerSeatMax)
				if left <= 0 {
					results[i] = porcupine.Unknown
					continue
				}
				ops := reduceOps(seats[keys[i]], ttl, windows)
				checked[i] = len(ops)
				results[i] = porcupine.CheckOperationsTimeout(model, operations(ops), left)
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	return linVerdict(keys, results, checked, seats, thinned, skipped)
}

func operations(ops []SeatOp) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		if op.Result == ResultUnknown {
			op.Return = ReturnUnknown
		}
		out[i] = porcupine.Operation{ClientId: op.Client, Input: op, Call: op.Call, Return: op.Return}
	}
	return out
}

func linVerdict(keys []SeatKey, results []porcupine.CheckResult, checked []int, seats map[SeatKey][]SeatOp, thinned, skipped int64) Check {
	var illegal, unknown []SeatKey
	nops, nchecked := 0, 0
	for i, k := range keys {
		nops += len(seats[k])
		nchecked += checked[i]
		switch results[i] {
		case porcupine.Illegal:
			illegal = append(illegal, k)
		case porcupine.Unknown:
			unknown = append(unknown, k)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d seats, %d operations recorded, %d checked with porcupine (the others cannot change the verdict)", len(keys), nops, nchecked)
	if thinned > 0 || skipped > 0 {
		fmt.Fprintf(&b, " (%d read-only operations thinned out, %d on seats past %d not recorded)", thinned, skipped, historySeatsMax)
	}
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "; inconclusive (time budget) for %d seats, e.g. %s", len(unknown), unknown[0])
	}
	status := StatusOK
	switch {
	case len(illegal) > 0:
		status = StatusFailed
	case len(unknown) > 0:
		status = StatusInconclusive
	default:
		b.WriteString("; every seat's history is linearizable")
	}
	if len(illegal) > 0 {
		fmt.Fprintf(&b, "; NOT linearizable: %d seats", len(illegal))
		for _, k := range illegal[:min(3, len(illegal))] {
			fmt.Fprintf(&b, "; showtime %s seat %s (%d ops)", k.Showtime, k.Seat, len(seats[k]))
			if ops := seats[k]; len(ops) <= 12 {
				b.WriteString(": " + describeOps(ops))
			}
		}
	}
	return newCheck(CheckLinearizableSeats, status, b.String()).counted(len(keys)-len(unknown), len(unknown), "seats")
}

func describeOps(ops []SeatOp) string {
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = describeOp(op)
	}
	return strings.Join(parts, ", ")
}

func describeOp(op SeatOp) string {
	names := map[SeatOpKind]string{SeatHold: "hold", SeatConfirm: "confirm", SeatRelease: "release", SeatCancel: "cancel", SeatRead: "read"}
	results := map[SeatResult]string{ResultOK: "ok", ResultRefused: "refused", ResultUnknown: "unknown"}
	s := names[op.Kind]
	if op.Hold != "" {
		s += "(" + shortID(op.Hold) + ")"
	}
	if op.Kind == SeatRead {
		return s + "=" + string(op.Status)
	}
	return s + "->" + results[op.Result]
}

// shortID keeps the random end of an ID, enough to tell holds apart.
func shortID(id string) string {
	if len(id) > 6 {
		return id[len(id)-6:]
	}
	return id
}
