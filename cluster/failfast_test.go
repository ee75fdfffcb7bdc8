package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

const sinkKind = "sink"

// sinkKindFor is a grain that never answers, like one on a node that
// froze or crashed with the request in its mailbox. It counts the requests
// it received in received, so that a test knows one is waiting.
func sinkKindFor(received *atomic.Int64) *pcluster.Kind {
	return pcluster.NewKind(sinkKind, actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			received.Add(1)
		}
	}))
}

// A call waiting on a member that crashes fails with ErrUnavailable as
// soon as the cluster declares the member dead, not at its deadline: three
// nodes host a grain that never answers; n1 calls the one on n3 with a 30s
// deadline, and n3's gossip goes silent.
func TestRequestFailsFastWhenItsMemberLeaves(t *testing.T) {
	skipUnderRace(t)
	var ms []*member
	var seeds []string
	var received atomic.Int64
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("n%d", i)
		p := cluster.NewMemberlist(cluster.MemberlistConfig{Name: name, Seeds: seeds, Logger: testLogger(t)})
		node := MustStart(t, cluster.Config{Name: name, Provider: p,
			Kinds: []*pcluster.Kind{echoKindFor(name), sinkKindFor(&received)}})
		seeds = []string{p.GossipAddr()}
		ms = append(ms, &member{name: name, node: node, provider: p})
	}
	testwait.Until(t, 10*time.Second, "3 members everywhere", topologySize(ms...))
	identity := ""
	for i := 0; identity == ""; i++ {
		// echo and sink are hosted by every node, so an identity has the
		// same owner in both kinds.
		if id := fmt.Sprintf("show-%d", i); ownerOf(t, ms, id) == "n3" {
			identity = id
		}
	}

	errc := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		_, err := cluster.Request(ctx, ms[0].node.Cluster(), identity, sinkKind, wrapperspb.String("x"))
		errc <- err
	}()
	testwait.Until(t, 10*time.Second, "the call delivered, waiting", func() bool { return received.Load() == 1 })
	if err := ms[2].provider.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	crashed := time.Now()
	select {
	case err := <-errc:
		took := time.Since(crashed)
		t.Logf("in-flight call failed %v after the crash: %v", took, err)
		if !errors.Is(err, cluster.ErrUnavailable) || !strings.Contains(err.Error(), "left the cluster") {
			t.Fatalf("err = %v, want ErrUnavailable because the member left", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the call still waits 15s after its member crashed")
	}

	// Calls made after that go to the new owner at once.
	if got, err := echo(t, ms[0], identity); err != nil || strings.HasPrefix(got, "n3:") {
		t.Fatalf("after the crash: %q, %v", got, err)
	}
}

// Host names work for the gossip bind and advertised addresses: memberlist
// itself wants IPs (docker-compose names nodes by service).
func TestMemberlistResolvesHostNames(t *testing.T) {
	if _, err := net.LookupIP("localhost"); err != nil {
		t.Skip("no localhost resolution here")
	}
	p := cluster.NewMemberlist(cluster.MemberlistConfig{
		Name: "n1", GossipAddr: "localhost:0", AdvertiseAddr: "localhost", Logger: testLogger(t),
	})
	MustStart(t, cluster.Config{Name: "n1", Provider: p})
	host, port, err := net.SplitHostPort(p.GossipAddr())
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() || port == "0" {
		t.Fatalf("gossip address %q: %v", p.GossipAddr(), err)
	}
	if !p.Healthy() {
		t.Fatalf("health: %+v", p.Health())
	}
}

// BeforeJoin sees the cluster before Start returns, so a grain that peers
// activate during the join can already reach other grains.
func TestStartCallsBeforeJoin(t *testing.T) {
	var got *pcluster.Cluster
	n := MustStart(t, cluster.Config{Name: "n1", BeforeJoin: func(c *pcluster.Cluster) { got = c }})
	if got == nil || got != n.Cluster() {
		t.Fatalf("BeforeJoin got %p, node has %p", got, n.Cluster())
	}
}
