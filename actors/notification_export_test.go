package actors

import (
	"log/slog"
	"sync"

	"github.com/boxoffice/boxoffice"
)

// outboxes holds what each notification actor reported after its last
// message, by its notifier (one per engine).
var outboxes struct {
	mu sync.Mutex
	m  map[*notifier]outboxCounts
}

type outboxCounts struct {
	reads    int // outbox reads handled so far
	inflight int // deliveries in flight after the last message
}

func init() {
	outboxes.m = map[*notifier]outboxCounts{}
	observeOutbox = func(n *notifier, read bool, inflight int) {
		outboxes.mu.Lock()
		defer outboxes.mu.Unlock()
		c := outboxes.m[n]
		if read {
			c.reads++
		}
		c.inflight = inflight
		outboxes.m[n] = c
	}
}

// OutboxReads returns how many reads of the outbox the engine's
// notification actor has handled (each sweep reads it once), and how many
// deliveries it had in flight after its last message. A read is handled
// once the deliveries it found have started, so a test that waits for a
// read begun after some change, and then for no delivery in flight, has
// seen every delivery that change caused end.
func OutboxReads(e *Engine) (reads, inflight int) {
	outboxes.mu.Lock()
	defer outboxes.mu.Unlock()
	c := outboxes.m[e.notifier]
	return c.reads, c.inflight
}

// ClaimOutbox claims up to limit due notifications of stores as one node's
// notification actor does before it delivers them.
func ClaimOutbox(stores *boxoffice.Stores, clock boxoffice.Clock, limit int) ([]*boxoffice.Notification, error) {
	return newNotifier(Config{Stores: stores, Clock: clock, Logger: slog.Default()}).claim(limit)
}

// NotifyClaimLease is how long a claimed notification is its node's.
const NotifyClaimLease = notifyClaimLease
