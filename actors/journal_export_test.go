package actors

import (
	"context"
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice"
)

// SecondActivation spawns on e's node another grain of showtime id,
// outside the cluster's registry: a second activation of one showtime
// that shares the node's journal committer with the first (what the
// cluster does for a moment when ownership moves). It loads the journal at
// once and returns a way to place holds through it.
func SecondActivation(e *Engine, id string) func(ctx context.Context, owner string, seats []string) (*boxoffice.Hold, error) {
	root := e.cluster.Load().ActorSystem.Root
	pid := root.Spawn(actor.PropsFromProducer(func() actor.Actor { return newShowtimeGrain(e.env) }))
	root.Send(pid, &pcluster.ClusterInit{Identity: pcluster.NewClusterIdentity(id, KindShowtime)})
	return func(ctx context.Context, owner string, seats []string) (*boxoffice.Hold, error) {
		req := &Hold{HoldId: boxoffice.NewHoldID(id), Owner: owner, Seats: seats, TtlMs: time.Hour.Milliseconds()}
		res, err := root.RequestFuture(pid, req, 5*time.Second).Result()
		if _, dead := res.(*actor.DeadLetterResponse); dead || errors.Is(err, actor.ErrDeadLetter) {
			// Fenced and gone: the cluster's client would retry elsewhere.
			return nil, unavailable("the second activation is gone")
		}
		if errors.Is(err, actor.ErrTimeout) {
			// A request that reached the mailbox just behind the fenced
			// activation's stop is dropped unanswered by protoactor (the
			// cluster's client settles that case for its calls; this raw
			// future cannot). No answer is 503, as the client would say;
			// the test's journal check still fails if such a hold was
			// stored.
			return nil, unavailable("the second activation did not answer")
		}
		r, err := replyAs[*HoldReply](res, err)
		if err != nil {
			return nil, err
		}
		return holdOf(r.Hold), nil
	}
}

// JournalQueued returns how many showtime batches wait in e's journal
// committer for a free writer.
func JournalQueued(e *Engine) int {
	j := e.env.journal
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.queue)
}

// SetJournalEventsMax lowers the events that may wait in e's journal
// committer before writing commands are refused.
func SetJournalEventsMax(e *Engine, n int) { e.env.journal.eventsMax = n }

// SetJournalEventsPerWriter changes how many queued events, per write in
// flight, make e's journal committer start another write.
func SetJournalEventsPerWriter(e *Engine, n int) { e.env.journal.perWriter = n }
