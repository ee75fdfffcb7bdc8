package loadtest_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the boxoffice binary, built once for the tests that start a
// real node.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadtest-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "boxoffice")
	out, err := exec.Command("go", "build", "-o", binary, "../cmd/boxoffice").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build boxoffice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "admin-password-1"
)

// node is a `boxoffice serve` process on the embedded store.
type node struct {
	URL     string
	DataDir string
	cmd     *exec.Cmd
	logs    *lockedBuffer
	done    chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// MustStartNode runs `boxoffice serve` on free loopback ports with the
// given extra flags and waits until /readyz answers 200; the node is
// killed when the test ends.
func MustStartNode(tb testing.TB, flags ...string) *node {
	tb.Helper()
	httpAddr, dir := freeAddr(tb), tb.TempDir()
	args := append([]string{"serve", "--http", httpAddr, "--remote", freeAddr(tb), "--gossip", freeAddr(tb),
		"--data", dir, "--log-level", "warn"}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword)
	n := &node{URL: "http://" + httpAddr, DataDir: dir, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { cmd.Wait(); close(n.done) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-n.done
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-n.done:
			tb.Fatalf("boxoffice exited during start:\n%s", n.logs)
		default:
		}
		if res, err := http.Get(n.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return n
			}
		}
	}
	tb.Fatalf("boxoffice not ready after 30s:\n%s", n.logs)
	return nil
}
