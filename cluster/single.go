package cluster

import (
	"errors"
	"fmt"

	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// Single is a ClusterProvider for a cluster of one: the topology is this
// member alone, pushed once at start. It is the default when Config has no
// Provider.
type Single struct{}

var _ pcluster.ClusterProvider = (*Single)(nil)

// NewSingle returns a single-node provider.
func NewSingle() *Single { return &Single{} }

// StartMember publishes a topology that contains only this member. The
// member id must be the actor system id: gossip and the block list key
// members by it.
func (s *Single) StartMember(c *pcluster.Cluster) error {
	self, err := selfMember(c)
	if err != nil {
		return err
	}
	c.MemberList.UpdateClusterTopology(pcluster.Members{self})
	return nil
}

// StartClient is not supported: a client of a one-node cluster would be a
// second node.
func (s *Single) StartClient(*pcluster.Cluster) error {
	return errors.New("cluster: single provider has no client mode")
}

// Shutdown has nothing to release.
func (s *Single) Shutdown(bool) error { return nil }

// selfMember describes c's own member; call it after the remote has
// started (ClusterProvider.StartMember runs after it), when the actor
// system knows its address.
func selfMember(c *pcluster.Cluster) (*pcluster.Member, error) {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil || port <= 0 {
		return nil, fmt.Errorf("cluster: actor system address %q: %v", c.ActorSystem.Address(), err)
	}
	return &pcluster.Member{
		Id:    c.ActorSystem.ID,
		Host:  host,
		Port:  int32(port),
		Kinds: c.GetClusterKinds(),
	}, nil
}
