package faults

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Ports every node uses on its own address.
const (
	httpPort   = "8080"
	gossipPort = "7946"
	remotePort = "8090"
	debugPort  = "6060"
	// nodeTag is in every node's name, so that processes left by a crashed
	// run are found and killed at the next start.
	nodeTag      = "faults-n"
	readyTimeout = 60 * time.Second
	probeTimeout = 2 * time.Second
)

// Credentials the nodes are started with and the load signs in with.
const (
	adminEmail    = "admin@faults.local"
	adminPassword = "faults-admin-password"
	jwtSecret     = "faults-jwt-secret-0123456789abcdef0123456789"
)

// cluster is the nodes of one nemesis's runs, each in its namespace.
type cluster struct {
	bin        string
	dbURL      string // as the nodes reach PostgreSQL
	prefix     string
	holdTTL    time.Duration
	debugClock bool // the binary has --debug-clock
	logDir     string

	mu    sync.Mutex
	procs []*proc
}

// proc is one node process.
type proc struct {
	i      int
	cmd    *exec.Cmd
	done   chan struct{}
	paused bool
}

func (c *cluster) name(i int) string { return fmt.Sprintf("%s%d", nodeTag, i+1) }

// URL is node i's HTTP address as the harness reaches it.
func (c *cluster) URL(i int) string { return "http://" + nodeIP(i) + ":" + httpPort }

// URLs are every node's.
func (c *cluster) URLs() []string {
	out := make([]string, len(c.procs))
	for i := range out {
		out[i] = c.URL(i)
	}
	return out
}

// start starts node i, joining the nodes in join, and waits until it is
// ready.
func (c *cluster) start(ctx context.Context, i int, join []int, run string) error {
	ip := nodeIP(i)
	args := []string{"netns", "exec", nsName(i), c.bin, "serve", "--node", c.name(i),
		"--http", ip + ":" + httpPort, "--gossip", ip + ":" + gossipPort, "--remote", ip + ":" + remotePort,
		"--debug-addr", ip + ":" + debugPort, "--hold-ttl", c.holdTTL.String(), "--log-level", "warn"}
	if c.debugClock {
		args = append(args, "--debug-clock")
	}
	if len(join) > 0 {
		var addrs []string
		for _, j := range join {
			addrs = append(addrs, nodeIP(j)+":"+gossipPort)
		}
		args = append(args, "--join", strings.Join(addrs, ","))
	}
	logf, err := os.OpenFile(filepath.Join(c.logDir, fmt.Sprintf("%s-%s.log", run, c.name(i))), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("ip", args...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_DATABASE_URL="+c.dbURL, "BOXOFFICE_DATABASE_PREFIX="+c.prefix,
		"BOXOFFICE_JWT_SECRET="+jwtSecret, "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword,
		// One harness address sends the whole load, and buyers hold often.
		"BOXOFFICE_RATE_LIMITS=off", "BOXOFFICE_HOLD_CAPS=off")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	p := &proc{i: i, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	c.mu.Lock()
	for len(c.procs) <= i {
		c.procs = append(c.procs, nil)
	}
	c.procs[i] = p
	c.mu.Unlock()
	return c.waitReady(ctx, i, readyTimeout)
}

func (c *cluster) proc(i int) *proc {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < len(c.procs) {
		return c.procs[i]
	}
	return nil
}

// startAll starts n nodes: the first alone (it creates the databases),
// then the others joining it.
func (c *cluster) startAll(ctx context.Context, n int, run string) error {
	if err := c.start(ctx, 0, nil, run); err != nil {
		return err
	}
	errs := make(chan error, n)
	for i := 1; i < n; i++ {
		go func() { errs <- c.start(ctx, i, []int{0}, run) }()
	}
	for i := 1; i < n; i++ {
		if err := <-errs; err != nil {
			return err
		}
	}
	return nil
}

// restart starts node i again, joining every other node.
func (c *cluster) restart(ctx context.Context, i int, run string) error {
	var join []int
	for j := range c.procs {
		if j != i {
			join = append(join, j)
		}
	}
	return c.start(ctx, i, join, run)
}

// ready reports whether node i's /readyz answers 200 now.
func (c *cluster) ready(ctx context.Context, i int) (status int, err error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout+time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.URL(i)+"/readyz", nil)
	res, err := probeClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

var probeClient = &http.Client{Timeout: probeTimeout + time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func (c *cluster) waitReady(ctx context.Context, i int, timeout time.Duration) error {
	p := c.proc(i)
	deadline := time.Now().Add(timeout)
	for {
		if st, err := c.ready(ctx, i); err == nil && st == http.StatusOK {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited while starting (log in %s)", c.name(i), c.logDir)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", c.name(i), timeout)
		}
	}
}

// signal sends sig to node i unless it has exited.
func (c *cluster) signal(i int, sig syscall.Signal) {
	p := c.proc(i)
	if p == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// kill kills node i with SIGKILL and waits for it.
func (c *cluster) kill(i int) {
	p := c.proc(i)
	if p == nil {
		return
	}
	c.signal(i, syscall.SIGCONT)
	c.signal(i, syscall.SIGKILL)
	<-p.done
}

// pid is node i's process ID, 0 when it has exited.
func (c *cluster) pid(i int) int {
	p := c.proc(i)
	if p == nil {
		return 0
	}
	select {
	case <-p.done:
		return 0
	default:
		return p.cmd.Process.Pid
	}
}

// killAll kills every node.
func (c *cluster) killAll() {
	for i := range c.procs {
		c.kill(i)
	}
}

// killLeftovers kills node processes of a run that crashed before its
// cleanup: any process whose command line names one of our nodes.
func killLeftovers() {
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte("\x00serve\x00")) || !bytes.Contains(b, []byte("\x00"+nodeTag)) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
