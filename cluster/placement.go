package cluster

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/extensions"
)

// placement answers "which member owns this identity" the way disthash
// does (rendezvous hashing over the members hosting the kind), so Request
// can ask the owner's placement actor with its own deadline instead of
// disthash's fixed 5s. It keeps the rendezvous in an atomic pointer:
// disthash swaps its own without synchronization.
type placement struct {
	rdv     atomic.Pointer[cluster.Rendezvous]
	members atomic.Pointer[cluster.Members] // latest topology, for Node.Topology
}

var placementExtensionID = extensions.NextExtensionID()

func (p *placement) ExtensionID() extensions.ExtensionID { return placementExtensionID }

// installPlacement registers the placement extension on c's actor system
// and keeps it in step with the topology events.
func installPlacement(c *cluster.Cluster) {
	p := &placement{}
	p.rdv.Store(cluster.NewRendezvous())
	c.ActorSystem.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*cluster.ClusterTopology); ok {
			rdv := cluster.NewRendezvous()
			rdv.UpdateMembers(t.Members)
			p.rdv.Store(rdv)
			members := cluster.Members(t.Members)
			p.members.Store(&members)
		}
	})
	c.ActorSystem.Extensions.Register(p)
}

// Topology is the member list protoactor routes by on this node, as of
// the latest topology event (members others block are not in it).
func (n *Node) Topology() []*cluster.Member {
	p, ok := n.system.Extensions.Get(placementExtensionID).(*placement)
	if !ok {
		return nil
	}
	m := p.members.Load()
	if m == nil {
		return nil
	}
	out := make([]*cluster.Member, len(*m))
	for i, x := range *m {
		out[i] = &cluster.Member{Id: x.Id, Host: x.Host, Port: x.Port, Kinds: append([]string(nil), x.Kinds...)}
	}
	return out
}

// ownerOf is the remote address of the member that activates identity, or
// "" when no member hosts kind.
func ownerOf(c *cluster.Cluster, identity, kind string) string {
	ci := cluster.NewClusterIdentity(identity, kind)
	if p, ok := c.ActorSystem.Extensions.Get(placementExtensionID).(*placement); ok {
		return p.rdv.Load().GetByClusterIdentity(ci)
	}
	// A cluster not started by this package: build the rendezvous from the
	// member list each time (a cache miss only).
	rdv := cluster.NewRendezvous()
	rdv.UpdateMembers(c.MemberList.Members().Members())
	return rdv.GetByClusterIdentity(ci)
}

// activatorOf is the owner's disthash placement actor.
func activatorOf(owner string) *actor.PID {
	return actor.NewPID(owner, disthash.PartitionActivatorActorName)
}
