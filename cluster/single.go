package cluster

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/cluster"
)

// Single is a ClusterProvider for a cluster of one: the topology is this
// member alone, pushed once at start. It is the default when Config has no
// Provider.
type Single struct{}

var _ cluster.ClusterProvider = (*Single)(nil)

// NewSingle returns a single-node provider.
func NewSingle() *Single { return &Single{} }

// StartMember publishes a topology that contains only this member. The
// member id must be the actor system id: gossip and the block list key
// members by it.
func (s *Single) StartMember(c *cluster.Cluster) error {
	self, err := selfMember(c)
	if err != nil {
		return err
	}
	c.MemberList.UpdateClusterTopology(cluster.Members{self})
	return nil
}

// StartClient is not supported: a client of a one-node cluster would be a
// second node.
func (s *Single) StartClient(*cluster.Cluster) error {
	return errors.New("cluster: single provider has no client mode")
}

// Shutdown has nothing to release.
func (s *Single) Shutdown(bool) error { return nil }

// selfMember describes c's own member; call it after the remote has
// started (ClusterProvider.StartMember runs after it), when the actor
// system knows its address.
func selfMember(c *cluster.Cluster) (*cluster.Member, error) {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil || port <= 0 {
		return nil, fmt.Errorf("cluster: actor system address %q: %v", c.ActorSystem.Address(), err)
	}
	return &cluster.Member{
		Id:    c.ActorSystem.ID,
		Host:  host,
		Port:  int32(port),
		Kinds: c.GetClusterKinds(),
	}, nil
}
