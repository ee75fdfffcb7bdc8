package actors

import "sync"

// observed holds what each showtime grain reported after its last message,
// by showtime ID (tests that use it run one node per showtime).
var observed struct {
	mu sync.Mutex
	m  map[string]grainCounts
}

type grainCounts struct {
	parked, waiting int
	parks           int // watchers parked so far
}

func init() {
	observed.m = map[string]grainCounts{}
	observeGrain = func(id string, parked, waiting int) {
		observed.mu.Lock()
		defer observed.mu.Unlock()
		c := observed.m[id]
		if parked > c.parked {
			c.parks += parked - c.parked
		}
		c.parked, c.waiting = parked, waiting
		observed.m[id] = c
	}
}

func countsOf(showtimeID string) grainCounts {
	observed.mu.Lock()
	defer observed.mu.Unlock()
	return observed.m[showtimeID]
}

// ParkedWatchers returns how many live-feed requests the showtime's grain
// had parked after its last message.
func ParkedWatchers(showtimeID string) int { return countsOf(showtimeID).parked }

// WatchersParked returns how many live-feed requests the showtime's grains
// have parked so far, answered or not: a test that waits for it to grow
// cannot miss a watcher that is answered quickly.
func WatchersParked(showtimeID string) int { return countsOf(showtimeID).parks }

// QueuedReplies returns how many replies the showtime's grain had waiting
// for a write after its last message.
func QueuedReplies(showtimeID string) int { return countsOf(showtimeID).waiting }
