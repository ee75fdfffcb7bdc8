// Package testwait waits in tests for a condition that other goroutines or
// processes bring about.
package testwait

import (
	"testing"
	"time"
)

// poll is how often Until checks its condition.
const poll = 5 * time.Millisecond

// Until polls cond until it holds, failing tb if d passes first, and
// returns how long it took.
func Until(tb testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			tb.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(poll)
	}
	return time.Since(start)
}
