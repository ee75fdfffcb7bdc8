package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
)

// Bounds of the self-rejoin of a node the others have blocked.
const (
	// rejoinCheckEvery is how often the node looks whether it is blocked.
	rejoinCheckEvery = 500 * time.Millisecond
	// rejoinBackoffMin is the wait before a failed attempt is retried; it
	// doubles on each failure up to rejoinBackoffMax.
	rejoinBackoffMin = 2 * time.Second
	rejoinBackoffMax = time.Minute
	// rejoinSpacingMin is the least time between two rejoins, even when
	// each succeeded: a node that keeps being declared dead (a partition
	// that comes and goes) moves its showtimes at most this often.
	rejoinSpacingMin = 30 * time.Second
	// rejoinTimeout bounds one attempt: stop the member, start a new one.
	rejoinTimeout = 30 * time.Second
)

// rejoiner restarts the node's cluster membership, in this process, when
// a peer has blocked it. protoactor never takes back a member it dropped
// (a node declared dead after a pause or a partition), so a node that runs
// again under the same member id gets no traffic from the others while its
// own view may still say it owns showtimes; it fences itself (see
// cluster.Memberlist.Health). Once a peer has told it so (which also shows
// that peers are reachable again) and its stores answer, the node stops its
// engine and its cluster member and starts a new member, with a new id, and
// the engine again. The HTTP gateway stays up throughout, answering 503 for
// showtimes. The grains start again from the journal wherever the others
// place them; the journal's sequence numbers keep an old activation from
// writing after a new one.
//
// A restart of the protoactor member inside the process is safe here:
// Node.Stop runs every shutdown step of the library itself (stop.go) and
// the cluster tests already run and stop several members per process; the
// engine's clients read the cluster through Attach, and its local actors
// are spawned again by Start.
type rejoiner struct {
	mu       sync.Mutex // held by an attempt and by Main.Close
	closed   bool
	stop     context.CancelFunc
	done     chan struct{}
	state    atomic.Value // string: what the rejoiner is doing, "" when idle
	attempts atomic.Uint64
	rejoins  atomic.Uint64
}

// startRejoin starts watching for a blocked member (clustered nodes only).
func (m *Main) startRejoin() {
	if m.gossip.Load() == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.rejoin.stop, m.rejoin.done = cancel, make(chan struct{})
	go m.rejoinLoop(ctx)
}

// stopRejoin stops the watch and waits for an attempt in progress; Close
// calls it before stopping anything else.
func (m *Main) stopRejoin() {
	r := &m.rejoin
	if r.stop == nil {
		return
	}
	r.stop()
	<-r.done
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

func (m *Main) rejoinLoop(ctx context.Context) {
	defer close(m.rejoin.done)
	t := time.NewTicker(rejoinCheckEvery)
	defer t.Stop()
	backoff := rejoinBackoffMin
	var next time.Time // no attempt before
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !m.mustRejoin() || time.Now().Before(next) {
			continue
		}
		err := m.rejoinOnce(ctx)
		if err == nil {
			backoff, next = rejoinBackoffMin, time.Now().Add(rejoinSpacingMin)
			continue
		}
		if ctx.Err() != nil {
			return
		}
		m.rejoin.state.Store(fmt.Sprintf("rejoin failed, retrying in %v: %v", backoff, err))
		m.Logger.Warn("cluster: rejoin failed; will retry", "in", backoff, "attempt", m.rejoin.attempts.Load(), "error", err)
		next = time.Now().Add(backoff)
		backoff = min(2*backoff, rejoinBackoffMax)
	}
}

// mustRejoin: a peer blocked the current member, or an attempt left the
// node without one.
func (m *Main) mustRejoin() bool {
	if n := m.node.Load(); n == nil || n.Stopping() {
		return true
	}
	g := m.gossip.Load()
	return g != nil && g.Health().BlockedBy != ""
}

// rejoinOnce checks the stores, then replaces the cluster member.
func (m *Main) rejoinOnce(ctx context.Context) error {
	r := &m.rejoin
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("node closing")
	}
	ctx, cancel := context.WithTimeout(ctx, rejoinTimeout)
	defer cancel()
	n := r.attempts.Add(1)
	old := m.node.Load()
	blockedBy := ""
	if g := m.gossip.Load(); g != nil {
		blockedBy = g.Health().BlockedBy
	}
	r.state.Store("checking the stores before rejoining")
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	err := m.Stores.Ping(pctx)
	pcancel()
	if err != nil {
		return fmt.Errorf("stores: %w", err)
	}
	r.state.Store("rejoining the cluster under a new member id")
	m.Logger.Warn("cluster: rejoining under a new member id", "attempt", n, "old_id", idOf(old), "blocked_by", blockedBy)
	began := time.Now()
	if err := m.Engine.Stop(ctx); err != nil {
		m.Logger.Warn("cluster: engine did not stop cleanly before the rejoin", "error", err)
	}
	if old != nil {
		if err := old.Stop(ctx); err != nil {
			m.Logger.Warn("cluster: old member did not stop cleanly", "error", err)
		}
	}
	if err := m.startNode(ctx); err != nil {
		return err
	}
	if err := m.Engine.Start(ctx); err != nil {
		// Without its engine the new member must not stay: stopping it
		// makes the next attempt start both again.
		if serr := m.node.Load().Stop(ctx); serr != nil {
			m.Logger.Warn("cluster: new member did not stop cleanly", "error", serr)
		}
		return fmt.Errorf("start actors: %w", err)
	}
	r.rejoins.Add(1)
	r.state.Store("")
	m.Logger.Warn("cluster: rejoined under a new member id", "attempt", n, "id", m.node.Load().ID(), "took", time.Since(began).Round(time.Millisecond))
	return nil
}

func idOf(n *cluster.Node) string {
	if n == nil {
		return ""
	}
	return n.ID()
}

// fenced says why the node serves no showtimes, "" when it serves them
// (GET /healthz shows it).
func (m *Main) fenced() string {
	if m.healthy() {
		return ""
	}
	reason := m.unhealthyReason()
	if s, _ := m.rejoin.state.Load().(string); s != "" {
		reason = s + " (" + reason + ")"
	}
	return reason
}
