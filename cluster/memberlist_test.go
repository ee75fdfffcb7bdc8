package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/leaktest"
	"github.com/boxoffice/boxoffice/internal/logcount"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// member is one node of an in-process test cluster.
type member struct {
	name     string
	node     *cluster.Node
	provider *cluster.Memberlist
}

// MustStartCluster starts n nodes on loopback that gossip with the first.
func MustStartCluster(tb testing.TB, clusterName string, n int) []*member {
	tb.Helper()
	var out []*member
	var seeds []string
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("n%d", i)
		p := cluster.NewMemberlist(cluster.MemberlistConfig{
			Name:     name,
			Seeds:    seeds,
			HTTPAddr: fmt.Sprintf("127.0.0.1:%d", 8080+i),
			Logger:   testLogger(tb),
		})
		node := MustStart(tb, cluster.Config{Name: name, ClusterName: clusterName, Provider: p})
		if seeds == nil {
			seeds = []string{p.GossipAddr()}
		}
		out = append(out, &member{name: name, node: node, provider: p})
	}
	return out
}

func topologySize(ms ...*member) func() bool {
	return func() bool {
		for _, m := range ms {
			if len(m.node.Topology()) != len(ms) {
				return false
			}
		}
		return true
	}
}

func echo(tb testing.TB, m *member, identity string) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := cluster.Request(ctx, m.node.Cluster(), identity, echoKind, wrapperspb.String("x"))
	if err != nil {
		return "", err
	}
	return res.(*wrapperspb.StringValue).Value, nil
}

// ownerOf is the name of the node that served identity, per its reply.
func ownerOf(tb testing.TB, ms []*member, identity string) string {
	tb.Helper()
	var owner string
	for _, m := range ms {
		got, err := echo(tb, m, identity)
		if err != nil {
			tb.Fatalf("from %s: %v", m.name, err)
		}
		o, _, _ := strings.Cut(got, ":")
		if owner != "" && o != owner {
			tb.Fatalf("from %s: served by %s, others by %s", m.name, o, owner)
		}
		owner = o
	}
	return owner
}

func statusOf(m *member, name string) cluster.MemberStatus {
	for _, mi := range m.provider.Members() {
		if mi.Name == name {
			return mi.Status
		}
	}
	return ""
}

func TestMemberlist(t *testing.T) {
	skipUnderRace(t)
	ignore := goleak.IgnoreCurrent()
	ms := MustStartCluster(t, "boxoffice", 3)
	testwait.Until(t, 10*time.Second, "3 members everywhere", topologySize(ms...))

	t.Run("every node reaches the same activation", func(t *testing.T) {
		for _, id := range []string{"show-1", "show-2", "show-3", "show-4"} {
			ownerOf(t, ms, id)
		}
	})

	t.Run("members carry metadata", func(t *testing.T) {
		got := ms[0].provider.Members()
		if len(got) != 3 {
			t.Fatalf("members = %+v", got)
		}
		for i, mi := range got {
			want := ms[i]
			if mi.Name != want.name || mi.Status != cluster.StatusAlive || mi.Remote != want.node.Address() ||
				mi.Gossip != want.provider.GossipAddr() || mi.HTTP != fmt.Sprintf("127.0.0.1:%d", 8081+i) ||
				mi.ID != want.node.ID() || mi.Self != (i == 0) {
				t.Errorf("member %d = %+v", i, mi)
			}
		}
		if !ms[0].provider.Healthy() {
			t.Errorf("health = %+v", ms[0].provider.Health())
		}
	})

	t.Run("a graceful stop updates the others' topology", func(t *testing.T) {
		owner := ownerOf(t, ms, "show-9")
		var gone *member
		var rest []*member
		for _, m := range ms {
			if m.name == owner {
				gone = m
			} else {
				rest = append(rest, m)
			}
		}
		MustStop(t, gone.node)
		d := testwait.Until(t, 3*time.Second, "topology of 2", topologySize(rest...))
		t.Logf("topology updated %v after stop", d)
		if next := ownerOf(t, rest, "show-9"); next == owner {
			t.Fatalf("still served by stopped %s", owner)
		}
		if s := statusOf(rest[0], gone.name); s != cluster.StatusLeft {
			t.Errorf("status of %s = %q, want left", gone.name, s)
		}
		for _, m := range rest {
			if h := m.provider.Health(); !h.Healthy {
				t.Errorf("%s: health = %+v", m.name, h)
			}
		}
	})

	for _, m := range ms {
		MustStop(t, m.node)
	}
	goleak.VerifyNone(t, leaktest.Options(ignore)...)
}

func TestMemberlistFailureDetection(t *testing.T) {
	skipUnderRace(t)
	ms := MustStartCluster(t, "boxoffice", 3)
	testwait.Until(t, 10*time.Second, "3 members everywhere", topologySize(ms...))

	// A crash, as the others see it: memberlist goes silent without leaving.
	crash := func(m *member) {
		if err := m.provider.Shutdown(false); err != nil {
			t.Fatal(err)
		}
	}

	crash(ms[2])
	d := testwait.Until(t, 8*time.Second, "n3 dropped", topologySize(ms[0], ms[1]))
	t.Logf("dead node dropped from topology after %v", d)
	if s := statusOf(ms[0], "n3"); s != cluster.StatusDead {
		t.Errorf("status of n3 = %q, want dead", s)
	}
	if h := ms[0].provider.Health(); !h.Healthy || h.Alive != 2 || h.Known != 3 {
		t.Errorf("n1 with 2 of 3 alive: %+v", h)
	}
	if ms[2].provider.Healthy() {
		t.Error("n3 after its memberlist shut down: healthy")
	}
	if _, err := echo(t, ms[0], "show-1"); err != nil {
		t.Errorf("request after failover: %v", err)
	}

	crash(ms[1])
	testwait.Until(t, 8*time.Second, "n1 alone", topologySize(ms[0]))
	h := ms[0].provider.Health()
	if h.Healthy || h.Alive != 1 || h.Known != 3 || !strings.Contains(h.Reason, "isolated") {
		t.Errorf("n1 alone: %+v", h)
	}
}

func TestMemberlistLabelSeparatesClusters(t *testing.T) {
	skipUnderRace(t)
	a := MustStartCluster(t, "cluster-a", 1)[0]
	joins := new(atomic.Int64)
	p := cluster.NewMemberlist(cluster.MemberlistConfig{
		Name: "b1", Seeds: []string{a.provider.GossipAddr()}, Logger: logcount.Wrap(testLogger(t), logcount.JoinFailed, joins),
		RejoinInterval: 50 * time.Millisecond,
	})
	MustStart(t, cluster.Config{Name: "b1", ClusterName: "cluster-b", Provider: p})
	// b1 retries its seed while alone: once cluster-a has turned it away
	// three times, the clusters have had their chances to merge.
	testwait.Until(t, 10*time.Second, "b1's joins turned away", func() bool {
		return joins.Load() >= 3 || len(a.provider.Members()) > 1 || len(p.Members()) > 1
	})
	if n := len(a.provider.Members()); n != 1 {
		t.Errorf("cluster-a sees %d members", n)
	}
	if n := len(p.Members()); n != 1 {
		t.Errorf("cluster-b sees %d members", n)
	}
}
