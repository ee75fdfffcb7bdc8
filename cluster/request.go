package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/proto"
)

// ErrUnavailable means a grain call got no answer: no member hosts the
// kind, the owner could not be reached, retries ran out, or the deadline
// passed. Callers answer 503. Errors wrapping it also wrap the cause
// (context.DeadlineExceeded, actor.ErrTimeout, ...). After a timeout the
// outcome is unknown: the grain may have applied the command.
var ErrUnavailable = errors.New("cluster: grain unavailable")

// maxAttempts bounds the tries of one Request. Only failures that prove the
// message was not delivered (no owner, activation failed, dead letter, a
// grain on this node that stopped before taking it) are retried, so a
// command is never applied twice by a retry.
const maxAttempts = 4

// retryBackoff is the pause before retry number n (1-based): long enough
// for a topology update or a passivated grain's restart to land.
func retryBackoff(n int) time.Duration {
	return time.Duration(n) * 20 * time.Millisecond
}

// canceled completes a future early when the caller's context is done.
type canceled struct{}

// Request sends msg to the grain (identity, kind) and waits for its reply,
// within ctx's deadline or, if ctx has none, the cluster's RequestTimeout
// (Config.RequestTimeout). It changes no process-wide default. A reply of
// type *pcluster.GrainErrorResponse is returned as the error (wrapping
// ErrUnavailable too when its reason is UNAVAILABLE).
//
// A grain activated on this node is called through a reply slot
// (reply.go) instead of a future: the same deadline, retry and reply
// rules at a fraction of the cost.
func Request(ctx context.Context, c *pcluster.Cluster, identity, kind string, msg proto.Message) (any, error) {
	return request(ctx, c, identity, kind, msg, call)
}

// requestViaFuture is Request with every call made through a future, as
// calls to grains on other nodes are.
func requestViaFuture(ctx context.Context, c *pcluster.Cluster, identity, kind string, msg proto.Message) (any, error) {
	return request(ctx, c, identity, kind, msg, await)
}

// sender sends msg to pid and waits for its reply until ctx is done. It
// returns actor.ErrDeadLetter when the message was not delivered.
type sender func(ctx context.Context, c *pcluster.Cluster, pid *actor.PID, msg any) (any, error)

func request(ctx context.Context, c *pcluster.Cluster, identity, kind string, msg proto.Message, send sender) (any, error) {
	if c == nil {
		// A caller wired before its node has started.
		return nil, fmt.Errorf("%w: %s/%s: the node has not started", ErrUnavailable, kind, identity)
	}
	if _, ok := ctx.Deadline(); !ok {
		d := c.Config.RequestTimeoutTime
		if d <= 0 {
			d = defaultRequestTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var last error
	attempts := 0
	for attempts < maxAttempts {
		if attempts > 0 {
			if err := sleep(ctx, retryBackoff(attempts)); err != nil {
				last = err
				break
			}
		}
		attempts++
		res, retry, err := requestOnce(ctx, c, identity, kind, msg, send)
		if !retry {
			return res, err
		}
		last = err
	}
	return nil, fmt.Errorf("%w: %s/%s: gave up after %d attempts: %w", ErrUnavailable, kind, identity, attempts, last)
}

// requestOnce is one attempt. retry reports that the message was certainly
// not delivered, so trying again is safe.
func requestOnce(ctx context.Context, c *pcluster.Cluster, identity, kind string, msg proto.Message, send sender) (res any, retry bool, err error) {
	pid, err := resolve(ctx, c, identity, kind, send)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, unavailable(kind, identity, ctx.Err())
		}
		return nil, true, err
	}
	res, err = send(ctx, c, pid, msg)
	switch {
	case err == nil:
		return reply(res)
	case errors.Is(err, actor.ErrDeadLetter), errors.Is(err, remote.ErrDeadLetter), errors.Is(err, errNotSent), errors.Is(err, errNotTaken):
		// The activation is gone (passivated, moved, its node restarted or
		// out of the topology): forget it and activate again.
		c.PidCache.RemoveByValue(identity, kind, pid)
		return nil, true, err
	default:
		// A timeout on a live grain may be a slow grain; on a dead node it
		// is a stale pid. Either way drop it so the next call looks again.
		c.PidCache.RemoveByValue(identity, kind, pid)
		return nil, false, unavailable(kind, identity, err)
	}
}

func reply(res any) (any, bool, error) {
	switch r := res.(type) {
	case nil:
		return nil, false, fmt.Errorf("%w: empty reply", ErrUnavailable)
	case *pcluster.GrainErrorResponse:
		if r.Reason == pcluster.ErrorReason_UNAVAILABLE {
			return nil, false, fmt.Errorf("%w: %w", ErrUnavailable, r)
		}
		return nil, false, r
	}
	return res, false, nil
}

func unavailable(kind, identity string, cause error) error {
	return fmt.Errorf("%w: %s/%s: %w", ErrUnavailable, kind, identity, cause)
}

// resolve returns the pid of the activation of (identity, kind), asking the
// owner's placement actor to activate it on a cache miss.
func resolve(ctx context.Context, c *pcluster.Cluster, identity, kind string, send sender) (*actor.PID, error) {
	if pid, ok := c.PidCache.Get(identity, kind); ok && pid != nil {
		return pid, nil
	}
	owner := ownerOf(c, identity, kind)
	if owner == "" {
		return nil, fmt.Errorf("no member hosts kind %q", kind)
	}
	req := &pcluster.ActivationRequest{ClusterIdentity: pcluster.NewClusterIdentity(identity, kind)}
	res, err := send(ctx, c, activatorOf(owner), req)
	if err != nil {
		return nil, fmt.Errorf("activate on %s: %w", owner, err)
	}
	ar, ok := res.(*pcluster.ActivationResponse)
	if !ok || ar.Pid == nil || ar.Failed {
		return nil, fmt.Errorf("activate on %s: refused (%T)", owner, res)
	}
	cachePID(c, identity, kind, ar.Pid, pidCacheMax)
	return ar.Pid, nil
}

// errNotSent: the target's member is not in the topology, so the message
// was not sent; resolving again is safe.
var errNotSent = errors.New("its member is not in the topology; not sent")

// await sends msg to pid through a protoactor future (the path of calls to
// other nodes; call in reply.go picks it) and waits for the reply until ctx
// is done or, for a pid on another node, until that node leaves the topology (errMemberLeft:
// a crashed or paused node never answers, and the caller should hear so as
// soon as the cluster knows, not at its deadline). The future's own timer
// is set to ctx's deadline; cancellation completes the future early through
// context.AfterFunc, so no goroutine is spent per call.
func await(ctx context.Context, c *pcluster.Cluster, pid *actor.PID, msg any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if member := memberContext(c, pid.Address); member != nil {
		if member.Err() != nil {
			return nil, errNotSent
		}
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(member, func() { cancel(errMemberLeft) })
		defer stop()
	}
	d := time.Duration(-1) // protoactor: negative = no timer
	if dl, ok := ctx.Deadline(); ok {
		if d = time.Until(dl); d <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	root := c.ActorSystem.Root
	f := root.RequestFuture(pid, msg, d)
	stop := context.AfterFunc(ctx, func() { root.Send(f.PID(), canceled{}) })
	res, err := f.Result()
	stop()
	if _, ok := res.(canceled); ok {
		return nil, context.Cause(ctx)
	}
	return res, err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
