package pgserver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// The operating system side: where the server binaries are, which OS user
// runs them, and the server's processes.

// findBin finds the directory of initdb and pg_ctl.
func findBin() (string, error) {
	if dir := os.Getenv(EnvBin); dir != "" {
		return dir, checkBin(dir)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(p); checkBin(dir) == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range dirs {
		if checkBin(dir) == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in %s, PATH or /usr/lib/postgresql/*/bin", EnvBin)
}

func checkBin(dir string) error {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// versionOf is the major version in /usr/lib/postgresql/<v>/bin.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// postgresAccount is the OS user "postgres", which the Debian packages
// create, for running the server when the test runs as root.
func postgresAccount() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("there is no OS user postgres to run the server as: %v", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// serverProcesses is the postmaster and its live children, postmaster
// first.
func serverProcesses(postmaster int) []int {
	procs := []int{postmaster}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		pid, state, ppid, ok := procStat(p)
		if ok && ppid == postmaster && state != "Z" {
			procs = append(procs, pid)
		}
	}
	return procs
}

// alive reports whether pid runs; a zombie does not: it holds no shared
// memory and no socket.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	_, state, _, ok := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	return !ok || state != "Z"
}

// procStat reads pid, state and ppid from a /proc/<pid>/stat file.
func procStat(path string) (pid int, state string, ppid int, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, "", 0, false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return 0, "", 0, false
	}
	f := strings.Fields(string(b[end+1:]))
	pid, err1 := strconv.Atoi(strings.TrimSpace(string(b[:open])))
	if len(f) < 2 || err1 != nil {
		return 0, "", 0, false
	}
	ppid, err2 := strconv.Atoi(f[1])
	return pid, f[0], ppid, err2 == nil
}

// sweepOrphans kills the servers of test binaries that are gone and
// removes their directories: a binary that panics on -timeout or is killed
// runs no cleanup, and its server would live on (frozen, perhaps) holding
// memory and a port.
func sweepOrphans() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or being created
		}
		owner, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || owner <= 1 || !errors.Is(syscall.Kill(owner, 0), syscall.ESRCH) {
			continue // its test binary still runs (or cannot be told)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 1 && alive(pid) && isPostgres(pid, dir) {
				for _, p := range serverProcesses(pid) {
					_ = syscall.Kill(p, syscall.SIGCONT)
					_ = syscall.Kill(p, syscall.SIGKILL)
				}
			}
		}
		_ = os.RemoveAll(dir)
	}
}

// isPostgres reports whether pid is a postmaster of the data directory
// under dir, so that a reused process ID is never killed.
func isPostgres(pid int, dir string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && bytes.Contains(cmdline, []byte(filepath.Join(dir, "data")))
}
