package loadtest

import (
	"math"
	"slices"
	"strconv"
	"strings"
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
// answer). Take observers that test the same thing (same kind, result,
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
func reduceOps(ops []SeatOp, ttlMin int64) []SeatOp {
	writes := writeWindows(ops, ttlMin)
	groups := map[string][]int{}
	var order []string
	var out []SeatOp
	for i, op := range ops {
		if !isObserver(op) {
			out = append(out, op)
			continue
		}
		k := observerKey(op, writes)
		if _, ok := groups[k.key]; !ok {
			order = append(order, k.key)
		}
		groups[k.key] = append(groups[k.key], i)
	}
	for _, key := range order {
		for _, i := range keepObservers(ops, groups[key], overlapCount(key)) {
			out = append(out, ops[i])
		}
	}
	slices.SortStableFunc(out, func(a, b SeatOp) int { return compareInt64(a.Call, b.Call) })
	return out
}

// isObserver: an operation that cannot change the seat whatever the order.
func isObserver(op SeatOp) bool {
	return op.Kind == SeatRead || op.Result == ResultRefused
}

// window is when a write, or a hold's expiry, may take effect.
type window struct{ from, to int64 }

// writeWindows lists the intervals of the writes and of the expiries the
// model allows.
func writeWindows(ops []SeatOp, ttlMin int64) []window {
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
			out = append(out, window{op.Expires - clockSlack, op.Expires + clockSlack})
		case ResultUnknown:
			out = append(out, window{op.Call + ttlMin - clockSlack, math.MaxInt64})
		}
	}
	return out
}

// groupKey is what an observer tests and which writes it sees: those
// wholly before (P) and those overlapping (O).
type groupKey struct{ key string }

func observerKey(op SeatOp, writes []window) groupKey {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(op.Kind)))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(int(op.Result)))
	b.WriteByte('/')
	b.WriteString(op.Hold)
	b.WriteByte('/')
	b.WriteString(string(op.Status))
	b.WriteByte('|')
	ret := op.Return
	if op.Result == ResultUnknown {
		ret = math.MaxInt64
	}
	overlapping := 0
	var rel []byte
	for _, w := range writes {
		switch {
		case w.to < op.Call:
			rel = append(rel, 'p')
		case ret < w.from:
			rel = append(rel, 'a')
		default:
			rel = append(rel, 'o')
			overlapping++
		}
	}
	b.Write(rel)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(overlapping))
	return groupKey{b.String()}
}

// overlapCount reads back the number of overlapping writes from a key.
func overlapCount(key string) int {
	n, _ := strconv.Atoi(key[strings.LastIndexByte(key, '|')+1:])
	return n
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

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
