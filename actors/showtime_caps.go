package actors

import (
	"sync"

	"github.com/boxoffice/boxoffice"
)

// openHolds counts each user's open holds over every showtime grain of
// the node, for the cap on holds per user (boxoffice.HoldCaps.HoldsPerUser).
// Grains add and take away their holds as they start and end (expiry,
// release, booking, a cancelled showtime), and all of theirs when they
// leave or drop their seat map; entries at zero are deleted, so the map
// never holds more users than there are open holds.
type openHolds struct {
	mu sync.Mutex
	n  map[string]int
}

// reserve counts one more hold for owner if the cap allows it, under one
// lock so that two showtimes cannot both take the user's last hold.
func (o *openHolds) reserve(owner string, limit int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := boxoffice.CheckOpenHolds(o.n[owner], limit); err != nil {
		return err
	}
	o.addLocked(owner, 1)
	return nil
}

// add applies changes of the open holds per user.
func (o *openHolds) add(d map[string]int) {
	if len(d) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for owner, n := range d {
		o.addLocked(owner, n)
	}
}

func (o *openHolds) addLocked(owner string, n int) {
	if o.n == nil {
		o.n = map[string]int{}
	}
	if o.n[owner] += n; o.n[owner] <= 0 {
		delete(o.n, owner)
	}
}

// countHolds moves the seat map's changes of open holds per user into the
// node's count, less a hold reserved for reserved (which the map's held
// event, if any, now counts). The grain remembers what it added, so that it
// can take it all back when it leaves or drops its map.
func (g *showtimeGrain) countHolds(reserved string) {
	if g.env.holdCaps.HoldsPerUser <= 0 || g.m == nil {
		return
	}
	d := g.m.TakeHoldDeltas()
	if reserved != "" {
		if d == nil {
			d = map[string]int{}
		}
		d[reserved]--
	}
	g.env.openHolds.add(d)
	for owner, n := range d {
		g.addCounted(owner, n)
	}
}

// reserveHold takes one of owner's open holds before the seat map decides,
// refusing past the cap.
func (g *showtimeGrain) reserveHold(owner string) error {
	if g.env.holdCaps.HoldsPerUser <= 0 {
		return nil
	}
	if err := g.env.openHolds.reserve(owner, g.env.holdCaps.HoldsPerUser); err != nil {
		return err
	}
	g.addCounted(owner, 1)
	return nil
}

func (g *showtimeGrain) addCounted(owner string, n int) {
	if g.counted == nil {
		g.counted = map[string]int{}
	}
	if g.counted[owner] += n; g.counted[owner] == 0 {
		delete(g.counted, owner)
	}
}

// uncountHolds takes back every open hold this grain counted: it is
// leaving, or its seat map is gone (a failed write) and a reload counts
// again.
func (g *showtimeGrain) uncountHolds() {
	if len(g.counted) == 0 {
		return
	}
	d := make(map[string]int, len(g.counted))
	for owner, n := range g.counted {
		d[owner] = -n
	}
	g.env.openHolds.add(d)
	g.counted = nil
}
