// Package cluster wraps protoactor-go's cluster so that its faults stay out
// of the product: starting a node returns errors instead of panicking,
// stopping is idempotent and bounded by a context, the library logs through
// our *slog.Logger, and grain calls are bounded by the caller's context
// without touching any process-wide default.
//
// Two ClusterProviders ship: Single (one node, no discovery, the default)
// and Memberlist (hashicorp/memberlist gossip, with Health for fencing).
//
// Library faults worked around here (protoactor-go
// v0.0.0-20240822202345-3c0e61ca19c9), each at the code that does it:
//   - Cluster.StartMember panics on any error (Start recovers, tears down).
//   - Cluster.Shutdown(true) sleeps 2s, shuts the identity lookup down twice
//     and drops the provider's Shutdown error; Shutdown(false) skips the
//     provider. ActorSystem.Shutdown and Gossiper.Shutdown panic when called
//     twice. Node.Stop runs the steps itself, once (stop.go).
//   - Remote.Shutdown(true) waits up to 10s for peers to close their streams
//     (stop.go: remoteGrace).
//   - The endpoint writer leaks a gRPC connection per failed dial retry and
//     sleeps with its mailbox blocked (addr.go: MaxRetryCount = 1).
//   - cluster.DefaultGrainCallConfig hands out one package-global options
//     value that GrainCallOptions then mutate (and that holds the root
//     context of the first cluster of the process); the cluster context's
//     Request ignores contexts, and disthash's lookup blocks a fixed 5s and
//     swaps its rendezvous without a lock. Request resolves and calls grains
//     itself (request.go, placement.go).
//   - The default logger is tint on stderr (logger.go).
//   - MemberList blocks every member that leaves the topology, for good: a
//     node declared dead and back under the same id never gets traffic
//     again from the nodes that dropped it. Memberlist tells such a node,
//     which then reports unhealthy (memberlist_delegate.go) until it
//     starts a new member, with a new id (cmd/boxoffice: rejoin.go); a node that
//     notices it stood still past the failure timeout fences itself at
//     once, before that notice arrives (memberlist_pause.go).
//   - A future waiting for a reply from a node that died or froze waits
//     out its whole timeout. Request fails it as soon as that node leaves
//     the topology (placement.go: memberContext).
//   - A future costs a process registration under a new name, a timer, a
//     condition variable and a context callback per call, about half the
//     CPU of a call to a grain on the same node. Request calls such grains
//     through reply slots registered once and reused (reply.go); a late
//     reply finds a newer call number in the slot and is dropped.
//   - A stopping grain drops the requests left in its mailbox without a
//     dead letter, so their callers wait out their deadline. For calls to
//     this node, a middleware on every kind marks requests taken and, once
//     the grain has stopped, has the calls it never took retried
//     (delivery.go).
//   - Peers activate grains on a node as soon as they see it, before
//     Cluster.StartMember returns; Config.BeforeJoin lets the caller wire
//     what those grains need first.
//   - The remote dials and serves plain gRPC (grpc.WithInsecure) unless
//     told otherwise; Config.RemoteTLS replaces both ends with mutual TLS
//     against the cluster CA (remote_tls.go), and MemberlistConfig.SecretKey
//     encrypts the gossip.
//   - With several nodes in one process, -race reports races inside
//     protoactor (see skipUnderRace in the tests).
package cluster
