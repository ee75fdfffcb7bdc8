package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice"
)

// enqueue adds decided events and a reply to the pending batch. A reply
// never overtakes a write it may depend on: with nothing pending or in
// flight it goes out at once, otherwise after the pending batch commits.
func (g *showtimeGrain) enqueue(ctx actor.Context, evs []boxoffice.SeatEvent, r pendingReply) {
	g.countHolds("")
	if len(evs) == 0 && g.pending == nil && g.inflight == nil {
		ctx.Send(r.to, r.msg)
		return
	}
	if g.pending == nil {
		g.pending = &batch{}
	}
	g.pending.events = append(g.pending.events, evs...)
	g.pending.changes = append(g.pending.changes, g.m.Changes(evs)...)
	if r.to != nil {
		g.pending.replies = append(g.pending.replies, r)
		g.waiting++
	}
	g.flush(ctx)
}

// writes reports the commands that may write events: with the node's
// journal committer full they are refused before they are decided.
func writes(msg any) bool {
	switch msg.(type) {
	case *Hold, *ReleaseHold, *ConfirmHold, *CancelSeats, *CancelShowtime:
		return true
	}
	return false
}

// flush hands the pending batch to the node's journal committer if no
// write of this showtime is in flight.
func (g *showtimeGrain) flush(ctx actor.Context) {
	if g.inflight != nil || g.pending == nil {
		return
	}
	b := g.pending
	g.pending = nil
	if len(b.events) == 0 {
		g.reply(ctx, b, nil)
		return
	}
	if g.m.Seq()-g.lastSnap >= snapshotEvery {
		// The map is exactly at the end of this batch: later commands go
		// to the next batch, so this is the state the events lead to.
		if snap, err := g.m.Snapshot(); err == nil {
			b.snap = snap
		} else {
			g.log.Error("showtime grain: snapshot failed", "err", err)
		}
	}
	g.inflight = b
	b.done = make(chan error, 1)
	self, root := ctx.Self(), ctx.ActorSystem().Root
	g.env.journal.submit(boxoffice.SeatAppend{ShowtimeID: g.id, Events: b.events, Snapshot: b.snap}, func(err error) {
		b.done <- err
		root.Send(self, &writeDone{b: b, err: err})
	})
}

// written finishes a write: replies go out, or every waiting command fails
// and the grain reloads (or stops, if another activation took over).
func (g *showtimeGrain) written(ctx actor.Context, msg *writeDone) {
	if msg.b != g.inflight {
		return // already handled while stopping
	}
	g.inflight = nil
	if msg.err != nil {
		g.writeFailed(ctx, msg.b, msg.err)
		return
	}
	if msg.b.snap != nil {
		g.lastSnap = msg.b.snap.Seq
	}
	g.reply(ctx, msg.b, nil)
	g.publish(ctx, msg.b)
	g.flush(ctx)
	g.armExpiry(ctx)
}

func (g *showtimeGrain) writeFailed(ctx actor.Context, b *batch, err error) {
	fenced := boxoffice.ErrorCode(err) == boxoffice.ECONFLICT
	if fenced {
		g.log.Warn("showtime grain: another activation wrote first; stopping", "err", err)
	} else {
		g.log.Error("showtime grain: write failed; reloading", "err", err)
	}
	fail := boxoffice.StorageFull(unavailable("showtime %s could not save the change; retry shortly", g.id), err)
	g.reply(ctx, b, fail)
	if g.pending != nil {
		// Decided on top of the failed batch: their state never existed.
		g.reply(ctx, g.pending, fail)
		g.pending = nil
	}
	g.m = nil
	g.uncountHolds() // the reload counts again
	g.unparkAll(ctx, fail)
	if fenced {
		g.retire(ctx)
	}
}

