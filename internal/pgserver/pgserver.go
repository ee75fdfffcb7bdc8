// Package pgserver runs a private PostgreSQL server for a test: initdb in a
// temporary directory and pg_ctl on a free loopback port, so that a test
// can stop, start, freeze or kill its database without touching the
// machine's shared server. The test is skipped when the server binaries are
// missing, except under CI (env CI set), where it fails.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvBin names a directory holding initdb, pg_ctl and postgres; without it
// they are looked up in PATH and then in /usr/lib/postgresql/<newest>/bin.
const EnvBin = "BOXOFFICE_PG_BIN"

// A server's directory is os.TempDir()/pgserver-*; ownerFile in it holds
// the process ID of the test binary that started it.
const (
	dirPrefix = "pgserver-"
	ownerFile = "owner.pid"
)

// Bounds of the server's life cycle steps on a busy machine.
const (
	initTimeout  = 2 * time.Minute
	startTimeout = time.Minute
	stopTimeout  = 30 * time.Second
)

// Server is a private PostgreSQL server. Its methods fail the test that
// started it; the server stops and its directory goes when the test ends.
type Server struct {
	tb      testing.TB
	bin     string
	dir     string // owned by the server's OS user
	data    string
	port    int
	account *syscall.Credential // nil: run as the current user

	mu      sync.Mutex
	frozen  bool
	running bool
}

// Options configures Start. The zero value is a server with fsync off:
// tests that stop and kill the server, not the machine, need no flushes.
type Options struct {
	// Fsync keeps fsync on, for a test whose figures must be those of a
	// durable server.
	Fsync bool
	// Settings are extra postgresql.conf lines ("max_connections = 50").
	Settings []string
	// Listen are addresses the server listens on besides 127.0.0.1 (a
	// bridge address that network namespaces reach it by).
	Listen []string
	// Trust are networks (CIDR) whose TCP connections the server trusts,
	// as it trusts loopback ones.
	Trust []string
}

// Start initializes a cluster in a temporary directory and starts it.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	bin, err := findBin()
	if err != nil {
		skipOrFail(tb, err.Error())
	}
	s := &Server{tb: tb, bin: bin}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		cred, err := postgresAccount()
		if err != nil {
			skipOrFail(tb, "running as root and "+err.Error())
		}
		s.account = cred
	}
	sweepOrphans()
	if s.dir, err = os.MkdirTemp("", dirPrefix); err != nil {
		tb.Fatalf("pgserver: %v", err)
	}
	tb.Cleanup(s.cleanup)
	// Whose server it is, for sweepOrphans after a test binary that died
	// without its cleanups (a -timeout panic, a kill).
	if err := os.WriteFile(filepath.Join(s.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		tb.Fatalf("pgserver: %v", err)
	}
	s.data = filepath.Join(s.dir, "data")
	if s.account != nil {
		if err := os.Chown(s.dir, int(s.account.Uid), int(s.account.Gid)); err != nil {
			tb.Fatalf("pgserver: %v", err)
		}
	}
	s.initdb(opts)
	s.Start()
	return s
}

// URL is a connection URL for the database "postgres" as the superuser
// "postgres"; the server trusts loopback connections.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// URLAt is URL with host in place of 127.0.0.1, for a client that reaches
// the server on one of Options.Listen.
func (s *Server) URLAt(host string) string {
	return fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", net.JoinHostPort(host, strconv.Itoa(s.port)))
}

// Port is the server's TCP port on 127.0.0.1; it stays the same across
// Stop and Start.
func (s *Server) Port() int { return s.port }

