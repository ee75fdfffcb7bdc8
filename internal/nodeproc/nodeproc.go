// Package nodeproc builds the boxoffice command and runs `boxoffice serve`
// as a real process on loopback: for the tests that crash, pause or stop a
// node, and for the load-test bench.
package nodeproc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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

// Build compiles the boxoffice command (pkg as `go build` takes it: a
// directory or an import path) into a temporary directory. cleanup removes
// that directory.
func Build(pkg string) (binary string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "boxoffice-bin")
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, "boxoffice")
	if out, err := exec.Command("go", "build", "-o", binary, pkg).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build boxoffice: %w\n%s", err, out)
	}
	return binary, func() { os.RemoveAll(dir) }, nil
}

// TestMain is a test binary's TestMain for tests that run the command as a
// process: it builds pkg into *binary, runs the tests, removes the build and
// exits with their code.
func TestMain(m *testing.M, pkg string, binary *string) {
	bin, cleanup, err := Build(pkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary = bin
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// FreeAddr returns a loopback TCP address that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// FreeAddrs returns n distinct free loopback addresses: each is held until
// all are chosen, so that the kernel cannot hand one port out twice (as
// FreeAddr called n times may).
func FreeAddrs(n int) ([]string, error) {
	out := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// freeAddrsBut is FreeAddrs(n) without the addresses among args: the
// caller chose those with FreeAddr and released them, so the kernel may
// hand them out again (a node once got its ops port equal to its --remote).
func freeAddrsBut(n int, args []string) ([]string, error) {
	taken := map[string]bool{}
	for _, a := range args {
		taken[a] = true
	}
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	var out []string
	for len(out) < n {
		if len(held) > n+len(args)+16 {
			return nil, errors.New("nodeproc: no free loopback port apart from the arguments'")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l) // held, so that the next Listen gets another port
		if a := l.Addr().String(); !taken[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

// Options says how to start a node.
type Options struct {
	Binary string
	// Args follow `serve --http <a free loopback address> --ops-addr
	// <another>` (an --ops-addr among them wins).
	Args []string
	// Env is added to this process's environment.
	Env []string
	// Output receives the node's stdout and stderr; nil keeps them in
	// memory for Node.Output.
	Output io.Writer
}

// Node is one `boxoffice serve` process.
type Node struct {
	URL string // http://<its HTTP address>
	// OpsURL is http://<the ops listener's address> as Start chose it
	// (/metrics); Args may have moved or switched it off.
	OpsURL string
	Cmd    *exec.Cmd
	out    *lockedBuffer // nil when Options.Output was given
	done   chan struct{}
}

// Start starts a node on a free HTTP address, with its ops listener on
// another (several nodes on one machine must not share the default); it
// does not wait for it to be ready (WaitReady).
func Start(o Options) (*Node, error) {
	addrs, err := freeAddrsBut(2, o.Args)
	if err != nil {
		return nil, err
	}
	addr, ops := addrs[0], addrs[1]
	cmd := exec.Command(o.Binary, append([]string{"serve", "--http", addr, "--ops-addr", ops}, o.Args...)...)
	cmd.Env = append(os.Environ(), o.Env...)
	n := &Node{URL: "http://" + addr, OpsURL: "http://" + ops, Cmd: cmd, done: make(chan struct{})}
	out := o.Output
	if out == nil {
		n.out = &lockedBuffer{}
		out = n.out
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(n.done) }()
	return n, nil
}

// Done is closed once the process has exited.
func (n *Node) Done() <-chan struct{} { return n.done }

// Output is what the node has printed so far (empty when Options.Output
// took it).
func (n *Node) Output() string {
	if n.out == nil {
		return ""
	}
	return n.out.String()
}

// ErrExited: the node exited while it was waited for.
var ErrExited = errors.New("boxoffice exited")

// WaitReady waits until GET /readyz answers 200, the node exits
// (ErrExited) or timeout passes.
func (n *Node) WaitReady(timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-n.done:
			return ErrExited
		default:
		}
		if res, err := hc.Get(n.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("boxoffice not ready after %s", timeout)
}

// Signal sends sig unless the process has exited.
func (n *Node) Signal(sig os.Signal) {
	select {
	case <-n.done:
	default:
		_ = n.Cmd.Process.Signal(sig)
	}
}

// Kill stops the process with SIGKILL, like a crash, and waits for it.
func (n *Node) Kill() {
	n.Signal(syscall.SIGKILL)
	<-n.done
}

// Stop sends SIGTERM and waits up to timeout for a clean exit (code 0).
func (n *Node) Stop(timeout time.Duration) error {
	n.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		if code := n.Cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("exit code %d", code)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("no exit %s after SIGTERM", timeout)
	}
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
