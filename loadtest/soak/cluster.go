package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
)

// node is one `boxoffice serve` of the soak's cluster.
type node struct {
	name, url string
	ops       string // http://<its ops listener>: /metrics and /debug/pprof/
	proc      *nodeproc.Node
	log       *os.File
}

// startCluster runs n nodes on loopback, all on PostgreSQL databases
// named prefix_*, the first alone and the others joining it, and waits
// until every one is ready.
func startCluster(o options, dir, prefix string, n int) ([]*node, error) {
	var nodes []*node
	var seed string
	for i := range n {
		nd, gossip, err := startNode(o, dir, prefix, fmt.Sprintf("soak-%d", i+1), seed)
		if err != nil {
			stopCluster(nodes)
			return nil, err
		}
		nodes = append(nodes, nd)
		if seed == "" {
			seed = gossip
		}
	}
	return nodes, nil
}

func startNode(o options, dir, prefix, name, join string) (*node, string, error) {
	var addrs [3]string
	for i := range addrs {
		a, err := nodeproc.FreeAddr()
		if err != nil {
			return nil, "", err
		}
		addrs[i] = a
	}
	remote, gossip, ops := addrs[0], addrs[1], addrs[2]
	args := []string{"--node", name, "--remote", remote, "--gossip", gossip, "--ops-addr", ops, "--ops-pprof",
		"--log-level", "warn", "--database-url", o.databaseURL, "--database-prefix", prefix,
		"--db-max-conns", o.dbMaxConns, "--idle-timeout", o.idleTimeout.String(), "--retention", o.retention}
	if o.cardCharges > 0 {
		args = append(args, "--card-charges-max", fmt.Sprint(o.cardCharges))
	}
	if join != "" {
		args = append(args, "--join", join)
	}
	logs, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, "", err
	}
	p, err := nodeproc.Start(nodeproc.Options{Binary: o.bin, Args: args, Output: logs,
		// Rate limits off: the whole load comes from one address.
		Env: []string{"BOXOFFICE_ADMIN_EMAIL=" + adminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + adminPassword,
			"BOXOFFICE_RATE_LIMITS=off", "BOXOFFICE_JWT_SECRET=" + jwtSecret}})
	if err != nil {
		logs.Close()
		return nil, "", err
	}
	nd := &node{name: name, url: p.URL, ops: "http://" + ops, proc: p, log: logs}
	if err := p.WaitReady(readyWait); err != nil {
		stopCluster([]*node{nd})
		b, _ := os.ReadFile(logs.Name())
		return nil, "", fmt.Errorf("%s: %w:\n%s", name, err, tail(string(b), 3000))
	}
	return nd, gossip, nil
}

// stopCluster stops the nodes with SIGTERM, SIGKILL after 15 s.
func stopCluster(nodes []*node) {
	for _, n := range nodes {
		if n.proc.Stop(15*time.Second) != nil {
			n.proc.Kill()
		}
		n.log.Close()
	}
}

// exited names the nodes whose process has ended.
func exited(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		select {
		case <-n.proc.Done():
			out = append(out, n.name)
		default:
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
