package loadtest

import (
	"cmp"
	"slices"
)

// SeatHistory is the recorded operations of one seat, as a saved history
// holds them: LinearizableSeats(ImportSeats(saved), 0, 0) checks a saved
// run again.
type SeatHistory struct {
	Showtime string   `json:"showtime"`
	Seat     string   `json:"seat"`
	Ops      []SeatOp `json:"ops"`
}

// Export lists the history's seats in a stable order, with how many
// operations were thinned out or skipped.
func (h *History) Export() (seats []SeatHistory, thinned, skipped int64) {
	m, thinned, skipped := h.Seats()
	for k, ops := range m {
		seats = append(seats, SeatHistory{Showtime: k.Showtime, Seat: k.Seat, Ops: ops})
	}
	slices.SortFunc(seats, func(a, b SeatHistory) int {
		return cmp.Or(cmp.Compare(a.Showtime, b.Showtime), cmp.Compare(a.Seat, b.Seat))
	})
	return seats, thinned, skipped
}

// ImportSeats is the inverse of Export.
func ImportSeats(seats []SeatHistory) map[SeatKey][]SeatOp {
	m := make(map[SeatKey][]SeatOp, len(seats))
	for _, s := range seats {
		m[SeatKey{s.Showtime, s.Seat}] = s.Ops
	}
	return m
}
