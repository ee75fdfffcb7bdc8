package cluster

import (
	"encoding/json"
	"time"

	"github.com/hashicorp/memberlist"
)

// mlDelegate is memberlist's view of the provider: metadata out, events and
// probe acks in. It stays thin: every callback records and kicks the
// coalescer, nothing here blocks.
type mlDelegate struct{ p *Memberlist }

var (
	_ memberlist.Delegate      = (*mlDelegate)(nil)
	_ memberlist.EventDelegate = (*mlDelegate)(nil)
	_ memberlist.PingDelegate  = (*mlDelegate)(nil)
)

func (d *mlDelegate) NodeMeta(limit int) []byte {
	if b := d.p.meta.Load(); b != nil && len(*b) <= limit {
		return *b
	}
	return nil
}

func (d *mlDelegate) NotifyMsg(b []byte)              { d.p.onMessage(b) }
func (d *mlDelegate) GetBroadcasts(int, int) [][]byte { return nil }
func (d *mlDelegate) LocalState(bool) []byte          { return nil }
func (d *mlDelegate) MergeRemoteState([]byte, bool)   {}
func (d *mlDelegate) NotifyJoin(n *memberlist.Node)   { d.p.onJoin(n) }
func (d *mlDelegate) NotifyLeave(n *memberlist.Node)  { d.p.onLeave(n) }
func (d *mlDelegate) NotifyUpdate(n *memberlist.Node) { d.p.onUpdate(n) }
func (d *mlDelegate) AckPayload() []byte              { return nil }
func (d *mlDelegate) NotifyPingComplete(n *memberlist.Node, _ time.Duration, _ []byte) {
	d.p.ackFrom(n.Name)
}

// blockedNotice tells a member that the sender's protoactor has blocked
// its id: protoactor blocks every member that leaves the topology and never
// lets it back, so a node declared dead (after a pause, or a partition) and
// then alive again gets no traffic from the sender yet may still own grains
// in its own view. It must stop serving and restart under a new id.
type blockedNotice struct {
	Type string `json:"type"` // "blocked"
	ID   string `json:"id"`   // the blocked member id
	By   string `json:"by"`   // the sender's display name
}

// blockedNoticeEvery limits how often one peer is told.
const blockedNoticeEvery = 5 * time.Second

func (p *Memberlist) sendBlocked(n memberlist.Node) {
	ml := p.ml.Load()
	if ml == nil {
		return
	}
	b, _ := json.Marshal(blockedNotice{Type: "blocked", ID: n.Name, By: p.name})
	// Best effort (UDP): it must not hold up the coalescer, and upkeep
	// repeats it every blockedNoticeEvery while the peer stays alive.
	if err := ml.SendBestEffort(&n, b); err != nil {
		p.log.Debug("memberlist: blocked notice not sent", "to", n.Name, "error", err)
	}
}

func (p *Memberlist) onMessage(b []byte) {
	var m blockedNotice
	if json.Unmarshal(b, &m) != nil {
		return
	}
	switch m.Type {
	case beatType:
		p.answerBeat(m.ID)
		return
	case beatAckType:
		p.ackFrom(m.ID)
		return
	case "blocked":
	default:
		return
	}
	p.mu.Lock()
	self := p.self
	p.mu.Unlock()
	if m.ID != self {
		return
	}
	by := m.By
	if by == "" {
		by = "a peer"
	}
	if p.blockedBy.CompareAndSwap(nil, by) {
		p.epoch.Add(1)
		p.log.Warn("memberlist: a peer has blocked this node; it must rejoin under a new member id", "by", by)
	}
}
