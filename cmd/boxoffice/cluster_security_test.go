package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/certtest"
	"github.com/boxoffice/boxoffice/internal/logcount"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// The cluster key comes from the environment or a file only, and a bad
// one stops the start; the TLS files go together.
func TestClusterSecurityConfig(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "cluster.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.key")
	if err := os.WriteFile(short, []byte(base64.StdEncoding.EncodeToString([]byte("sixteen bytes..."))), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		err  string // substring; "" means valid
	}{
		{"NoKey", nil, nil, ""},
		{"KeyFromEnv", nil, map[string]string{clusterKeyEnv: key}, ""},
		{"KeyFromFile", nil, map[string]string{clusterKeyFileEnv: keyFile}, ""},
		{"KeyNotAFlag", []string{"--cluster-key", key}, nil, "flag provided but not defined"},
		{"KeyNotBase64", nil, map[string]string{clusterKeyEnv: "not a key!"}, "BOXOFFICE_CLUSTER_KEY: cluster key is not base64"},
		{"KeyTooShort", nil, map[string]string{clusterKeyFileEnv: short}, "cluster key is 16 bytes, want 32"},
		{"KeyFileMissing", nil, map[string]string{clusterKeyFileEnv: filepath.Join(dir, "missing")}, "BOXOFFICE_CLUSTER_KEY_FILE"},
		{"KeyTwice", nil, map[string]string{clusterKeyEnv: key, clusterKeyFileEnv: keyFile}, "both BOXOFFICE_CLUSTER_KEY and BOXOFFICE_CLUSTER_KEY_FILE are set"},
		{"TLSFlags", []string{"--cluster-tls-cert", "c", "--cluster-tls-key", "k", "--cluster-tls-ca", "ca"}, nil, ""},
		{"TLSFromEnv", nil, map[string]string{"BOXOFFICE_CLUSTER_TLS_CERT": "c", "BOXOFFICE_CLUSTER_TLS_KEY": "k", "BOXOFFICE_CLUSTER_TLS_CA": "ca"}, ""},
		{"TLSHalf", []string{"--cluster-tls-cert", "c", "--cluster-tls-key", "k"}, nil, "set all three or none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if err == nil && strings.Contains(cfg.String(), key) {
				t.Errorf("the config log shows the key: %s", cfg)
			}
		})
	}
}

// secureNode is what a node of the locked-down test cluster has: the
// gossip key and the remote port's certificate files, either unset.
type secureNode struct {
	key              []byte
	cert, tlsKey, ca string
	joinFailures     *atomic.Int64
	demo             bool
	join             []string
}

func mustStartSecure(t *testing.T, name string, pg postgres.Config, s secureNode) *Main {
	t.Helper()
	url := pg.BaseURL + "&pool_max_conns=4"
	if !strings.Contains(pg.BaseURL, "?") {
		url = pg.BaseURL + "?pool_max_conns=4"
	}
	cfg := Config{
		HTTPAddr: "127.0.0.1:0", DatabaseURL: url, DatabasePrefix: pg.Prefix, JWTSecret: inprocSecret,
		HoldTTL: time.Minute, IdleTimeout: 10 * time.Minute, Demo: s.demo, Node: name,
		GossipAddr: "127.0.0.1:0", RemoteAddr: "127.0.0.1:0", Join: s.join, HoldCapsMode: "on",
		ClusterKey: s.key, ClusterTLSCert: s.cert, ClusterTLSKey: s.tlsKey, ClusterTLSCA: s.ca,
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := inprocLogger()
	if s.joinFailures != nil {
		logger = logcount.Wrap(logger, logcount.JoinFailed, s.joinFailures)
	}
	m := &Main{Logger: logger, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		_ = m.Close(ctx)
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return m
}

// A cluster started with a gossip key and remote TLS serves across its
// nodes; a node without the key cannot join it, and a node with the key
// but without a certificate of the cluster CA joins the gossip but can
// neither read a member's seat map nor serve one to a member.
func TestClusterTransportLockedDown(t *testing.T) {
	pg := pgtest.MustTestConfig(t)
	key := bytes.Repeat([]byte{5}, 32)
	ca, rogue := certtest.NewCA(t, "cluster-ca"), certtest.NewCA(t, "rogue-ca")
	dir := t.TempDir()
	member := func(name string, ca *certtest.CA, join ...string) secureNode {
		cert, tlsKey, caFile := ca.WriteFiles(t, dir, name)
		return secureNode{key: key, cert: cert, tlsKey: tlsKey, ca: caFile, join: join}
	}
	s1 := member("n1", ca)
	s1.demo = true
	m1 := mustStartSecure(t, "n1", pg, s1)
	seed := m1.Gossip.GossipAddr()
	m2 := mustStartSecure(t, "n2", pg, member("n2", ca, seed))
	testwait.Until(t, 10*time.Second, "n1 and n2 joined", joined(m1, m2))
	showtimes := futureShowtimes(t, m1)
	on1 := ownedBy(t, m1, showtimes)
	if code, _ := call(t, m2, "GET", "/api/v1/showtimes/"+on1+"/seats", "", nil, nil); code != 200 {
		t.Fatalf("n1's seat map through n2: %d", code)
	}

	t.Run("a node without the key does not join", func(t *testing.T) {
		s := member("n3", ca, seed)
		s.key, s.joinFailures = nil, new(atomic.Int64)
		m3 := mustStartSecure(t, "n3", pg, s)
		// The start tries the seed once before it returns.
		if n := s.joinFailures.Load(); n == 0 {
			t.Errorf("n3's join was not turned away")
		}
		if n := len(m1.Gossip.Members()); n != 2 {
			t.Errorf("n1 sees %d members: %+v", n, m1.Gossip.Members())
		}
		if n := len(m3.Gossip.Members()); n != 1 {
			t.Errorf("n3 sees %d members: %+v", n, m3.Gossip.Members())
		}
	})

	t.Run("a node with another CA cannot reach grains", func(t *testing.T) {
		m4 := mustStartSecure(t, "n4", pg, member("n4", rogue, seed))
		testwait.Until(t, 10*time.Second, "n4 in the gossip", joined(m1, m2, m4))
		on4 := ownedBy(t, m4, showtimes)
		for _, c := range []struct {
			from *Main
			st   string
		}{{m4, ownedBy(t, m1, showtimes)}, {m1, on4}} {
			if code, _ := call(t, c.from, "GET", "/api/v1/showtimes/"+c.st+"/seats", "", nil, nil); code == 200 {
				t.Errorf("%s read the seat map of %s across the rogue link", c.from.Config.Node, c.st)
			}
		}
	})
}

// A clustered node without a key or TLS says so at start; a node on the
// embedded store, with no gossip, has nothing to say.
func TestWarnOpenCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"SQLite", Config{}, nil},
		{"PostgresOpen", Config{DatabaseURL: "postgres://db/x"}, []string{"gossip is neither encrypted", "remote port is plain text"}},
		{"PostgresLocked", Config{DatabaseURL: "postgres://db/x", ClusterKey: make([]byte, 32), ClusterTLSCert: "c"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.cfg.warnOpenCluster(slog.New(slog.NewTextHandler(&buf, nil)))
			if n := strings.Count(buf.String(), "level=WARN"); n != len(tc.want) {
				t.Errorf("%d warnings, want %d: %s", n, len(tc.want), buf.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("no %q in %s", w, buf.String())
				}
			}
		})
	}
}
