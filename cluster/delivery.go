package cluster

import (
	"errors"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// A grain that stops drops the requests still in its mailbox without a
// word (protoactor neither runs nor dead-letters them), so their callers
// wait out their deadline and cannot tell whether the command was applied.
// It happens whenever a call lands just behind a grain's own stop: a
// passivation, a retirement, a reply followed by a stop. For calls to this
// node the delivery middleware settles it: it marks each request taken as
// the grain takes it, and when the grain has stopped, every call to it
// still waiting and not taken is answered errNotTaken and retried, since
// the grain will never run it.
//
// Activation ids are unique (the placement actor names each with a fresh
// sequence number), so a stop never settles a call to a later activation
// of the same identity.

// errNotTaken: the grain stopped before taking the request, which it
// will never run; sending it again is safe.
var errNotTaken = errors.New("its activation stopped before taking it; not run")

// notTaken is what a slot's caller receives for errNotTaken.
type notTaken struct{}

// withDelivery returns kinds whose grains run the delivery middleware; it
// leaves kinds alone.
func withDelivery(kinds []*pcluster.Kind) []*pcluster.Kind {
	out := make([]*pcluster.Kind, len(kinds))
	for i, k := range kinds {
		out[i] = &pcluster.Kind{
			Kind:            k.Kind,
			Props:           k.Props.Clone(actor.WithReceiverMiddleware(delivery)),
			StrategyBuilder: k.StrategyBuilder,
		}
	}
	return out
}

// delivery marks the requests of local calls taken, and settles the calls
// still waiting on the grain once it has stopped (protoactor invokes
// Stopped after it has removed the grain from the registry, and runs no
// request after it).
func delivery(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		if _, ok := env.Message.(*actor.Stopped); ok {
			next(c, env)
			if r, ok := c.ActorSystem().Extensions.Get(repliesExtensionID).(*replies); ok {
				r.sweep(c.Self())
			}
			return
		}
		if s := env.Sender; s != nil && strings.HasPrefix(s.Id, replySlotPrefix) && s.Address == c.ActorSystem().Address() {
			if p, ok := c.ActorSystem().ProcessRegistry.GetLocal(s.Id); ok {
				if slot, ok := p.(*replySlot); ok {
					slot.take(s.RequestId)
				}
			}
		}
		next(c, env)
	}
}

// take marks call n taken by its grain.
func (s *replySlot) take(n uint32) {
	s.state.CompareAndSwap(slotState(n, slotWaiting), slotState(n, slotTaken))
}

// sweep answers errNotTaken to every call waiting on grain that grain has
// not taken.
func (r *replies) sweep(grain *actor.PID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for s := range r.all {
		// The state first: arm stores the target before the state, so a
		// call seen waiting went to the target loaded after it, and the
		// answer below moves only that call.
		st := s.state.Load()
		if st&slotPhaseMask != slotWaiting {
			continue
		}
		if t := s.target.Load(); t == nil || t.Id != grain.Id || t.Address != grain.Address {
			continue
		}
		s.answer(uint32(st>>slotPhaseBits), notTaken{}, slotNotTaken, slotWaiting)
	}
}
