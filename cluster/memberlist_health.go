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
	// names that died (not left) less than ForgetAfter ago.
	Alive int `json:"alive"`
	Known int `json:"known"`
	// BlockedBy names a peer that has told us it blocked our id.
	BlockedBy string `json:"blockedBy,omitempty"`
}

// Health reports whether this node may keep serving. The rule, checked in
// order:
//  1. not started, or shut down: unhealthy;
//  2. a peer told us it blocked our id (it declared us dead once and
//     protoactor never takes a member back): unhealthy until restart;
//  3. quorum: unhealthy unless the alive names are a strict majority of the
//     known names. A node cut off from the others sees them die and becomes
//     a minority; the side with the majority keeps serving. A lone survivor
//     of a real crash fences itself too (it cannot tell that from a
//     partition) until the dead are forgotten (ForgetAfter) or restart.
//     Graceful leaves do not count, so scaling down does not fence;
//  4. memberlist's health score >= MaxHealthScore: unhealthy (we are too
//     slow to answer probes, or others keep suspecting us).
//
// Healthy is a hint for self-fencing and load balancers; the store's
// sequence check remains the judge of double activations.
func (p *Memberlist) Health() Health {
	h := Health{}
	ml := p.ml.Load()
	if ml == nil || p.down.Load() {
		h.Reason = "memberlist not running"
		return h
	}
	h.Score = ml.GetHealthScore()
	h.Alive, h.Known = p.quorum()
	if by, _ := p.blockedBy.Load().(string); by != "" {
		h.BlockedBy = by
		h.Reason = fmt.Sprintf("blocked by %s: declared dead once, restart to rejoin", by)
		return h
	}
	if 2*h.Alive <= h.Known {
		h.Reason = fmt.Sprintf("isolated: %d of %d known nodes alive", h.Alive, h.Known)
		return h
	}
	if h.Score >= p.cfg.MaxHealthScore {
		h.Reason = fmt.Sprintf("memberlist health score %d >= %d", h.Score, p.cfg.MaxHealthScore)
		return h
	}
	h.Healthy = true
	return h
}

// Healthy is Health().Healthy.
func (p *Memberlist) Healthy() bool { return p.Health().Healthy }

func (p *Memberlist) quorum() (alive, known int) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
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
