package faults

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// The network: a bridge in the root namespace and one namespace per node,
// joined to it by a veth pair. The harness speaks to the nodes from
// harnessIP; PostgreSQL listens on pgIP, a second address of the bridge,
// so that a node can lose the database without losing the harness. Faults
// are blackhole routes inside a node's namespace: the node's packets to one
// address are dropped (iproute2 only, no packet filter needed).
const (
	bridgeName = "bofa0"
	nsPrefix   = "bofa-n"
	vethPrefix = "bofa-v"
	subnet     = "10.77.0"
	harnessIP  = subnet + ".1"
	pgIP       = subnet + ".2"
	ipTimeout  = 10 * time.Second
)

func nodeIP(i int) string { return fmt.Sprintf("%s.%d", subnet, 11+i) }
func nsName(i int) string { return fmt.Sprintf("%s%d", nsPrefix, i+1) }

// ip runs the ip command.
func ip(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// network is the bridge and the namespaces of n nodes.
type network struct{ n int }

// setupNetwork removes what a crashed run left and builds the network.
func setupNetwork(ctx context.Context, n int) (*network, error) {
	removeNetwork(ctx)
	steps := [][]string{
		{"link", "add", bridgeName, "type", "bridge"},
		{"addr", "add", harnessIP + "/24", "dev", bridgeName},
		{"addr", "add", pgIP + "/24", "dev", bridgeName},
		{"link", "set", bridgeName, "up"},
	}
	for i := range n {
		ns, veth := nsName(i), fmt.Sprintf("%s%d", vethPrefix, i+1)
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns},
			[]string{"link", "set", veth, "master", bridgeName},
			[]string{"link", "set", veth, "up"},
			[]string{"-n", ns, "addr", "add", nodeIP(i) + "/24", "dev", "eth0"},
			[]string{"-n", ns, "link", "set", "eth0", "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
		)
	}
	for _, s := range steps {
		if err := ip(ctx, s...); err != nil {
			removeNetwork(ctx)
			return nil, err
		}
	}
	return &network{n: n}, nil
}

// removeNetwork deletes every namespace and link of ours, this run's or a
// crashed one's. Errors are ignored: what is not there is removed already.
func removeNetwork(ctx context.Context) {
	if out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], nsPrefix) {
				_ = ip(ctx, "netns", "del", f[0])
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "ip", "-o", "link", "show").Output(); err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if name == bridgeName || strings.HasPrefix(name, vethPrefix) {
				_ = ip(ctx, "link", "del", name)
			}
		}
	}
}

// drop makes node i drop its packets to addr.
func (nw *network) drop(ctx context.Context, i int, addr string) error {
	return ip(ctx, "-n", nsName(i), "route", "replace", "blackhole", addr+"/32")
}

// heal removes every drop.
func (nw *network) heal(ctx context.Context) error {
	var first error
	for i := range nw.n {
		if err := ip(ctx, "-n", nsName(i), "route", "flush", "type", "blackhole"); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// cutBoth separates node i from node j in both directions.
func (nw *network) cutBoth(ctx context.Context, i, j int) error {
	if err := nw.drop(ctx, i, nodeIP(j)); err != nil {
		return err
	}
	return nw.drop(ctx, j, nodeIP(i))
}
