package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Stop leaves the cluster and shuts the node down. It is idempotent and
// safe to call concurrently: every call waits for the same shutdown. It
// returns when the shutdown has finished or ctx is done, whichever comes
// first; in the latter case the remote server is killed so that no caller
// is left hanging on it, and the rest of the shutdown finishes in the
// background.
func (n *Node) Stop(ctx context.Context) error {
	n.stopOnce.Do(func() {
		if n.cluster != nil {
			forgetPIDs(n.cluster)
		}
		n.stopping.Store(true)
		go n.shutdown()
	})
	select {
	case <-n.stopped:
		return n.stopErr
	case <-ctx.Done():
		n.kill()
		return fmt.Errorf("cluster: stop %s: %w", n.cfg.Name, ctx.Err())
	}
}

// shutdown runs the steps of pcluster.Cluster.Shutdown(true) itself, because
// that method sleeps 2s "for ownership transfer" (disthash transfers
// nothing: activations stop and reload from the store elsewhere), shuts the
// identity lookup down twice and drops the provider's error. The provider
// goes first so the other nodes stop routing here as early as possible.
func (n *Node) shutdown() {
	defer close(n.stopped)
	c := n.cluster
	var errs []error
	step := func(name string, f func() error) {
		defer func() {
			if r := recover(); r != nil {
				errs = append(errs, fmt.Errorf("%s: panic: %v", name, r))
			}
		}()
		if err := f(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	step("provider", func() error { return c.Config.ClusterProvider.Shutdown(true) })
	step("gossip left", func() error {
		c.Gossip.SetState(pcluster.GracefullyLeftKey, &emptypb.Empty{})
		return nil
	})
	// Closes the stopper channel the gossip loop checks after each tick;
	// nothing else.
	step("actor system", func() error { n.system.Shutdown(); return nil })
	loopDone := time.Now().Add(c.Config.GossipInterval + gossipTickSlack)
	// Poisons the placement actor, which poisons every activation here.
	step("identity lookup", func() error { c.IdentityLookup.Shutdown(); return nil })
	// A tick in progress asks the gossip actor for state; stopping the
	// actor under it leaves the loop goroutine waiting out a 5s future
	// (Config.TimeoutTime). Give the loop the rest of its tick to see the
	// stopped system and exit first.
	time.Sleep(time.Until(loopDone))
	step("gossip", func() error { c.Gossip.Shutdown(); return nil })
	step("remote", func() error { n.stopRemote(); return nil })
	if len(errs) > 0 {
		n.stopErr = fmt.Errorf("cluster: stop %s: %w", n.cfg.Name, errors.Join(errs...))
		n.log.Warn("cluster node stopped with errors", "error", n.stopErr)
		return
	}
	n.log.Info("cluster node stopped", "address", n.Address())
}

// gossipTickSlack is how long one gossip tick's work may take beyond the
// tick interval, on a loaded machine.
const gossipTickSlack = 200 * time.Millisecond

// remoteGrace bounds the graceful gRPC stop. GracefulStop waits for the
// peers to close their endpoint streams into this node, which they do only
// once they have processed our leave (or never, for a peer that was itself
// stopped without closing them); the library waits up to 10s. By now every
// actor here has stopped, so there is nothing left to finish gracefully.
const remoteGrace = time.Second

func (n *Node) stopRemote() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }()
		n.cluster.Remote.Shutdown(true)
	}()
	t := time.NewTimer(remoteGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		n.kill()
		<-done
	}
}

// kill force-closes the gRPC server (every connection and stream), which
// also unblocks a graceful stop in progress.
func (n *Node) kill() {
	n.killOnce.Do(func() {
		defer func() { _ = recover() }()
		n.cluster.Remote.Shutdown(false)
	})
}

// Stopping reports whether Stop has begun: the member is gone or going.
func (n *Node) Stopping() bool { return n.stopping.Load() }
