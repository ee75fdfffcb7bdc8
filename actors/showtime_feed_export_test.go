package actors

import "sync"

// observed holds what each showtime grain reported after its last message,
// by showtime ID (tests that use it run one node per showtime).
var observed sync.Map

type grainCounts struct{ parked, waiting int }

func init() {
	observeGrain = func(id string, parked, waiting int) { observed.Store(id, grainCounts{parked, waiting}) }
}

func countsOf(showtimeID string) grainCounts {
	c, _ := observed.Load(showtimeID)
	gc, _ := c.(grainCounts)
	return gc
}

// ParkedWatchers returns how many live-feed requests the showtime's grain
// had parked after its last message.
func ParkedWatchers(showtimeID string) int { return countsOf(showtimeID).parked }

// QueuedReplies returns how many replies the showtime's grain had waiting
// for a write after its last message.
func QueuedReplies(showtimeID string) int { return countsOf(showtimeID).waiting }
