package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// watch answers a live-feed request: at once if the map moved past
// since_version, otherwise when the next batch commits or the wait ends.
// Parked requests make the feed push-like without the grain knowing its
// subscribers, so it works from any node and across reactivations.
func (g *showtimeGrain) watch(ctx actor.Context, req *WatchSeats) {
	committed := g.committed()
	if req.SinceVersion != committed || len(g.watchers) >= watchersMax {
		ctx.Respond(g.changesSince(req.SinceVersion))
		return
	}
	wait := min(max(time.Duration(req.WaitMs)*time.Millisecond, time.Millisecond), watchWaitMax)
	w := &watcher{to: ctx.Sender(), since: req.SinceVersion}
	self, root := ctx.Self(), ctx.ActorSystem().Root
	w.timer = time.AfterFunc(wait, func() { root.Send(self, &watchTimeout{w: w}) })
	g.watchers = append(g.watchers, w)
}

// observeGrain, when set, is told after every message a showtime grain
// handles how many live-feed requests it has parked and how many replies
// wait for a write. Tests set it to wait on those states instead of
// sleeping; it is nil in the product.
var observeGrain func(showtimeID string, parked, waiting int)

// observe reports the grain's parked watchers and queued replies.
func (g *showtimeGrain) observe() {
	if observeGrain != nil {
		observeGrain(g.id, len(g.watchers), g.waiting)
	}
}

// committed is the version of the last durable change.
func (g *showtimeGrain) committed() uint64 {
	if g.inflight != nil {
		return g.inflight.events[0].Seq - 1
	}
	return g.m.Seq()
}

// changesSince returns the committed changes after version since, or the
// whole map (reset) when the feed no longer reaches back that far or the
// watcher is ahead of this activation (it moved nodes and lost state).
func (g *showtimeGrain) changesSince(since uint64) *SeatChangesReply {
	committed := g.committed()
	if since == committed {
		return &SeatChangesReply{Version: committed}
	}
	if since < committed && len(g.feed) > 0 && g.feed[0].from <= since {
		r := &SeatChangesReply{Version: committed}
		latest := map[string]int{}
		for _, fb := range g.feed {
			if fb.to <= since {
				continue
			}
			for _, c := range fb.changes {
				if i, ok := latest[c.ID]; ok {
					r.Changes[i].Status = string(c.Status)
					continue
				}
				latest[c.ID] = len(r.Changes)
				r.Changes = append(r.Changes, seatChange(c.ID, c.Status))
			}
		}
		return r
	}
	r := &SeatChangesReply{Version: committed, Full: true}
	for _, s := range g.m.View(g.env.clock.Now()).Seats {
		r.Changes = append(r.Changes, seatChange(s.ID, s.Status))
	}
	return r
}

// publish records a committed batch in the feed and wakes the watchers.
func (g *showtimeGrain) publish(ctx actor.Context, b *batch) {
	from, to := b.events[0].Seq-1, b.events[len(b.events)-1].Seq
	g.feed = append(g.feed, feedBatch{from: from, to: to, changes: b.changes})
	if len(g.feed) > feedBatchesMax {
		g.feed = g.feed[len(g.feed)-feedBatchesMax:]
	}
	ws := g.watchers
	g.watchers = nil
	for _, w := range ws {
		w.timer.Stop()
		if !w.done {
			w.done = true
			ctx.Send(w.to, g.changesSince(w.since))
		}
	}
}

// unparkAll answers every parked watcher with err. It detaches the list
// first: unpark removes its watcher from g.watchers, which would make a
// range over g.watchers skip every other one.
func (g *showtimeGrain) unparkAll(ctx actor.Context, err error) {
	ws := g.watchers
	g.watchers = nil
	for _, w := range ws {
		g.unpark(ctx, w, err)
	}
}

// unpark answers a parked watcher: with the changes so far (nothing new on
// a timeout) or with err.
func (g *showtimeGrain) unpark(ctx actor.Context, w *watcher, err error) {
	if w.done {
		return
	}
	w.done = true
	w.timer.Stop()
	for i, x := range g.watchers {
		if x == w {
			g.watchers = append(g.watchers[:i], g.watchers[i+1:]...)
			break
		}
	}
	if err != nil {
		ctx.Send(w.to, failureOf(err))
		return
	}
	if g.m == nil {
		ctx.Send(w.to, &SeatChangesReply{Version: w.since})
		return
	}
	ctx.Send(w.to, g.changesSince(w.since))
}
