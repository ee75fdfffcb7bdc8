package cluster_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/logcount"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

func TestParseGossipKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, cluster.GossipKeyLen)
	for _, s := range []string{base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key) + "\n"} {
		if got, err := cluster.ParseGossipKey(s); err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseGossipKey(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := cluster.ParseGossipKey(s); err == nil || !strings.Contains(err.Error(), "openssl rand") {
			t.Errorf("ParseGossipKey(%q): err = %v, want a refusal saying how to make a key", s, err)
		}
	}
}

// TestMemberlistKeyKeepsStrangersOut: a cluster with a gossip key admits a
// node with the same key and turns away one with another key or none,
// both ways (the stranger does not see the cluster either).
func TestMemberlistKeyKeepsStrangersOut(t *testing.T) {
	skipUnderRace(t)
	key := bytes.Repeat([]byte{1}, cluster.GossipKeyLen)
	other := bytes.Repeat([]byte{2}, cluster.GossipKeyLen)
	a := keyedNode(t, "a1", key, "", nil)
	seed := a.GossipAddr()

	for _, tc := range []struct {
		name string
		key  []byte
	}{{"no key", nil}, {"another key", other}} {
		t.Run(tc.name, func(t *testing.T) {
			joins := new(atomic.Int64)
			p := keyedNode(t, "x-"+strings.ReplaceAll(tc.name, " ", "-"), tc.key, seed, joins)
			// The stranger retries its seed while alone: once it has been
			// turned away three times it has had its chances.
			testwait.Until(t, 10*time.Second, "the stranger's joins turned away", func() bool {
				return joins.Load() >= 3 || len(a.Members()) > 1 || len(p.Members()) > 1
			})
			if n := len(a.Members()); n != 1 {
				t.Errorf("the keyed cluster sees %d members: %+v", n, a.Members())
			}
			if n := len(p.Members()); n != 1 {
				t.Errorf("the stranger sees %d members: %+v", n, p.Members())
			}
		})
	}

	t.Run("same key", func(t *testing.T) {
		p := keyedNode(t, "a2", key, seed, nil)
		testwait.Until(t, 10*time.Second, "a2 joined", func() bool {
			return len(a.Members()) == 2 && len(p.Members()) == 2
		})
	})
}

func TestMemberlistRefusesBadKey(t *testing.T) {
	p := cluster.NewMemberlist(cluster.MemberlistConfig{Name: "n1", SecretKey: []byte("short"), Logger: testLogger(t)})
	n, err := cluster.Start(t.Context(), cluster.Config{Name: "n1", Provider: p, Kinds: nil, Logger: testLogger(t)})
	if err == nil {
		MustStop(t, n)
		t.Fatal("a 5-byte key started")
	}
	if !strings.Contains(err.Error(), "cluster key is 5 bytes") {
		t.Errorf("err = %v", err)
	}
}

// keyedNode starts a node with gossip key (nil: none) joining seed (""
// for none); joins, when set, counts its failed joins.
func keyedNode(t *testing.T, name string, key []byte, seed string, joins *atomic.Int64) *cluster.Memberlist {
	t.Helper()
	logger := testLogger(t)
	if joins != nil {
		logger = logcount.Wrap(logger, logcount.JoinFailed, joins)
	}
	cfg := cluster.MemberlistConfig{Name: name, SecretKey: key, Logger: logger, RejoinInterval: 50 * time.Millisecond}
	if seed != "" {
		cfg.Seeds = []string{seed}
	}
	p := cluster.NewMemberlist(cfg)
	MustStart(t, cluster.Config{Name: name, Provider: p})
	return p
}
