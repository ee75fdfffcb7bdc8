package loadtest

import (
	"math"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// SeatOpKind is what the harness asked of a seat.
type SeatOpKind uint8

// Seat operations, as the linearizability check models them.
const (
	SeatHold    SeatOpKind = iota + 1 // POST /holds with the seat
	SeatConfirm                       // POST /bookings of a hold with the seat
	SeatRelease                       // DELETE /holds of a hold with the seat
	SeatCancel                        // POST /bookings/{id}/cancel of a booking with the seat
	SeatRead                          // GET /seats: the seat's status
)

// SeatResult is how an operation ended.
type SeatResult uint8

// Results.
const (
	ResultOK      SeatResult = iota + 1 // it took effect
	ResultRefused                       // it was refused (409, 404, 410): no effect
	ResultUnknown                       // no answer or a 5xx: it may have taken effect, at any time after its call
)

// ReturnUnknown is the return time of an operation whose outcome is
// unknown: it may take effect at any time after its call.
const ReturnUnknown = math.MaxInt64

// SeatOp is one operation on one seat, timed on the history's clock
// (nanoseconds since the history began).
type SeatOp struct {
	Kind    SeatOpKind
	Result  SeatResult
	Hold    string               // the hold (hold, confirm, release) or the booking's hold (cancel)
	Expires int64                // SeatHold with ResultOK: when the hold expires
	Status  boxoffice.SeatStatus // SeatRead: what the map showed
	Call    int64
	Return  int64 // ReturnUnknown when Result is ResultUnknown
	Client  int   // the worker, for porcupine's visualization
}

// SeatKey names a seat of a showtime.
type SeatKey struct{ Showtime, Seat string }

// History limits: read-only operations (map reads, refused attempts) are
// the bulk of a flash sale and prove little once the seat is sold, so past
// the first readKeepFirst of a seat only one in readKeepEvery is kept.
// Dropping a read-only operation cannot make a linearizable history
// non-linearizable, so the thinning never causes a false alarm. Seats past
// historySeatsMax are not recorded at all.
const (
	readKeepFirst   = 256
	readKeepEvery   = 16
	historySeatsMax = 20_000
)

// History records what the harness did to each seat and what came back.
type History struct {
	start time.Time

	mu      sync.Mutex
	seats   map[SeatKey]*seatLog
	thinned int64 // read-only operations not kept
	skipped int64 // operations of seats past historySeatsMax
}

type seatLog struct {
	ops      []SeatOp
	readOnly int
}

// NewHistory starts the history's clock at start.
func NewHistory(start time.Time) *History {
	return &History{start: start, seats: map[SeatKey]*seatLog{}}
}

// At converts a time to the history's clock.
func (h *History) At(t time.Time) int64 { return t.Sub(h.start).Nanoseconds() }

// Add records op on each of the seats of a showtime.
func (h *History) Add(showtime string, seats []string, op SeatOp) {
	if op.Result == ResultUnknown {
		op.Return = ReturnUnknown
	}
	readOnly := op.Kind == SeatRead || op.Result == ResultRefused
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, seat := range seats {
		k := SeatKey{showtime, seat}
		l := h.seats[k]
		if l == nil {
			if len(h.seats) >= historySeatsMax {
				h.skipped++
				continue
			}
			l = &seatLog{}
			h.seats[k] = l
		}
		if readOnly {
			l.readOnly++
			if l.readOnly > readKeepFirst && l.readOnly%readKeepEvery != 0 {
				h.thinned++
				continue
			}
		}
		l.ops = append(l.ops, op)
	}
}

// AddRead records a seat map read: each seat's status at one instant.
func (h *History) AddRead(showtime string, statuses map[string]boxoffice.SeatStatus, call, ret int64, client int) {
	for seat, st := range statuses {
		h.Add(showtime, []string{seat}, SeatOp{Kind: SeatRead, Result: ResultOK, Status: st, Call: call, Return: ret, Client: client})
	}
}

// Seats returns a copy of the recorded operations by seat, and how many
// were thinned out or skipped.
func (h *History) Seats() (seats map[SeatKey][]SeatOp, thinned, skipped int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seats = make(map[SeatKey][]SeatOp, len(h.seats))
	for k, l := range h.seats {
		seats[k] = append([]SeatOp(nil), l.ops...)
	}
	return seats, h.thinned, h.skipped
}
