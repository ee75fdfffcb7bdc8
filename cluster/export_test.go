package cluster

// OwnerOf is the remote address of the member that activates identity in
// n's view.
func OwnerOf(n *Node, identity, kind string) string { return ownerOf(n.cluster, identity, kind) }
