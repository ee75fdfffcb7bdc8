package cluster

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/extensions"
)

// call sends msg to pid and waits for the reply: through a reply slot when
// pid lives on this node, through a future (await) when it lives on
// another one or the node has no slots (a cluster not started here).
func call(ctx context.Context, c *pcluster.Cluster, pid *actor.PID, msg any) (any, error) {
	if pid.Address == c.ActorSystem.Address() {
		if r, ok := c.ActorSystem.Extensions.Get(repliesExtensionID).(*replies); ok {
			return r.call(ctx, pid, msg)
		}
	}
	return await(ctx, c, pid, msg)
}

// replies hands out reply addresses for calls to grains on this node, in
// place of protoactor's futures. A future registers a new process under a
// new name, allocates a condition variable, starts a timer and, on the
// reply, stops the timer and removes the process again; a call that gives
// up early needs one more callback on its context. A reply slot is
// registered once and serves call after call, and a call waits on the
// slot's channel and its own context, so no timer and no callback.
//
// Each call gets its own PID: the slot's name and a new call number in
// RequestId (the field protoactor carries across nodes with the name). A
// reply that arrives after its caller gave up, or a second reply to one
// call, carries an old number and is dropped: it never reaches the slot's
// next caller. The number is 32 bits: a reply would have to wait for 2^32
// later calls of the same slot to be mistaken.
type replies struct {
	system *actor.ActorSystem
	idle   chan *replySlot // registered slots free for a call

	mu  sync.Mutex
	all map[*replySlot]struct{} // every registered slot, for sweep
}

// replySlotsIdleMax bounds the slots kept registered between calls: a
// burst of more concurrent local calls registers more slots and removes
// the surplus when they end.
const replySlotsIdleMax = 1024

var repliesExtensionID = extensions.NextExtensionID()

func (r *replies) ExtensionID() extensions.ExtensionID { return repliesExtensionID }

// installReplies gives system its reply slots. Call it before the first
// Request.
func installReplies(system *actor.ActorSystem) {
	system.Extensions.Register(&replies{
		system: system,
		idle:   make(chan *replySlot, replySlotsIdleMax),
		all:    map[*replySlot]struct{}{},
	})
}

// call sends msg to pid, a process on this node, with a slot as sender and
// waits for the reply until ctx is done. A message that found no live
// process comes back as a dead letter (actor.ErrDeadLetter), one that its
// grain stopped before taking as errNotTaken (delivery.go): both certainly
// not delivered.
func (r *replies) call(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := r.get()
	defer r.put(s)
	n := s.arm(pid)
	r.system.Root.RequestWithCustomSender(pid, msg, &actor.PID{Address: s.pid.Address, Id: s.pid.Id, RequestId: n})
	select {
	case res := <-s.reply:
		return replied(res)
	case <-ctx.Done():
		if s.disarm(n) {
			return nil, context.Cause(ctx)
		}
		// The reply won the race and is being handed over: take it, the
		// outcome is known.
		return replied(<-s.reply)
	}
}

// replied turns a dead letter into actor.ErrDeadLetter, and the word of a
// grain that stopped before taking the request into errNotTaken.
func replied(res any) (any, error) {
	switch res.(type) {
	case *actor.DeadLetterResponse:
		return nil, actor.ErrDeadLetter
	case notTaken:
		return nil, errNotTaken
	}
	return res, nil
}

// get returns an idle slot, or registers a new one.
func (r *replies) get() *replySlot {
	select {
	case s := <-r.idle:
		return s
	default:
	}
	s := &replySlot{reply: make(chan any, 1)}
	reg := r.system.ProcessRegistry
	s.pid, _ = reg.Add(s, replySlotPrefix+reg.NextId()) // NextId is unique: Add cannot collide
	r.mu.Lock()
	r.all[s] = struct{}{}
	r.mu.Unlock()
	return s
}

// replySlotPrefix begins the name of every reply slot.
const replySlotPrefix = "reply$"

// put keeps s for the next call, or removes it once replySlotsIdleMax
// slots are idle. A reply still on its way to a removed slot goes to the
// dead letters, as one to a finished future does.
func (r *replies) put(s *replySlot) {
	select {
	case r.idle <- s:
	default:
		r.system.ProcessRegistry.Remove(s.pid)
		r.mu.Lock()
		delete(r.all, s)
		r.mu.Unlock()
	}
}

// replySlot is a registered process that takes the reply of the call that
// holds it. Only the holder arms and disarms it; replies may arrive from
// any goroutine.
type replySlot struct {
	pid    *actor.PID
	calls  uint32                    // call numbers handed out; the holder's alone
	state  atomic.Uint64             // call number << slotPhaseBits | phase
	target atomic.Pointer[actor.PID] // the grain the current call went to
	reply  chan any                  // capacity 1: the one answer of the armed call
}

// The phases of a slot's current call.
const (
	slotIdle     uint64 = iota // no call waits: replies are dropped
	slotWaiting                // sent; the grain has not taken it yet
	slotTaken                  // the grain took it (delivery.go)
	slotAnswered               // its reply is in (or on its way into) reply
	slotNotTaken               // its grain stopped first: notTaken is in reply
)

const (
	slotPhaseBits        = 3
	slotPhaseMask uint64 = 1<<slotPhaseBits - 1
)

func slotState(call uint32, phase uint64) uint64 { return uint64(call)<<slotPhaseBits | phase }

// arm starts a new call to target and returns its number.
func (s *replySlot) arm(target *actor.PID) uint32 {
	s.calls++
	s.target.Store(target)
	s.state.Store(slotState(s.calls, slotWaiting))
	return s.calls
}

// disarm ends call n without a reply. It returns false when an answer got
// in first: it is then in s.reply, or about to be.
func (s *replySlot) disarm(n uint32) bool {
	return s.state.CompareAndSwap(slotState(n, slotWaiting), slotState(n, slotIdle)) ||
		s.state.CompareAndSwap(slotState(n, slotTaken), slotState(n, slotIdle))
}

// answer moves call n from one of the phases from to phase to and, if it
// was in one of them, hands msg to its caller.
func (s *replySlot) answer(n uint32, msg any, to uint64, from ...uint64) bool {
	for _, f := range from {
		if s.state.CompareAndSwap(slotState(n, f), slotState(n, to)) {
			s.reply <- msg
			return true
		}
	}
	return false
}

// SendUserMessage takes the reply of the waiting call, if pid names it.
// Otherwise it is a late or second reply to a call that has ended: dropped.
func (s *replySlot) SendUserMessage(pid *actor.PID, message any) {
	_, msg, _ := actor.UnwrapEnvelope(message)
	s.answer(pid.RequestId, msg, slotAnswered, slotTaken, slotWaiting)
}

// SendSystemMessage drops system messages: a reply address has nothing to
// watch or stop.
func (s *replySlot) SendSystemMessage(*actor.PID, any) {}

// Stop does nothing: a slot lives as long as its actor system, or until put
// removes it.
func (s *replySlot) Stop(*actor.PID) {}
