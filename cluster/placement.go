package cluster

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/extensions"
)

// placement answers "which member owns this identity" the way disthash
// does (rendezvous hashing over the members hosting the kind), so Request
// can ask the owner's placement actor with its own deadline instead of
// disthash's fixed 5s. It keeps the rendezvous in an atomic pointer:
// disthash swaps its own without synchronization.
type placement struct {
	rdv     atomic.Pointer[pcluster.Rendezvous]
	members atomic.Pointer[pcluster.Members] // latest topology, for Node.Topology

	mu     sync.Mutex
	seen   bool                     // a topology has arrived
	online map[string]*memberOnline // by remote address: members in the topology
}

// memberOnline is done when its member leaves the topology (declared dead,
// left, or blocked): calls waiting on it then fail at once instead of
// waiting out their deadline for a reply that will not come.
type memberOnline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// errMemberLeft is the cause of a call that was waiting on a member when it
// left the topology. The outcome is unknown: it may have been applied.
var errMemberLeft = errors.New("its member left the cluster while the call was in flight")

var placementExtensionID = extensions.NextExtensionID()

func (p *placement) ExtensionID() extensions.ExtensionID { return placementExtensionID }

// installPlacement registers the placement extension on c's actor system
// and keeps it in step with the topology events.
func installPlacement(c *pcluster.Cluster) {
	p := &placement{online: map[string]*memberOnline{}}
	p.rdv.Store(pcluster.NewRendezvous())
	c.ActorSystem.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*pcluster.ClusterTopology); ok {
			rdv := pcluster.NewRendezvous()
			rdv.UpdateMembers(t.Members)
			p.rdv.Store(rdv)
			members := pcluster.Members(t.Members)
			p.members.Store(&members)
			p.track(t.Members)
		}
	})
	c.ActorSystem.Extensions.Register(p)
}

// Topology is the member list protoactor routes by on this node, as of
// the latest topology event (members others block are not in it).
func (n *Node) Topology() []*pcluster.Member {
	p, ok := n.system.Extensions.Get(placementExtensionID).(*placement)
	if !ok {
		return nil
	}
	m := p.members.Load()
	if m == nil {
		return nil
	}
	out := make([]*pcluster.Member, len(*m))
	for i, x := range *m {
		out[i] = &pcluster.Member{Id: x.Id, Host: x.Host, Port: x.Port, Kinds: append([]string(nil), x.Kinds...)}
	}
	return out
}

// ownerOf is the remote address of the member that activates identity, or
// "" when no member hosts kind.
func ownerOf(c *pcluster.Cluster, identity, kind string) string {
	ci := pcluster.NewClusterIdentity(identity, kind)
	if p, ok := c.ActorSystem.Extensions.Get(placementExtensionID).(*placement); ok {
		return p.rdv.Load().GetByClusterIdentity(ci)
	}
	// A cluster not started by this package: build the rendezvous from the
	// member list each time (a cache miss only).
	rdv := pcluster.NewRendezvous()
	rdv.UpdateMembers(c.MemberList.Members().Members())
	return rdv.GetByClusterIdentity(ci)
}

// activatorOf is the owner's disthash placement actor.
func activatorOf(owner string) *actor.PID {
	return actor.NewPID(owner, disthash.PartitionActivatorActorName)
}

// track starts watching members that joined and ends the watch of those
// that left.
func (p *placement) track(members []*pcluster.Member) {
	now := make(map[string]bool, len(members))
	for _, m := range members {
		now[m.Address()] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = true
	for addr, o := range p.online {
		if !now[addr] {
			o.cancel(errMemberLeft)
			delete(p.online, addr)
		}
	}
	for addr := range now {
		if _, ok := p.online[addr]; !ok {
			ctx, cancel := context.WithCancelCause(context.Background())
			p.online[addr] = &memberOnline{ctx: ctx, cancel: cancel}
		}
	}
}

// memberContext is a context that ends when the member at addr leaves the
// topology, or nil when there is nothing to watch: addr is this node (a
// local call cannot lose its member), or no topology has arrived yet. For
// an address that is not in the topology it returns an ended context.
func memberContext(c *pcluster.Cluster, addr string) context.Context {
	p, ok := c.ActorSystem.Extensions.Get(placementExtensionID).(*placement)
	if !ok || addr == c.ActorSystem.Address() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seen {
		return nil
	}
	if o, ok := p.online[addr]; ok {
		return o.ctx
	}
	return endedContext
}

// endedContext is the context of a member that is not in the topology.
var endedContext = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errMemberLeft)
	return ctx
}()
