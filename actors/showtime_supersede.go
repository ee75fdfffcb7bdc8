package actors

import (
	"strings"

	"github.com/asynkron/protoactor-go/actor"
)

// supersede tells the activation named older (a PID, as written in the
// journal's last activated event) that this one has fenced the journal,
// and waits for it to stop answering, at most supersedeWait.
//
// The fence alone keeps an older activation from writing, not from
// answering: the cluster's nodes learn of a membership change one after
// another, and while their views differ two activations of one showtime
// may both get requests. The older one would answer reads, and refusals
// (a confirmation of a hold it never saw), from a state the newer one has
// moved past. Asked here, it stops first; one that does not answer in time
// is on a node that is paused or cut off, which fences itself (its grains
// answer nothing while unhealthy, and load again afterwards: see the fence
// epoch). It is asked even when its node is not in this node's view of the
// cluster: that view may be the one behind (a node that has just joined).
// Only a node known to have died or left is not asked (Config.Gone).
func (g *showtimeGrain) supersede(older string) {
	self := activationName(g.self)
	if older == "" || older == self {
		return
	}
	addr, id, ok := strings.Cut(older, "/")
	if !ok || addr == "" || id == "" {
		g.log.Warn("showtime grain: unreadable activation in the journal", "activation", older)
		return
	}
	if g.env.gone != nil && g.env.gone(addr) {
		return // its node died or left: nothing there answers
	}
	_, err := g.root.RequestFuture(actor.NewPID(addr, id), &Supersede{By: self}, supersedeWait).Result()
	switch err {
	case nil:
		g.log.Info("showtime grain: the older activation stopped", "older", older)
	case actor.ErrDeadLetter:
		// Gone already (stopped, passivated, its node restarted).
	default:
		g.log.Warn("showtime grain: the older activation did not answer; serving anyway", "older", older, "err", err)
	}
}

// activationName is how the activated events name an activation: its
// PID's address and id (the address has no "/").
func activationName(pid *actor.PID) string { return pid.Address + "/" + pid.Id }

// superseded stops this activation: a newer one has fenced the journal
// and waits for this one to answer nothing more. Requests already in the
// mailbox are answered "moving" and retried by their callers.
func (g *showtimeGrain) superseded(ctx actor.Context, msg *Supersede) {
	if ctx.Sender() != nil {
		ctx.Respond(&Done{})
	}
	if g.fenced {
		return
	}
	g.log.Info("showtime grain: a newer activation loaded; stopping", "by", msg.By)
	g.retire(ctx)
}
