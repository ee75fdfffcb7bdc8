package loadtest_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
)

// binary is the boxoffice binary, built once for the tests that start a
// real node.
var binary string

func TestMain(m *testing.M) { nodeproc.TestMain(m, "../cmd/boxoffice", &binary) }

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin-password-1"
)

// node is a `boxoffice serve` process on the embedded store.
type node struct {
	*nodeproc.Node
	DataDir string
}

// MustStartNode runs `boxoffice serve` on free loopback ports with the
// given extra flags and waits until /readyz answers 200; the node is
// killed when the test ends. Its hold caps are off, as a benchmark's are
// (hold-release holds again the seat it has just released); the flag
// --hold-caps on switches them on.
func MustStartNode(tb testing.TB, flags ...string) *node {
	tb.Helper()
	dir := tb.TempDir()
	addr := func() string {
		a, err := nodeproc.FreeAddr()
		if err != nil {
			tb.Fatal(err)
		}
		return a
	}
	n, err := nodeproc.Start(nodeproc.Options{
		Binary: binary,
		Args:   append([]string{"--remote", addr(), "--gossip", addr(), "--data", dir, "--log-level", "warn"}, flags...),
		Env: []string{"BOXOFFICE_ADMIN_EMAIL=" + adminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + adminPassword,
			"BOXOFFICE_RATE_LIMITS=off", "BOXOFFICE_HOLD_CAPS=off"}, // the load comes from one address, far faster than one client may; hold-release re-holds
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(n.Kill)
	if err := n.WaitReady(30 * time.Second); err != nil {
		tb.Fatalf("%v:\n%s", err, n.Output())
	}
	return &node{Node: n, DataDir: dir}
}
