package faults

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stuckTimeout bounds the goroutine dump of a node that did not recover.
const stuckTimeout = 5 * time.Second

// diagnose records why node i gave no 200 after the heal: the process's
// scheduler state (running, stopped, in a system call) and that of each
// of its threads, and a dump of its goroutines from the debug listener.
// It writes them to the logs directory and returns a one-line summary
// for the run's notes.
func (c *cluster) diagnose(ctx context.Context, i int, run string) string {
	pid := c.pid(i)
	if pid == 0 {
		return c.name(i) + ": the process has exited"
	}
	var b bytes.Buffer
	state := procState(pid)
	fmt.Fprintf(&b, "%s pid %d, at %s\nprocess: %s\n", c.name(i), pid, time.Now().UTC().Format(time.RFC3339Nano), state)
	threads := threadStates(pid)
	fmt.Fprintf(&b, "threads by state: %s\n\n", threads)
	dump, err := c.goroutines(ctx, i)
	if err != nil {
		fmt.Fprintf(&b, "goroutine dump: %v\n", err)
	} else {
		b.Write(dump)
	}
	file := filepath.Join(c.logDir, fmt.Sprintf("%s-%s-stuck.txt", run, c.name(i)))
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		file = "not saved: " + err.Error()
	}
	dumped := "goroutines dumped"
	if err != nil {
		dumped = "no goroutine dump (" + err.Error() + ")"
	}
	return fmt.Sprintf("%s not recovered: process %s; threads %s; %s; in %s", c.name(i), state, threads, dumped, file)
}

// procState is the State line of /proc/<pid>/status ("S (sleeping)",
// "T (stopped)"...).
func procState(pid int) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "State:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// threadStates counts the process's threads by their state letter.
func threadStates(pid int) string {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	counts := map[string]int{}
	var order []string
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// The state follows the command name, which is in parentheses.
		end := bytes.LastIndexByte(b, ')')
		if end < 0 || end+2 >= len(b) {
			continue
		}
		st := string(b[end+2])
		if counts[st] == 0 {
			order = append(order, st)
		}
		counts[st]++
	}
	parts := make([]string, len(order))
	for k, st := range order {
		parts[k] = fmt.Sprintf("%s=%d", st, counts[st])
	}
	return strings.Join(parts, " ")
}

// dumpClient has no timeout of its own: goroutines bounds each dump.
var dumpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// goroutines fetches node i's goroutine dump from its debug listener.
func (c *cluster) goroutines(ctx context.Context, i int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, stuckTimeout)
	defer cancel()
	url := "http://" + nodeIP(i) + ":" + debugPort + "/debug/pprof/goroutine?debug=2"
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	res, err := dumpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, res.Status)
	}
	return io.ReadAll(io.LimitReader(res.Body, 64<<20))
}
