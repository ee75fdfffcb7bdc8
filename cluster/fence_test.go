package cluster_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// rawPeer is a bare memberlist node speaking our metadata, standing in for
// a peer whose process is paused: it can go silent and come back under the
// same id, which a real node cannot do on demand.
type rawPeer struct {
	meta []byte
	mu   sync.Mutex
	msgs []string
}

func (r *rawPeer) NodeMeta(int) []byte { return r.meta }
func (r *rawPeer) NotifyMsg(b []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, string(b))
	r.mu.Unlock()
}
func (r *rawPeer) GetBroadcasts(int, int) [][]byte { return nil }
func (r *rawPeer) LocalState(bool) []byte          { return nil }
func (r *rawPeer) MergeRemoteState([]byte, bool)   {}

func (r *rawPeer) got(sub string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

func startRaw(tb testing.TB, r *rawPeer, id string, port int, seed string) *memberlist.Memberlist {
	tb.Helper()
	conf := memberlist.DefaultLANConfig()
	conf.Name, conf.BindAddr, conf.BindPort = id, "127.0.0.1", port
	conf.Label = "boxoffice"
	conf.ProbeInterval, conf.ProbeTimeout = 500*time.Millisecond, 250*time.Millisecond
	conf.Delegate = r
	conf.Logger = nil
	conf.LogOutput = discard{}
	ml, err := memberlist.Create(conf)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ml.Join([]string{seed}); err != nil {
		tb.Fatal(err)
	}
	return ml
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A peer declared dead and then back under the same id is blocked for good
// by protoactor; the node tells it so, and a node told so is unhealthy.
func TestMemberlistBlockedPeerIsTold(t *testing.T) {
	skipUnderRace(t)
	n1 := MustStartCluster(t, "boxoffice", 1)[0]
	meta, _ := json.Marshal(map[string]any{"name": "x", "remote": "127.0.0.1:1", "kinds": []string{"echo"}})
	r := &rawPeer{meta: meta}
	ml := startRaw(t, r, "raw-x", 0, n1.provider.GossipAddr())
	port := int(ml.LocalNode().Port)
	testwait.Until(t, 3*time.Second, "x in topology", func() bool { return len(n1.node.Topology()) == 2 })
	epoch := n1.provider.Epoch()
	if n1.provider.Gone("raw-x") {
		t.Error("x is gone while alive")
	}
	if n1.provider.Gone("raw-y") {
		t.Error("a member never heard of is gone")
	}

	_ = ml.Shutdown() // silent: a pause, as n1 sees it
	testwait.Until(t, 8*time.Second, "x dead", func() bool { return statusOf(n1, "x") == cluster.StatusDead })
	// protoactor blocks x only once the topology without x reaches it (the
	// coalescer's next flush). Were x back before that, protoactor would
	// never have seen it leave, and rightly not block it.
	testwait.Until(t, 8*time.Second, "x out of protoactor's topology", func() bool {
		x, ok := memberByID(n1, "raw-x")
		return ok && x.Blocked && len(n1.node.Topology()) == 1
	})
	if !n1.provider.Gone("raw-x") {
		t.Error("x is not gone after it died")
	}
	// Alone of two: a minority, whose grains may go stale.
	if e := n1.provider.Epoch(); e <= epoch {
		t.Errorf("fence epoch %d after x died, was %d: want it moved", e, epoch)
	}
	epoch = n1.provider.Epoch()

	ml = startRaw(t, r, "raw-x", port, n1.provider.GossipAddr()) // back, same id
	defer ml.Shutdown()
	d := testwait.Until(t, 10*time.Second, "blocked notice", func() bool { return r.got(`"id":"raw-x"`) })
	t.Logf("notice after %v", d)
	if n1.provider.Gone("raw-x") {
		t.Error("x is gone after it came back under the same id")
	}
	// x answers again after a silence longer than the lease: a lapse ended.
	testwait.Until(t, 3*time.Second, "fence epoch moved at the lapse's end", func() bool { return n1.provider.Epoch() > epoch })
	if x, ok := memberByID(n1, "raw-x"); !ok {
		t.Errorf("raw-x not listed in %+v, want it alive and blocked", n1.provider.Members())
	} else if !x.Blocked || x.Status != cluster.StatusAlive {
		t.Errorf("x = %+v, want alive and blocked", x)
	}
	if len(n1.node.Topology()) != 1 {
		t.Errorf("topology = %v, want n1 alone", n1.node.Topology())
	}

	// The receiving side: n1 told by a peer that it is blocked.
	notice, _ := json.Marshal(map[string]string{"type": "blocked", "id": n1.node.ID(), "by": "x"})
	sent := false
	for _, m := range ml.Members() {
		if m.Name == n1.node.ID() {
			if err := ml.SendReliable(m, notice); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	if !sent {
		t.Fatalf("n1 (%s) is not among the raw peer's members: the notice was not sent", n1.node.ID())
	}
	// n1 may be fenced already (x's answers came back after a silence:
	// the lease's probation); the notice must fence it for good.
	testwait.Until(t, 3*time.Second, "n1 fenced as blocked by x", func() bool { return n1.provider.Health().BlockedBy == "x" })
	if h := n1.provider.Health(); h.Healthy {
		t.Errorf("health = %+v", h)
	}
}

// memberByID is the member with this id as the node lists it, if listed.
func memberByID(m *member, id string) (cluster.MemberInfo, bool) {
	for _, mi := range m.provider.Members() {
		if mi.ID == id {
			return mi, true
		}
	}
	return cluster.MemberInfo{}, false
}
