package cluster

import (
	"testing"
	"time"
)

// The pause watch fences a node whose process stood still longer than the
// limit, from the first check after the pause, for the probation, and says
// so once per pause. Ticks are simulated by moving the beat.
func TestPauseWatch(t *testing.T) {
	var reported []time.Duration
	w := newPauseWatch(50*time.Millisecond, 200*time.Millisecond, func(d time.Duration) { reported = append(reported, d) })
	t0 := w.base.Add(time.Second)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tick := func(d time.Duration) { w.beat.Store(w.since(at(d))) }

	if fenced, _ := w.fenced(at(time.Hour)); fenced {
		t.Fatal("fenced before the watch ran")
	}
	tick(0)
	if fenced, _ := w.fenced(at(40 * time.Millisecond)); fenced {
		t.Fatal("fenced within the limit")
	}
	fenced, gap := w.fenced(at(120 * time.Millisecond))
	if !fenced || gap != 120*time.Millisecond {
		t.Fatalf("after a 120ms stall: fenced %v, gap %v", fenced, gap)
	}
	tick(280 * time.Millisecond)
	if fenced, _ := w.fenced(at(300 * time.Millisecond)); !fenced {
		t.Fatal("not fenced during the probation")
	}
	tick(310 * time.Millisecond)
	if fenced, _ := w.fenced(at(330 * time.Millisecond)); fenced {
		t.Fatal("still fenced after the probation")
	}
	if len(reported) != 1 || reported[0] != 120*time.Millisecond {
		t.Fatalf("reported %v, want one 120ms pause", reported)
	}
}
