package loadtest

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// sale is one showtime on sale and what the harness believes of its seats:
// a seat is believed taken once a hold of it succeeded or was refused, and
// free again when a seat map says so. The belief only steers buyers to
// seats likely to be free; the audit never trusts it.
type sale struct {
	id      string
	seats   []string
	index   map[string]int
	taken   []atomic.Bool
	cursor  atomic.Int64 // steady: seats handed out so far, in order
	changed atomic.Int64 // unix nanoseconds of the last hold or booking seen
}

func newSale(id string, seats []string, index map[string]int) *sale {
	s := &sale{id: id, seats: seats, index: index, taken: make([]atomic.Bool, len(seats))}
	s.touch()
	return s
}

func (s *sale) touch() { s.changed.Store(time.Now().UnixNano()) }

// quietFor is how long no hold or booking succeeded on the sale.
func (s *sale) quietFor() time.Duration { return time.Since(time.Unix(0, s.changed.Load())) }

func (s *sale) mark(seat string, taken bool) {
	if i, ok := s.index[seat]; ok {
		s.taken[i].Store(taken)
	}
}

// pickFree returns a seat believed free: the best one (first in the hall)
// when best is set, as a flash-sale crowd wants, else a random one.
func (s *sale) pickFree(rng *rand.Rand, best bool) (string, bool) {
	n := len(s.seats)
	off := 0
	if !best {
		off = rng.IntN(n)
	}
	for i := range n {
		j := (off + i) % n
		if !s.taken[j].Load() {
			return s.seats[j], true
		}
	}
	return "", false
}

// pickFreeN returns up to n distinct seats believed free.
func (s *sale) pickFreeN(rng *rand.Rand, n int) []string {
	var out []string
	off := rng.IntN(len(s.seats))
	for i := 0; i < len(s.seats) && len(out) < n; i++ {
		j := (off + i) % len(s.seats)
		if !s.taken[j].Load() {
			out = append(out, s.seats[j])
		}
	}
	return out
}

// observe updates the belief from a seat map and counts the statuses.
func (s *sale) observe(m map[string]boxoffice.SeatStatus) (free, held, booked int) {
	for seat, st := range m {
		s.mark(seat, st != boxoffice.SeatFree)
		switch st {
		case boxoffice.SeatFree:
			free++
		case boxoffice.SeatHeld:
			held++
		case boxoffice.SeatBooked:
			booked++
		}
	}
	return free, held, booked
}

// saleSlots keeps a fixed number of showtimes on sale; a sold-out one is
// replaced by a new showtime, up to showtimesMax per run.
type saleSlots struct {
	env   *Env
	index map[string]int

	mu      sync.Mutex
	slots   []*sale
	retired int // showtimes replaced (sold out or stalled)
	// failingSince is when new showtimes began to fail (zero while they
	// succeed); failedAt the latest failure.
	failingSince, failedAt time.Time
}

// A showtime that cannot be created now (the store is down, a node
// restarts) leaves the sold-out one on sale: the workers keep reading it
// and the replacement is tried again replaceRetryPause later. Only when
// no showtime could be created for replaceFailMax does the run stop.
const (
	replaceRetryPause = time.Second
	replaceFailMax    = 3 * time.Minute
)

func newSaleSlots(ctx context.Context, env *Env, n int) (*saleSlots, error) {
	ss := &saleSlots{env: env, index: make(map[string]int, len(env.venue.Seats))}
	for i, seat := range env.venue.Seats {
		ss.index[seat] = i
	}
	for range n {
		id, err := env.newShowtime(ctx)
		if err != nil {
			return nil, err
		}
		ss.slots = append(ss.slots, newSale(id, env.venue.Seats, ss.index))
	}
	return ss, nil
}

func (ss *saleSlots) get(i int) *sale {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.slots[i]
}

func (ss *saleSlots) pick(rng *rand.Rand) (int, *sale) {
	i := rng.IntN(len(ss.slots)) // the slice's length never changes
	return i, ss.get(i)
}

// replace puts a new showtime in slot i if old is still there, and returns
// the slot's sale: old while new showtimes fail, nil when they have failed
// for replaceFailMax (the run then stops).
func (ss *saleSlots) replace(ctx context.Context, i int, old *sale) *sale {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.slots[i] != old {
		return ss.slots[i]
	}
	if !ss.failedAt.IsZero() && time.Since(ss.failedAt) < replaceRetryPause {
		return old
	}
	id, err := ss.env.newShowtime(ctx)
	if err != nil {
		ss.failedAt = time.Now()
		if ss.failingSince.IsZero() {
			ss.failingSince = ss.failedAt
		}
		if time.Since(ss.failingSince) < replaceFailMax && ctx.Err() == nil {
			return old
		}
		ss.env.stop("new showtime: " + err.Error())
		return nil
	}
	ss.failingSince, ss.failedAt = time.Time{}, time.Time{}
	ss.slots[i] = newSale(id, ss.env.venue.Seats, ss.index)
	ss.retired++
	return ss.slots[i]
}

func (ss *saleSlots) retiredCount() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.retired
}
