package cluster

import (
	"sort"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// MemberStatus is a member's state as this node sees it.
type MemberStatus string

const (
	StatusAlive   MemberStatus = "alive"   // answering probes
	StatusSuspect MemberStatus = "suspect" // in the member list, but our probes went unanswered lately
	StatusLeaving MemberStatus = "leaving" // announced a graceful leave
	StatusLeft    MemberStatus = "left"    // gone after announcing it
	StatusDead    MemberStatus = "dead"    // declared dead by memberlist's failure detector
)

// MemberInfo describes one member for an admin endpoint.
type MemberInfo struct {
	ID     string       `json:"id"`   // member id: the actor system id, also the memberlist node name
	Name   string       `json:"name"` // display name
	HTTP   string       `json:"http,omitempty"`
	Gossip string       `json:"gossip"` // memberlist host:port
	Remote string       `json:"remote"` // actor remote host:port
	Kinds  []string     `json:"kinds,omitempty"`
	Status MemberStatus `json:"status"`
	Since  time.Time    `json:"since"` // when Status last changed
	// Blocked: protoactor here dropped this id from the topology once and
	// never takes it back (its block list is permanent), so it gets no
	// grains from this node until it restarts under a new id.
	Blocked bool `json:"blocked,omitempty"`
	Self    bool `json:"self,omitempty"`
}

// peer is the registry entry for one memberlist node. Guarded by
// Memberlist.mu.
type peer struct {
	node       memberlist.Node // copy of address fields, for SendReliable
	meta       nodeMeta
	state      MemberStatus // alive, leaving, left or dead; suspect is derived
	since      time.Time
	lastAck    time.Time // last direct probe ack (or join)
	inTopology bool      // was in a topology we pushed to protoactor
	noticeAt   time.Time // last time we told it that it is blocked
}

func copyNode(n *memberlist.Node) memberlist.Node {
	return memberlist.Node{Name: n.Name, Addr: append([]byte(nil), n.Addr...), Port: n.Port}
}

// onJoin records a node that memberlist sees alive (new, or back from dead).
func (p *Memberlist) onJoin(n *memberlist.Node) {
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		p.log.Warn("memberlist: ignoring node with bad metadata", "node", n.Name, "error", err)
		return
	}
	now := time.Now()
	p.mu.Lock()
	pr, ok := p.peers[n.Name]
	if !ok {
		pr = &peer{}
		p.peers[n.Name] = pr
	}
	pr.node, pr.meta, pr.lastAck = copyNode(n), meta, now
	pr.state, pr.since = StatusAlive, now
	if meta.Leaving {
		pr.state = StatusLeaving
	}
	// The quorum counts names: two live nodes with one name count once.
	twin := n.Name != p.self && meta.Name == p.name && !meta.Leaving
	lapsed := p.renewLease(now)
	p.mu.Unlock()
	if lapsed {
		p.leaseBack()
	}
	if twin {
		p.log.Warn("memberlist: another live node has this node's name; give every node its own --node name", "name", meta.Name, "other", n.Name)
	}
	p.coalesce.Kick()
}

// onUpdate records new metadata (the leaving flag above all).
func (p *Memberlist) onUpdate(n *memberlist.Node) { p.onJoin(n) }

// onLeave records a node that memberlist dropped. memberlist does not say
// whether it failed or left (the Node it hands over always has State
// alive), so a node that had announced its leave counts as left.
func (p *Memberlist) onLeave(n *memberlist.Node) {
	now := time.Now()
	p.mu.Lock()
	if pr, ok := p.peers[n.Name]; ok {
		if pr.state == StatusLeaving || pr.state == StatusLeft {
			pr.state = StatusLeft
		} else {
			pr.state = StatusDead
		}
		pr.since = now
	}
	p.mu.Unlock()
	p.coalesce.Kick()
}

