package cluster

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"
)

// OwnerOf is the remote address of the member that activates identity in
// n's view.
func OwnerOf(n *Node, identity, kind string) string { return ownerOf(n.cluster, identity, kind) }

// RequestViaFuture is Request with every call made through a protoactor
// future, as calls to grains on other nodes are: the fast path's yardstick.
var RequestViaFuture = requestViaFuture

// RequestViaUntimedFuture is Request through a future without its own
// timer: the deadline is the context's alone. Measured against the reply
// slots, as the cheaper of the two ways to keep futures.
func RequestViaUntimedFuture(ctx context.Context, c *pcluster.Cluster, identity, kind string, msg proto.Message) (any, error) {
	return request(ctx, c, identity, kind, msg, untimedFuture)
}

func untimedFuture(ctx context.Context, c *pcluster.Cluster, pid *actor.PID, msg any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root := c.ActorSystem.Root
	f := root.RequestFuture(pid, msg, -1)
	stop := context.AfterFunc(ctx, func() { root.Send(f.PID(), canceled{}) })
	res, err := f.Result()
	stop()
	if _, ok := res.(canceled); ok {
		return nil, context.Cause(ctx)
	}
	return res, err
}

// PIDCacheMax is the bound on the pids a node caches.
const PIDCacheMax = pidCacheMax

// ResolveRemote resolves (identity, kind) on n as a call does, with the
// owner answering that the grain lives at pid (another node's, say).
func ResolveRemote(ctx context.Context, n *Node, identity, kind string, pid *actor.PID) (*actor.PID, error) {
	return resolve(ctx, n.cluster, identity, kind, func(context.Context, *pcluster.Cluster, *actor.PID, any) (any, error) {
		return &pcluster.ActivationResponse{Pid: pid}, nil
	})
}
