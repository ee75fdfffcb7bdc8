package loadtest

import (
	"math"
	"time"
)

// A node whose clock jumps forward ends its holds early by the harness's
// clock: hold expiry is a wall-clock deadline (expires_at) read on the
// clock of the node that owns the showtime, and that node rightly goes by
// its own clock. A fault harness that moves a node's clock says so with
// ClockJumps, and the audit then excuses exactly what the jump explains:
// a hold that ended early by no more than the offset, at a time when the
// jump was in force. A hold that ended early by more, or outside every
// jump, is still a violation. The harness need not know which node owns a
// showtime: the excuse applies to every hold whose early end falls in a
// jump, on whichever node.
//
// Nothing needs excusing after the jump back: a hold placed on the jumped
// node while it ran ahead carries an expires_at on that node's clock, so
// it lasts longer than its TTL by up to the offset, but it still ends at
// its expires_at, which is what the checks judge by.

// ClockJump is a span of the run during which one node's clock ran ahead
// of the harness's by Offset.
type ClockJump struct {
	// From is before the node's clock was moved, To after it was moved
	// back; a zero To means it was never moved back (until the run's end).
	From, To time.Time
	Offset   time.Duration
}

// ClockWindow is a ClockJump on the history's clock, in nanoseconds since
// the history began; To is math.MaxInt64 when the jump never ended.
type ClockWindow struct {
	From   int64 `json:"from_ns"`
	To     int64 `json:"to_ns"`
	Offset int64 `json:"offset_ns"`
}

// Windows converts clock jumps to the history's clock.
func (h *History) Windows(jumps []ClockJump) []ClockWindow {
	out := make([]ClockWindow, 0, len(jumps))
	for _, j := range jumps {
		w := ClockWindow{From: h.At(j.From), To: math.MaxInt64, Offset: j.Offset.Nanoseconds()}
		if !j.To.IsZero() {
			w.To = h.At(j.To)
		}
		out = append(out, w)
	}
	return out
}

// earlyEndExplained tells whether a hold expiring at expires (on its
// node's clock) that was seen ended at the latest by seen (on the
// harness's clock) may have ended early because of a jump: there is a
// moment no later than seen, within a jump, at which the jumped clock had
// reached expires, i.e. no earlier than expires minus the offset. slack
// is the margin allowed between the two clocks.
func earlyEndExplained(jumps []ClockJump, expires, seen time.Time, slack time.Duration) bool {
	for _, j := range jumps {
		lo := j.From
		if e := expires.Add(-j.Offset); e.After(lo) {
			lo = e
		}
		hi := seen
		if !j.To.IsZero() && j.To.Before(hi) {
			hi = j.To
		}
		if !lo.Add(-slack).After(hi) {
			return true
		}
	}
	return false
}

// expiryFrom is the earliest moment, on the history's clock, at which a
// hold expiring at expires may end, among the moments the model allows
// that are not over before after: expires-clockSlack, or inside a clock
// window from the moment the jumped clock reached expires (expires minus
// the offset, at the earliest the window's start), give or take
// clockSlack. It returns the start of the first such span that reaches
// after, so a hold seen still held after a window can no longer end in
// it. Without windows it is expires-clockSlack.
func expiryFrom(expires, after int64, windows []ClockWindow) int64 {
	best := expires - clockSlack
	for _, w := range windows {
		lo := max(w.From, expires-w.Offset) - clockSlack
		hi := w.To
		if hi != math.MaxInt64 {
			hi += clockSlack
		}
		if lo > hi || hi < after || lo >= best {
			continue
		}
		best = lo
	}
	return best
}
