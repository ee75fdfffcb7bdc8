package faults

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcStateSeesAStoppedProcess: the diagnosis of a node that did not
// recover tells a stopped process from a running one.
func TestProcStateSeesAStoppedProcess(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	require.Eventually(t, func() bool { return strings.HasPrefix(procState(pid), "S") }, 5*time.Second, 10*time.Millisecond, procState(pid))

	require.NoError(t, cmd.Process.Signal(syscall.SIGSTOP))
	require.Eventually(t, func() bool { return strings.HasPrefix(procState(pid), "T") }, 5*time.Second, 10*time.Millisecond, procState(pid))
	require.Equal(t, "T=1", threadStates(pid))

	require.NoError(t, cmd.Process.Signal(syscall.SIGCONT))
	require.Eventually(t, func() bool { return strings.HasPrefix(procState(pid), "S") }, 5*time.Second, 10*time.Millisecond, procState(pid))
}
