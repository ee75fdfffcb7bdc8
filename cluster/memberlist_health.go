package cluster

import (
	"fmt"
	"time"
)

// Health is this node's view of whether it may keep serving.
type Health struct {
	Healthy bool   `json:"healthy"`
	Reason  string `json:"reason,omitempty"` // why not, when not
	// Score is memberlist's health (awareness) score: 0 is best; it rises
	// when this node misses probe deadlines or has to refute others'
	// suspicion of it.
	Score int `json:"score"`
	// Alive and Known count node names (not ids, so a restarted node
	// counts once): Alive = seen alive, self included; Known = Alive plus
	// names that died (not left) less than ForgetAfter ago. They are as of
	// the latest topology update (membership events, and every
	// RejoinInterval).
	Alive int `json:"alive"`
	Known int `json:"known"`
	// BlockedBy names a peer that has told us it blocked our id.
	BlockedBy string `json:"blocked_by,omitempty"`
	// PausedFor is the longest stall of this process noticed lately (see
	// MemberlistConfig.PauseLimit), while it still fences the node.
	PausedFor time.Duration `json:"paused_for,omitempty"`
}

// Health reports whether this node may keep serving. The rule, checked in
// order:
//  1. not started, or shut down: unhealthy;
//  2. a peer told us it blocked our id (it declared us dead once and
//     protoactor never takes a member back): unhealthy for good, until
//     the node starts a new member with a new id (cmd/boxoffice does so
//     by itself: rejoin.go);
//  3. the process stood still (SIGSTOP, a frozen VM) for longer than
//     PauseLimit, long enough for the others to have declared it dead:
//     unhealthy for PauseProbation, time for a peer's blocked notice to
//     arrive (which fences it for the life of this member, rule 2);
//  4. quorum: unhealthy unless the alive names are a strict majority of the
//     known names. A node cut off from the others sees them die and becomes
//     a minority; the side with the majority keeps serving. A lone survivor
//     of a real crash fences itself too (it cannot tell that from a
//     partition) until the dead are forgotten (ForgetAfter) or restart.
//     Graceful leaves do not count, so scaling down does not fence;
//  5. the lease (two or more known nodes): unhealthy unless enough peers
//     for a majority answered a probe within LeaseTimeout, and for
//     PauseProbation after answers come back from a lapse (see lease);
//  6. memberlist's health score >= MaxHealthScore: unhealthy (we are too
//     slow to answer probes, or others keep suspecting us).
//
// Health is cheap (no lock held long, no allocation when healthy): the
// showtime grains ask it on every command. It is a hint for self-fencing
// and load balancers; the store's sequence check remains the judge of
// double activations.
func (p *Memberlist) Health() Health {
	h := Health{}
	ml := p.ml.Load()
	if ml == nil || p.down.Load() {
		h.Reason = "memberlist not running"
		return h
	}
	h.Score = ml.GetHealthScore()
	h.Alive, h.Known = int(p.alive.Load()), int(p.known.Load())
	if by, _ := p.blockedBy.Load().(string); by != "" {
		h.BlockedBy = by
		h.Reason = fmt.Sprintf("blocked by %s: declared dead once; it must rejoin under a new member id", by)
		return h
	}
	now := time.Now()
	if paused, d := p.pause.fenced(now); paused {
		h.PausedFor = d
		h.Reason = fmt.Sprintf("this process stood still for %v (limit %v): the others may have declared it dead", d.Round(time.Millisecond), p.cfg.PauseLimit)
		return h
	}
	if 2*h.Alive <= h.Known {
		h.Reason = fmt.Sprintf("isolated: %d of %d known nodes alive", h.Alive, h.Known)
		return h
	}
	if 2*h.Known > 2 { // two or more nodes: the lease rule
		ok, silent, probation := p.lease.check(now, p.cfg.LeaseTimeout)
		switch {
		case probation:
			h.Reason = fmt.Sprintf("the peers answer again after a silence: fenced for %v, time for a blocked notice to arrive", p.cfg.PauseProbation)
			return h
		case !ok && silent > 0:
			h.Reason = fmt.Sprintf("no majority of the nodes answered a probe for %v (limit %v)", silent.Round(time.Millisecond), p.cfg.LeaseTimeout)
			return h
		case !ok:
			h.Reason = "no majority of the nodes has answered a probe yet"
			return h
		}
	}
	if h.Score >= p.cfg.MaxHealthScore {
		h.Reason = fmt.Sprintf("memberlist health score %d >= %d", h.Score, p.cfg.MaxHealthScore)
		return h
	}
	h.Healthy = true
	return h
}

// Epoch counts the times this node's right to serve from memory was in
// doubt: a lease lapse that ended (the peers answer again after a silence),
// a pause of the process, a fall into a minority, a peer's blocked notice.
// It only grows, and it grows before the node is healthy again. Whatever a
// node loaded into memory before the epoch moved may be stale: while it was
// cut off or stood still the others may have served the same showtimes and
// written past it. The showtime grains note the epoch when they load and
// load again when it has moved, so that a grain which sat idle through a
// partition does not answer from the state it had before (its writes are
// fenced by the store anyway; its reads are not).
func (p *Memberlist) Epoch() uint64 { return p.epoch.Load() }

// Healthy is Health().Healthy.
func (p *Memberlist) Healthy() bool { return p.Health().Healthy }

// quorum counts alive and known names. Caller holds p.mu; prune first.
func (p *Memberlist) quorum() (alive, known int) {
	names := make(map[string]bool, len(p.peers)) // name -> alive
	for _, pr := range p.peers {
		switch pr.state {
		case StatusAlive:
			names[pr.meta.Name] = true
		case StatusDead:
			if _, ok := names[pr.meta.Name]; !ok {
				names[pr.meta.Name] = false
			}
		}
	}
	for _, a := range names {
		if a {
			alive++
		}
	}
	return alive, len(names)
}
