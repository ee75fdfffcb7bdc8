package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/certtest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestRemoteTLSKeepsStrangersOut: nodes with certificates of the cluster CA
// call each other's grains; a node with a certificate of another CA, or
// with no TLS at all, can neither call a member's grain nor be called,
// even once gossip (here without a key) has let it into the topology.
func TestRemoteTLSKeepsStrangersOut(t *testing.T) {
	skipUnderRace(t)
	ca, rogue := certtest.NewCA(t, "cluster-ca"), certtest.NewCA(t, "rogue-ca")
	a := tlsNode(t, "a", &cluster.RemoteTLS{Certificate: ca.TLSCert(t, "a"), CAs: ca.Pool()}, "")
	seed := a.provider.GossipAddr()
	b := tlsNode(t, "b", &cluster.RemoteTLS{Certificate: ca.TLSCert(t, "b"), CAs: ca.Pool()}, seed)
	testwait.Until(t, 10*time.Second, "a and b joined", topologySize(a, b))

	t.Run("members of the CA", func(t *testing.T) {
		for _, pair := range [][2]*member{{a, b}, {b, a}} {
			id := ownedBy(t, pair[0], pair[1])
			if got, err := echo(t, pair[0], id); err != nil || got != pair[1].name+":"+id+":x" {
				t.Errorf("%s calling %s's grain %s: %q, %v", pair[0].name, pair[1].name, id, got, err)
			}
		}
	})

	for _, tc := range []struct {
		name string
		tls  *cluster.RemoteTLS
	}{
		{"another CA", &cluster.RemoteTLS{Certificate: rogue.TLSCert(t, "x"), CAs: rogue.Pool()}},
		{"a CA certificate it does not trust", &cluster.RemoteTLS{Certificate: rogue.TLSCert(t, "y"), CAs: ca.Pool()}},
		{"no TLS", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tlsNode(t, "stranger", tc.tls, seed)
			testwait.Until(t, 10*time.Second, "the stranger in the topology", topologySize(a, b, x))
			for _, pair := range [][2]*member{{x, a}, {a, x}} {
				id := ownedBy(t, pair[0], pair[1])
				if got, err := shortEcho(pair[0], id); err == nil {
					t.Errorf("%s called %s's grain %s: %q", pair[0].name, pair[1].name, id, got)
				}
			}
			MustStop(t, x.node)
			testwait.Until(t, 10*time.Second, "the stranger gone", topologySize(a, b))
		})
	}
}

// tlsNode starts a node with remote TLS (nil: none) joining seed ("": the
// first node).
func tlsNode(t *testing.T, name string, tls *cluster.RemoteTLS, seed string) *member {
	t.Helper()
	cfg := cluster.MemberlistConfig{Name: name, Logger: testLogger(t)}
	if seed != "" {
		cfg.Seeds = []string{seed}
	}
	p := cluster.NewMemberlist(cfg)
	n := MustStart(t, cluster.Config{Name: name, Provider: p, RemoteTLS: tls})
	return &member{name: name, node: n, provider: p}
}

// ownedBy is an echo identity that, in from's view, owner activates.
func ownedBy(t testing.TB, from, owner *member) string {
	t.Helper()
	for i := range 1000 {
		id := fmt.Sprintf("show-%d", i)
		if cluster.OwnerOf(from.node, id, echoKind) == owner.node.Address() {
			return id
		}
	}
	t.Fatalf("%s owns none of 1000 identities in %s's view", owner.name, from.name)
	return ""
}

// shortEcho is echo bounded by two seconds: a call that cannot get through
// fails then.
func shortEcho(m *member, identity string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := cluster.Request(ctx, m.node.Cluster(), identity, echoKind, wrapperspb.String("x"))
	if err != nil {
		return "", err
	}
	return res.(*wrapperspb.StringValue).Value, nil
}

func TestLoadRemoteTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, ca := certtest.NewCA(t, "cluster-ca").WriteFiles(t, dir, "n1")
	if _, err := cluster.LoadRemoteTLS(cert, key, ca); err != nil {
		t.Fatal(err)
	}
	for _, files := range [][3]string{{cert, key, ""}, {cert, "", ca}, {cert, ca, ca}, {cert, key, key}, {cert, key, dir + "/missing"}} {
		if _, err := cluster.LoadRemoteTLS(files[0], files[1], files[2]); err == nil {
			t.Errorf("LoadRemoteTLS%q: no error", files)
		}
	}
}

// BenchmarkRemoteTLS is the cost of mutual TLS on a cross-node grain call:
// two nodes in this process, every call from a to an echo grain on b.
//
//	go test -run '^$' -bench RemoteTLS -benchtime 5000x ./cluster/
func BenchmarkRemoteTLS(b *testing.B) {
	ca := certtest.NewCA(b, "cluster-ca")
	for _, tc := range []struct {
		name string
		tls  func(string) *cluster.RemoteTLS
	}{
		{"plain", func(string) *cluster.RemoteTLS { return nil }},
		{"mtls", func(n string) *cluster.RemoteTLS {
			return &cluster.RemoteTLS{Certificate: ca.TLSCert(b, n), CAs: ca.Pool()}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			pa := cluster.NewMemberlist(cluster.MemberlistConfig{Name: "a", Logger: testLogger(b)})
			a := &member{name: "a", node: MustStart(b, cluster.Config{Name: "a", Provider: pa, RemoteTLS: tc.tls("a")}), provider: pa}
			pb := cluster.NewMemberlist(cluster.MemberlistConfig{Name: "b", Seeds: []string{pa.GossipAddr()}, Logger: testLogger(b)})
			bm := &member{name: "b", node: MustStart(b, cluster.Config{Name: "b", Provider: pb, RemoteTLS: tc.tls("b")}), provider: pb}
			testwait.Until(b, 10*time.Second, "a and b joined", topologySize(a, bm))
			id := ownedBy(b, a, bm)
			for b.Loop() {
				if _, err := echo(b, a, id); err != nil {
					b.Fatal(err)
				}
			}
			MustStop(b, bm.node)
			MustStop(b, a.node)
		})
	}
}
