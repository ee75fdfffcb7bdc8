package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// The lease's own round trips: every LeaseTimeout/leaseBeats a node sends
// each peer it sees alive a beat, and each answers at once. memberlist's
// probes alone are too sparse for the lease: a node probes one peer per
// ProbeInterval, and a probe of a peer that does not answer takes the
// whole interval or longer (indirect probes, then a TCP fallback), so the
// answers of a healthy peer may come more than LeaseTimeout apart while
// another peer is down. A beat answered proves both directions, as an ack
// does.
const (
	beatType    = "beat"
	beatAckType = "beat-ack"
	leaseBeats  = 5
)

// lease is this node's right to serve from memory in a cluster of two or
// more: it holds while enough peers for a majority answered a probe within
// LeaseTimeout. A node cut off from the others (a partition) keeps its
// showtimes' grains in memory, and the quorum rule fences it only once it
// has declared its peers dead, which may come after they have declared it
// dead and taken its showtimes over (their suspicions confirm each other,
// its own do not). The lease lapses earlier, at a fixed time after the last
// answer: before the peers can declare the node dead.
//
// When answers come back after a lapse the node stays fenced for
// PauseProbation, as after a pause: if the peers declared it dead they have
// blocked its id, and their notice (repeated every blockedNoticeEvery)
// arrives meanwhile and fences it until it rejoins under a new id. Without
// the probation it would serve again from grains another node has since
// written past, for the moment the notice takes.
type lease struct {
	base  time.Time    // monotonic origin of the fields below
	at    atomic.Int64 // ns since base (+1, 0 = never): since when a majority has answered
	until atomic.Int64 // ns since base: fenced by the probation until then
}

func (l *lease) since(t time.Time) int64 { return int64(t.Sub(l.base)) + 1 }

// renew records that the majority has answered since at, at time now, and
// reports whether this ends a lapse (the lease was older than limit), in
// which case the probation starts.
func (l *lease) renew(at, now time.Time, limit, probation time.Duration) (lapsed bool) {
	n, a := l.since(now), l.since(at)
	old := l.at.Load()
	if n-a > int64(limit) {
		return false // still not a majority recently
	}
	if old != 0 && n-old > int64(limit) {
		l.until.Store(n + int64(probation))
		lapsed = true
	}
	for old < a && !l.at.CompareAndSwap(old, a) {
		old = l.at.Load()
	}
	return lapsed
}

// check tells whether the lease lets the node serve at now: ok, or why
// not (silent: no majority answered within limit; probation: answers
// came back after a lapse lately).
func (l *lease) check(now time.Time, limit time.Duration) (ok bool, silent time.Duration, probation bool) {
	n := l.since(now)
	at := l.at.Load()
	if at == 0 {
		return false, 0, false
	}
	if d := time.Duration(n - at); d > limit {
		return false, d, false
	}
	if n < l.until.Load() {
		return false, 0, true
	}
	return true, 0, false
}

// majorityAnswered returns since when enough distinct peers for a strict
// majority of known nodes (this one included) have answered: the need-th
// most recent answer among peers seen alive, one per name. Zero when
// fewer peers than that are alive. Caller holds p.mu.
func (p *Memberlist) majorityAnswered(known int) time.Time {
	need := known / 2
	if need == 0 {
		return time.Time{}
	}
	last := make(map[string]time.Time, len(p.peers))
	for id, pr := range p.peers {
		if id == p.self || pr.state != StatusAlive || pr.meta.Name == p.name {
			continue
		}
		if pr.lastAck.After(last[pr.meta.Name]) {
			last[pr.meta.Name] = pr.lastAck
		}
	}
	if len(last) < need {
		return time.Time{}
	}
	acks := make([]time.Time, 0, len(last))
	for _, t := range last {
		acks = append(acks, t)
	}
	slices.SortFunc(acks, func(a, b time.Time) int { return b.Compare(a) })
	return acks[need-1]
}

// renewLease moves the lease after an answer from a peer (a probe's ack, or
// a join). Caller holds p.mu; it returns whether a lapse ended, for the
// caller to log once the lock is released.
func (p *Memberlist) renewLease(now time.Time) bool {
	_, known := p.quorum()
	at := p.majorityAnswered(known)
	if at.IsZero() {
		return false
	}
	return p.lease.renew(at, now, p.cfg.LeaseTimeout, p.cfg.PauseProbation)
}

// beat sends the lease's beats until ctx is done.
func (p *Memberlist) beat(ctx context.Context) {
	t := time.NewTicker(max(p.cfg.LeaseTimeout/leaseBeats, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.sendBeats()
		}
	}
}

// sendBeats sends a beat to every peer seen alive (best effort: UDP).
func (p *Memberlist) sendBeats() {
	ml := p.ml.Load()
	if ml == nil {
		return
	}
	p.mu.Lock()
	self := p.self
	to := make([]memberlist.Node, 0, len(p.peers))
	for id, pr := range p.peers {
		if id != self && pr.state == StatusAlive {
			to = append(to, pr.node)
		}
	}
	p.mu.Unlock()
	if len(to) == 0 {
		return
	}
	b, _ := json.Marshal(blockedNotice{Type: beatType, ID: self})
	for i := range to {
		_ = ml.SendBestEffort(&to[i], b) // a lost beat is a missed one
	}
}

// answerBeat answers a peer's beat, if the peer is known.
func (p *Memberlist) answerBeat(from string) {
	ml := p.ml.Load()
	if ml == nil {
		return
	}
	p.mu.Lock()
	self := p.self
	pr, ok := p.peers[from]
	var n memberlist.Node
	if ok {
		n = pr.node
	}
	p.mu.Unlock()
	if !ok || from == self {
		return
	}
	b, _ := json.Marshal(blockedNotice{Type: beatAckType, ID: self})
	_ = ml.SendBestEffort(&n, b)
}