// ackFrom records an answer from peer id (a probe's ack, or a beat's) and
// moves the lease.
func (p *Memberlist) ackFrom(id string) {
	now := time.Now()
	p.mu.Lock()
	lapsed := false
	if pr, ok := p.peers[id]; ok {
		pr.lastAck = now
		lapsed = p.renewLease(now)
	}
	p.mu.Unlock()
	if lapsed {
		p.leaseBack()
	}
}

// suspectAfter is how long a peer may go without a direct probe ack before
// it shows as suspect: memberlist probes one peer per ProbeInterval, so
// each peer about every (peers x ProbeInterval); three rounds missed is
// suspicious. memberlist keeps its own suspect state private.
func (p *Memberlist) suspectAfter(peers int) time.Duration {
	return time.Duration(3*max(peers, 1)) * p.cfg.ProbeInterval
}

// status is pr's status now. Caller holds p.mu.
func (p *Memberlist) status(id string, pr *peer, now time.Time, peers int) MemberStatus {
	if pr.state == StatusAlive && id != p.self && now.Sub(pr.lastAck) > p.suspectAfter(peers) {
		return StatusSuspect
	}
	return pr.state
}

// prune forgets departed peers after ForgetAfter. Caller holds p.mu.
func (p *Memberlist) prune(now time.Time) {
	for id, pr := range p.peers {
		if (pr.state == StatusDead || pr.state == StatusLeft) && now.Sub(pr.since) > p.cfg.ForgetAfter {
			delete(p.peers, id)
		}
	}
}

// Members lists the members this node knows, departed ones included until
// ForgetAfter, sorted by name then id. Nil before StartMember.
func (p *Memberlist) Members() []MemberInfo {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
	out := make([]MemberInfo, 0, len(p.peers))
	for id, pr := range p.peers {
		out = append(out, MemberInfo{
			ID:      id,
			Name:    pr.meta.Name,
			HTTP:    pr.meta.HTTP,
			Gossip:  pr.node.Address(),
			Remote:  pr.meta.Remote,
			Kinds:   append([]string(nil), pr.meta.Kinds...),
			Status:  p.status(id, pr, now, len(p.peers)-1),
			Since:   pr.since,
			Blocked: p.blocked[id],
			Self:    id == p.self,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// topology is the member list to hand protoactor: every node memberlist
// considers alive (suspects included: moving their grains on a hunch
// would make two activations likelier), minus those leaving. It also
// returns the peers to tell that this node blocks them.
func (p *Memberlist) topology() (pcluster.Members, []memberlist.Node) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
	var members pcluster.Members
	var notify []memberlist.Node
	for id, pr := range p.peers {
		if pr.state != StatusAlive {
			// protoactor blocks every member that leaves its topology, for
			// good: remember it past prune.
			if pr.inTopology {
				p.blocked[id] = true
			}
			pr.inTopology = false
			continue
		}
		if p.blocked[id] {
			if now.Sub(pr.noticeAt) > blockedNoticeEvery {
				pr.noticeAt = now
				notify = append(notify, pr.node)
			}
			continue
		}
		host, port, _ := splitHostPort(pr.meta.Remote) // checked by decodeMeta
		members = append(members, &pcluster.Member{
			Id: id, Host: host, Port: int32(port), Kinds: pr.meta.Kinds,
		})
		pr.inTopology = true
	}
	alive, known := p.quorum()
	if was := p.alive.Load(); 2*alive <= known && 2*int(was) > int(p.known.Load()) {
		p.epoch.Add(1) // into a minority
	}
	p.alive.Store(int32(alive))
	p.known.Store(int32(known))
	if known/2 == 0 {
		// Alone: no lease to keep. A peer that joins later starts a new
		// one rather than ending a lapse (no probation).
		p.lease.at.Store(0)
	}
	return members, notify
}

// Gone reports whether member id is known to have died or left. A member
// this node never heard of (or has forgotten) is not gone: it may have
// joined a moment ago.
func (p *Memberlist) Gone(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.peers[id]
	return ok && (pr.state == StatusDead || pr.state == StatusLeft)
}
