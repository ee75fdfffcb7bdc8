package loadtest

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// A flash sale records hundreds of reads and refused holds per seat, most
// of them concurrent with one another. They change nothing, yet porcupine
// orders them like writes: when it backtracks over a booking it tries
// every subset of the reads around it, which is exponential. reduceOps
// keeps only the observers (operations that change nothing: map reads,
// refused attempts) that can tell the seat's histories apart, and the
// history it returns is linearizable exactly when the full one is.
//
// Why it is exact. The state changes only at the linearization point of a
// write (an operation that took effect or whose outcome is unknown) or at
// a hold's expiry, which the model lets happen anywhere in [expiry-slack,
// expiry+slack] (after the call plus the shortest TTL for a hold with no
// answer), or earlier within a clock window (expiryFrom): its interval
// here is the hull of those moments, which only widens what it overlaps,
// and the argument below holds for any point the model picks in it. Take observers that test the same thing (same kind, result,
// hold and status) and see the same writes: the same writes wholly before
// their interval (P) and the same writes overlapping it (O).
//   - O empty: the state over each of their intervals is the state after
//     P, whatever the order; one of them decides for all.
//   - O one write W: each sees the state after P before W's point and the
//     state after P and W after it. If the one called last can see the
//     state before W, W's point is after every call of the group and each
//     can see that state; if the one that returned first can see the state
//     after W, W's point is before every return and each can see that.
//     Keeping those two decides for all.
//   - More writes: an observer whose interval contains another's is
//     implied by it (same point), and is dropped.
//
// Writes are kept whole, in their order; the observers kept keep their
// own times.
func reduceOps(ops []SeatOp, ttlMin int64, clocks []ClockWindow) []SeatOp {
	writes := writeWindows(ops, ttlMin, clocks)
	groups := map[string]*observerGroup{}
	var order []*observerGroup
	var out []SeatOp
	for i, op := range ops {
		if !isObserver(op) {
			out = append(out, op)
			continue
		}
		key, overlapping := observerKey(op, writes)
		g := groups[key]
		if g == nil {
			g = &observerGroup{overlapping: overlapping}
			groups[key] = g
			order = append(order, g)
		}
		g.ops = append(g.ops, i)
	}
	for _, g := range order {
		for _, i := range keepObservers(ops, g.ops, g.overlapping) {
			out = append(out, ops[i])
		}
	}
	slices.SortStableFunc(out, func(a, b SeatOp) int { return cmp.Compare(a.Call, b.Call) })
	return out
}

// observerGroup is the observers that test the same thing and see the
// same writes, by index, and how many writes overlap them.
type observerGroup struct {
	ops         []int
	overlapping int
}

// isObserver: an operation that cannot change the seat whatever the order.
func isObserver(op SeatOp) bool {
	return op.Kind == SeatRead || op.Result == ResultRefused
}

// window is when a write, or a hold's expiry, may take effect.
type window struct{ from, to int64 }

// writeWindows lists the intervals of the writes and of the expiries the
// model allows (earlier within a clock window: expiryFrom).
func writeWindows(ops []SeatOp, ttlMin int64, clocks []ClockWindow) []window {
	var out []window
	for _, op := range ops {
		if isObserver(op) {
			continue
		}
		to := op.Return
		if op.Result == ResultUnknown {
			to = math.MaxInt64
		}
		out = append(out, window{op.Call, to})
		if op.Kind != SeatHold {
			continue
		}
		switch op.Result {
		case ResultOK:
			out = append(out, window{expiryFrom(op.Expires, op.Call, clocks), op.Expires + clockSlack})
		case ResultUnknown:
			out = append(out, window{expiryFrom(op.Call+ttlMin, op.Call, clocks), math.MaxInt64})
		}
	}
	return out
}

// observerKey is what an observer tests and which writes it sees: those
// wholly before it (p), overlapping it (o) and wholly after it (a); and
// how many overlap it.
func observerKey(op SeatOp, writes []window) (string, int) {
	ret := op.Return
	if op.Result == ResultUnknown {
		ret = math.MaxInt64
	}
	b := make([]byte, 0, 32+len(writes))
	b = strconv.AppendInt(b, int64(op.Kind), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(op.Result), 10)
	b = append(b, '/')
	b = append(b, op.Hold...)
	b = append(b, '/')
	b = append(b, op.Status...)
	b = append(b, '|')
	overlapping := 0
	for _, w := range writes {
		switch {
		case w.to < op.Call:
			b = append(b, 'p')
		case ret < w.from:
			b = append(b, 'a')
		default:
			b = append(b, 'o')
			overlapping++
		}
	}
	return string(b), overlapping
}

// keepObservers picks the observers of one group that decide for all.
func keepObservers(ops []SeatOp, group []int, overlapping int) []int {
	switch overlapping {
	case 0:
		return group[:1]
	case 1:
		lastCall, firstReturn := group[0], group[0]
		for _, i := range group[1:] {
			if ops[i].Call > ops[lastCall].Call {
				lastCall = i
			}
			if ops[i].Return < ops[firstReturn].Return {
				firstReturn = i
			}
		}
		if lastCall == firstReturn {
			return []int{lastCall}
		}
		return []int{lastCall, firstReturn}
	}
	return innermost(ops, group)
}

// innermost drops each observer whose interval contains another's of the
// group (equal intervals keep the first).
func innermost(ops []SeatOp, group []int) []int {
	var out []int
	for _, i := range group {
		contains := false
		for _, j := range group {
			if i == j {
				continue
			}
			a, b := ops[i], ops[j]
			inside := a.Call <= b.Call && b.Return <= a.Return
			same := a.Call == b.Call && a.Return == b.Return
			if inside && (!same || j < i) {
				contains = true
				break
			}
		}
		if !contains {
			out = append(out, i)
		}
	}
	return out
}