// retire makes a fenced grain leave. Poison rather than Stop: the requests
// already in the mailbox are answered "unavailable" (and retried by their
// callers against a fresh activation) instead of being dropped with the
// mailbox, which would leave their callers waiting for their deadline.
func (g *showtimeGrain) retire(ctx actor.Context) {
	if !g.fenced {
		g.fenced = true
		ctx.Poison(ctx.Self())
	}
}

// reply sends a batch's replies, or err to each of them.
func (g *showtimeGrain) reply(ctx actor.Context, b *batch, err error) {
	for _, r := range b.replies {
		msg := r.msg
		if err != nil {
			msg = failureOf(err)
		}
		ctx.Send(r.to, msg)
	}
	g.waiting -= len(b.replies)
	b.replies = nil
}

// expire ends the holds past their deadline; the timer calls it, and
// commands expire lazily on their own too.
func (g *showtimeGrain) expire(ctx actor.Context) {
	if g.m == nil {
		return
	}
	if evs := g.m.Expire(g.env.clock.Now()); len(evs) > 0 {
		g.enqueue(ctx, evs, pendingReply{})
	}
	g.armExpiry(ctx)
}

// armExpiry sets the timer to the earliest hold deadline, or to
// expiryCheckMax if that is sooner: the timer counts real time, while
// deadlines are read on the clock, which may step forward (an NTP step, a
// resumed virtual machine, a debug clock), so a grain looks again at least
// that often rather than sleep through a deadline that has passed.
func (g *showtimeGrain) armExpiry(ctx actor.Context) {
	if g.m == nil {
		return
	}
	at, ok := g.m.NextDeadline()
	if !ok {
		return
	}
	d := at.Sub(g.env.clock.Now()) + time.Millisecond
	if g.expiry != nil {
		g.expiry.Stop()
	}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	g.expiry = time.AfterFunc(min(max(d, time.Millisecond), expiryCheckMax), func() { root.Send(self, &expireTick{}) })
}

// passivate stops a grain that no command reached for the idle timeout;
// its state is in the store. The grain keeps its own idle timer instead of
// protoactor's receive timeout: that one's timer goroutine writes the actor
// context without synchronization (a data race under -race, and a Reset of
// a timer it has just set to nil), and once fired it stays cancelled, so a
// grain that declined to stop (a write in flight, a parked watcher) never
// passivated.
func (g *showtimeGrain) passivate(ctx actor.Context) {
	if left := g.env.idleTimeout - time.Since(g.lastCmd); left > 0 {
		g.armIdle(ctx, left)
		return
	}
	// A grain with open holds counted for the cap on holds per user stays
	// until they end: gone, it would no longer count them.
	if g.inflight != nil || g.pending != nil || len(g.watchers) > 0 || len(g.counted) > 0 {
		g.armIdle(ctx, g.env.idleTimeout)
		return
	}
	ctx.Poison(ctx.Self()) // requests queued before it are still served
}

// armIdle sends the grain an idleTick after d.
func (g *showtimeGrain) armIdle(ctx actor.Context, d time.Duration) {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	g.idle = time.AfterFunc(d, func() { root.Send(self, &idleTick{}) })
}

// stopping finishes the write in flight before the grain goes (a node
// stops, or the showtime moves to another node), so no caller that is
// owed a reply is left without one.
func (g *showtimeGrain) stopping(ctx actor.Context) {
	if g.expiry != nil {
		g.expiry.Stop()
	}
	if g.idle != nil {
		g.idle.Stop()
	}
	gone := unavailable("showtime %s is moving; retry shortly", g.id)
	if b := g.inflight; b != nil {
		g.inflight = nil
		select {
		case err := <-b.done:
			if err != nil {
				g.reply(ctx, b, gone)
			} else {
				g.reply(ctx, b, nil)
			}
		case <-time.After(stopWriteWait):
			g.reply(ctx, b, gone)
		}
	}
	if g.pending != nil {
		g.reply(ctx, g.pending, gone)
		g.pending = nil
	}
	g.unparkAll(ctx, gone)
}
