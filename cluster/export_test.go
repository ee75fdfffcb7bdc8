package cluster

// OwnerOf is the remote address of the member that activates identity in
// n's view.
func OwnerOf(n *Node, identity, kind string) string { return ownerOf(n.cluster, identity, kind) }

// RequestViaFuture is Request with every call made through a protoactor
// future, as calls to grains on other nodes are: the fast path's yardstick.
var RequestViaFuture = requestViaFuture
