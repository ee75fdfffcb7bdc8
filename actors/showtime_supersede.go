package actors

import (
	"strings"

	"github.com/asynkron/protoactor-go/actor"
)

// supersede tells the activation named older (by activationName, in the
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
// epoch). It is asked even when its member is not in this node's view of
// the cluster: that view may be the one behind (a member that has just
// joined, maybe at the address of one that died). Only a member known to
// have died or left is not asked (Config.Gone): a member id is never used
// again, and a member declared dead is fenced (a paused or cut-off node) or
// gone (a crash, a rejoin under a new id, which stops its grains).
func (g *showtimeGrain) supersede(older string) {
	self := g.activation()
	if older == "" || older == self {
		return
	}
	member, pid, ok := parseActivation(older)
	if !ok {
		g.log.Warn("showtime grain: unreadable activation in the journal", "activation", older)
		return
	}
	if g.env.gone != nil && g.env.gone(member) {
		return // its member died or left: it serves nothing any more
	}
	_, err := g.root.RequestFuture(pid, &Supersede{By: self}, supersedeWait).Result()
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
// cluster member's id, "@", and its PID's address, "/" and id (member ids
// have no "@", addresses no "/").
func activationName(member string, pid *actor.PID) string {
	return member + "@" + pid.Address + "/" + pid.Id
}

// parseActivation reads a name made by activationName.
func parseActivation(name string) (member string, pid *actor.PID, ok bool) {
	member, rest, ok1 := strings.Cut(name, "@")
	addr, id, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || member == "" || addr == "" || id == "" {
		return "", nil, false
	}
	return member, actor.NewPID(addr, id), true
}

// activation is this activation's name (activationName).
func (g *showtimeGrain) activation() string {
	return activationName(g.root.ActorSystem().ID, g.self)
}

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