func (s *Server) initdb(opts Options) {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	// --no-sync: a test server need not survive a machine crash.
	s.run(ctx, "initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C")
	s.port = freePort(s.tb)
	listen := strings.Join(append([]string{"127.0.0.1"}, opts.Listen...), ",")
	conf := []string{
		"listen_addresses = '" + listen + "'",
		"port = " + strconv.Itoa(s.port),
		"unix_socket_directories = '" + s.dir + "'",
		"max_connections = 100",
		"shared_buffers = 16MB",
		"logging_collector = off",
		"log_min_messages = warning",
	}
	if !opts.Fsync {
		conf = append(conf, "fsync = off", "full_page_writes = off")
	}
	conf = append(conf, opts.Settings...)
	f, err := os.OpenFile(filepath.Join(s.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("\n# pgserver\n" + strings.Join(conf, "\n") + "\n")
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		s.tb.Fatalf("pgserver: write postgresql.conf: %v", err)
	}
	if len(opts.Trust) == 0 {
		return
	}
	var hba strings.Builder
	for _, n := range opts.Trust {
		fmt.Fprintf(&hba, "host all all %s trust\n", n)
	}
	f, err = os.OpenFile(filepath.Join(s.data, "pg_hba.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("# pgserver\n" + hba.String())
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		s.tb.Fatalf("pgserver: write pg_hba.conf: %v", err)
	}
}

// Start starts the stopped (or killed) server and waits until it accepts
// connections.
func (s *Server) Start() {
	s.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	logFile := filepath.Join(s.dir, "server.log")
	s.run(ctx, "pg_ctl", "start", "-D", s.data, "-l", logFile, "-w", "-t", strconv.Itoa(int(startTimeout.Seconds())))
	s.mu.Lock()
	s.running, s.frozen = true, false
	s.mu.Unlock()
}

// Stop shuts the server down the way an operator or a failover does:
// sessions are ended, and connections are refused until Start.
func (s *Server) Stop() {
	s.tb.Helper()
	s.Thaw()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	s.run(ctx, "pg_ctl", "stop", "-D", s.data, "-m", "fast", "-w", "-t", strconv.Itoa(int(stopTimeout.Seconds())))
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

// Kill ends the server and every backend with SIGKILL, as a crash of its
// machine would (without losing what the OS has). Start recovers it.
func (s *Server) Kill() {
	s.tb.Helper()
	s.kill()
	s.mu.Lock()
	s.running, s.frozen = false, false
	s.mu.Unlock()
}

// kill SIGKILLs the postmaster and its children (each backend is a
// session of its own, so there is no process group to signal), waits
// until none runs, and removes the lock file: a killed postmaster may stay
// a zombie when the machine's init does not reap orphans, and PostgreSQL
// would take that for a live server and refuse to start.
func (s *Server) kill() error {
	pid, err := s.postmasterPID()
	if err != nil {
		return err
	}
	procs := serverProcesses(pid)
	for _, p := range procs {
		_ = syscall.Kill(p, syscall.SIGCONT) // a frozen process dies too, but be plain
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	deadline := time.Now().Add(stopTimeout)
	for slices.ContainsFunc(procs, alive) {
		if time.Now().After(deadline) {
			return fmt.Errorf("processes of the killed server %d still alive after %v", pid, stopTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sock := filepath.Join(s.dir, ".s.PGSQL."+strconv.Itoa(s.port))
	for _, lock := range []string{filepath.Join(s.data, "postmaster.pid"), sock + ".lock"} {
		if err := os.Remove(lock); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Freeze stops every process of the server with SIGSTOP: connections are
// still accepted by the kernel, but nothing answers, as with a server that
// hangs or a network that drops packets. Thaw (or Stop, or Kill) resumes
// it.
func (s *Server) Freeze() {
	s.tb.Helper()
	pid, err := s.postmasterPID()
	if err != nil {
		s.tb.Fatalf("pgserver: freeze: %v", err)
	}
	// The postmaster first, so that it starts no backend meanwhile.
	for _, p := range serverProcesses(pid) {
		if err := syscall.Kill(p, syscall.SIGSTOP); err != nil && p == pid {
			s.tb.Fatalf("pgserver: freeze: %v", err)
		}
	}
	s.mu.Lock()
	s.frozen = true
	s.mu.Unlock()
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() {
	s.tb.Helper()
	s.mu.Lock()
	frozen := s.frozen
	s.frozen = false
	s.mu.Unlock()
	if !frozen {
		return
	}
	pid, err := s.postmasterPID()
	if err != nil {
		s.tb.Fatalf("pgserver: thaw: %v", err)
	}
	procs := serverProcesses(pid)
	slices.Reverse(procs) // the postmaster last
	for _, p := range procs {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
}

// Log returns the server's log, for a failure message.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

// postmasterPID reads the first line of postmaster.pid.
func (s *Server) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("server not running: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("bad postmaster.pid %q", line)
	}
	return pid, nil
}

// cleanup kills a running server and removes its directory.
func (s *Server) cleanup() {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if running {
		if err := s.kill(); err != nil {
			s.tb.Errorf("pgserver: %v", err)
		}
	}
	if s.tb.Failed() {
		s.tb.Logf("pgserver: server log:\n%s", tail(s.Log(), 4000))
	}
	_ = os.RemoveAll(s.dir)
}

// run runs a server binary as the server's OS user and fails the test
// with its output if it fails.
func (s *Server) run(ctx context.Context, name string, args ...string) {
	s.tb.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGTZ=UTC")
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "PGDATA=") })
	if s.account != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.account}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		s.tb.Fatalf("pgserver: %s %s: %v\n%s\nserver log:\n%s", name, strings.Join(args, " "), err, out.String(), tail(s.Log(), 4000))
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("pgserver: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("pgserver: %s (CI is set: the private PostgreSQL tests must run)", msg)
	}
	tb.Skipf("pgserver: skipping: %s", msg)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
