//go:build unix

package http_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used, user and system,
// in all its threads: what a benchmark costs, without the time it waited
// for a core on a busy machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
