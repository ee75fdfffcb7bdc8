package actors

import (
	"context"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// Bounds of the notification actor: deliveries run in goroutines, at most
// notifyWorkersMax at a time, so a slow sender holds up neither the
// mailbox nor more than its share of deliveries.
const (
	notifyWorkersMax   = 16
	notifyBatchMax     = 100 // due notifications read per store query
	notifySweepDefault = time.Second
	notifyStoreWait    = 5 * time.Second
	notifySendTimeout  = 5 * time.Second // one Send of the sender
	// notifyClaimLease is how long a claimed notification is this node's
	// to deliver: more than a delivery can take (a send and two store
	// writes), so that no other node sends it while this one still may.
	notifyClaimLease = notifySendTimeout + 2*notifyStoreWait + 15*time.Second
)

// Messages of the notification actor (local to its node).
type (
	// notifyPoke says that notifications may be due now: the saga sends it
	// after enqueueing, and the periodic sweep sends it too, which is what
	// delivers whatever a crash or a failed attempt left behind.
	notifyPoke  struct{}
	notifyBatch struct {
		due []*boxoffice.Notification
		err error
	}
	notifyDone struct{ id string }
)

// notificationActor delivers the outbox. It keeps no notification in
// memory longer than a delivery: the store is the queue.
type notificationActor struct {
	n        *notifier
	fetching bool
	again    bool // a poke arrived while fetching: fetch once more
	more     bool // due notifications were left for lack of workers
	inflight map[string]bool
	stop     chan struct{}
}

func newNotificationActor(n *notifier) actor.Actor {
	return &notificationActor{n: n, inflight: map[string]bool{}}
}

// Receive handles one message at a time.
func (a *notificationActor) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		a.startSweep(ctx)
	case *actor.Stopping:
		if a.stop != nil {
			close(a.stop)
			a.stop = nil
		}
	case *notifyPoke:
		a.fetch(ctx)
	case *notifyBatch:
		a.fetched(ctx, msg)
	case *notifyDone:
		delete(a.inflight, msg.id)
		if a.more {
			a.more = false
			a.fetch(ctx)
		}
	}
	a.observe(ctx.Message())
}

// observeOutbox, when set, is told after every message the notification
// actor of n handles whether it was an outbox read and how many deliveries
// are in flight. Tests set it to wait for sweeps instead of sleeping; it is
// nil in the product.
var observeOutbox func(n *notifier, read bool, inflight int)

// observe reports msg and the deliveries in flight.
func (a *notificationActor) observe(msg any) {
	if observeOutbox != nil {
		_, read := msg.(*notifyBatch)
		observeOutbox(a.n, read, len(a.inflight))
	}
}

// startSweep pokes the actor periodically, so notifications that are due
// later (backoff) or were enqueued before a crash go out without a saga.
func (a *notificationActor) startSweep(ctx actor.Context) {
	a.stop = make(chan struct{})
	stop, self, root, every := a.stop, ctx.Self(), ctx.ActorSystem().Root, a.n.sweepEvery
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				root.Send(self, &notifyPoke{})
			}
		}
	}()
}

// fetch reads due notifications in a goroutine; one read at a time.
func (a *notificationActor) fetch(ctx actor.Context) {
	if a.fetching {
		a.again = true
		return
	}
	if len(a.inflight) >= notifyWorkersMax {
		a.more = true
		return
	}
	a.fetching = true
	// Claim no more than the free workers can start: a claimed
	// notification left undelivered would wait for its lease to lapse.
	// Deliveries only end while the claim runs, so these stay free.
	self, root, n, free := ctx.Self(), ctx.ActorSystem().Root, a.n, min(notifyBatchMax, notifyWorkersMax-len(a.inflight))
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		due, err := n.claim(free)
		root.Send(self, &notifyBatch{due: due, err: err})
	}()
}

// fetched starts a delivery for each due notification not already on its
// way, as far as workers allow.
func (a *notificationActor) fetched(ctx actor.Context, b *notifyBatch) {
	a.fetching = false
	if b.err != nil {
		a.n.log.Error("notifications: reading the outbox failed", "err", b.err)
	}
	self, root, n := ctx.Self(), ctx.ActorSystem().Root, a.n
	for _, d := range b.due {
		if a.inflight[d.ID] {
			continue
		}
		if len(a.inflight) >= notifyWorkersMax {
			a.more = true
			break
		}
		a.inflight[d.ID] = true
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			n.deliver(d)
			root.Send(self, &notifyDone{id: d.ID})
		}()
	}
	if a.again {
		a.again = false
		a.fetch(ctx)
	}
}

// waitFor waits for wg, bounded by ctx.
func waitFor(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
