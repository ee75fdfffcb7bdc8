package main

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// series makes n points over runS seconds: f(t) plus uniform noise of
// the given amplitude.
func series(n int, runS, noise float64, seed uint64, f func(t float64) float64) []point {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]point, n)
	for i := range pts {
		t := runS * float64(i) / float64(n-1)
		pts[i] = point{T: t, V: f(t) + noise*(2*rng.Float64()-1)}
	}
	return pts
}

func TestJudge(t *testing.T) {
	const runS, n = 1800.0, 180 // 30 minutes, a sample every 10 s
	tol := tolerance{Rel: 0.25, Abs: 10}
	cases := []struct {
		name string
		pts  []point
		ok   bool
	}{
		{"flat", series(n, runS, 0, 1, func(float64) float64 { return 100 }), true},
		{"flat with noise of 30 %", series(n, runS, 30, 2, func(float64) float64 { return 100 }), true},
		// Rises through the first half, then holds: a warm-up, a cache
		// filling up, a store reaching its retention.
		{"plateau after a rise", series(n, runS, 5, 3, func(t float64) float64 { return 100 * math.Min(1, t/600) }), true},
		{"saw tooth (garbage collection)", series(n, runS, 0, 4, func(t float64) float64 { return 100 + 40*math.Mod(t, 120)/120 }), true},
		{"falling", series(n, runS, 5, 5, func(t float64) float64 { return 200 - t/20 }), true},
		// 100 -> 160 over the run: 60 %, beyond 25 %.
		{"linear growth", series(n, runS, 0, 6, func(t float64) float64 { return 100 + t/30 }), false},
		{"linear growth under noise", series(n, runS, 30, 7, func(t float64) float64 { return 100 + t/30 }), false},
		// Flat, then growing in the second half only: the leak began late.
		{"growth in the second half only", series(n, runS, 2, 8, func(t float64) float64 { return 100 + math.Max(0, t-900)/10 }), false},
		// A small series growing by more than the absolute floor.
		{"small count growing", series(n, runS, 0, 9, func(t float64) float64 { return 2 + t/120 }), false},
		{"small count steady", series(n, runS, 1, 10, func(float64) float64 { return 3 }), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judge("s", "n", c.pts, runS, tol)
			if !v.Judged {
				t.Fatalf("not judged: %s", v.Note)
			}
			if v.OK != c.ok {
				t.Fatalf("ok = %v, want %v (level %.3g, growth %.3g over the run, allowed %.3g)", v.OK, c.ok, v.Level, v.Growth, v.Allowed)
			}
		})
	}
}

func TestJudgeSlopeAndLevel(t *testing.T) {
	pts := series(100, 1000, 0, 1, func(t float64) float64 { return 50 + 0.01*t })
	v := judge("s", "n", pts, 1000, tolerance{Rel: 1, Abs: 1})
	if math.Abs(v.Slope-36) > 1e-6 || math.Abs(v.Growth-10) > 1e-6 {
		t.Fatalf("slope %v /h growth %v, want 36 /h and 10", v.Slope, v.Growth)
	}
	if math.Abs(v.Level-57.5) > 0.1 {
		t.Fatalf("level %v, want the second half's mean 57.5", v.Level)
	}
}

func TestJudgeLeavesOut(t *testing.T) {
	t.Run("too few points", func(t *testing.T) {
		v := judge("s", "n", series(6, 100, 0, 1, func(t float64) float64 { return t }), 100, tolerance{Rel: 0.1})
		if v.Judged || !v.OK {
			t.Fatalf("judged %v ok %v on %d points", v.Judged, v.OK, v.Points)
		}
	})
	t.Run("skipped series", func(t *testing.T) {
		v := judge("s", "n", series(50, 100, 0, 1, func(t float64) float64 { return t }), 100, tolerance{Skip: true})
		if v.Judged || !v.OK || v.Growth == 0 {
			t.Fatalf("judged %v ok %v growth %v", v.Judged, v.OK, v.Growth)
		}
	})
	t.Run("NaN points", func(t *testing.T) {
		pts := series(50, 100, 0, 1, func(float64) float64 { return 10 })
		pts[40].V = math.NaN()
		if v := judge("s", "n", pts, 100, tolerance{Rel: 0.1}); !v.OK || v.Points != 24 {
			t.Fatalf("ok %v on %d points", v.OK, v.Points)
		}
	})
}

func TestJudgeAllPerNode(t *testing.T) {
	var samples []sample
	for i := range 60 {
		t := float64(i * 10)
		samples = append(samples,
			sample{T: t, Node: "a", Values: map[string]float64{seriesGoroutines: 100}},
			sample{T: t, Node: "b", Values: map[string]float64{seriesGoroutines: 100 + t}})
	}
	vs := judgeAll(samples, 590)
	if len(vs) != 2 || !vs[0].OK || vs[1].OK || vs[1].Node != "b" {
		t.Fatalf("verdicts %+v", vs)
	}
}

func TestQuantile(t *testing.T) {
	h := &histogram{bounds: []float64{0.001, 0.01, 0.1, math.Inf(1)}, counts: []float64{50, 90, 100, 100}}
	if q := h.quantile(0.5); q != 0.001 {
		t.Fatalf("p50 = %v", q)
	}
	if q := h.quantile(0.7); math.Abs(q-0.0055) > 1e-9 {
		t.Fatalf("p70 = %v, want 0.0055 (half way through the second bucket)", q)
	}
	if q := h.quantile(0.99); math.Abs(q-0.091) > 1e-9 {
		t.Fatalf("p99 = %v", q)
	}
	empty := &histogram{bounds: []float64{0.1, math.Inf(1)}, counts: []float64{0, 0}}
	if !math.IsNaN(empty.quantile(0.5)) {
		t.Fatal("no requests: want NaN")
	}
	over := &histogram{bounds: []float64{0.1, math.Inf(1)}, counts: []float64{0, 10}}
	if q := over.quantile(0.5); q != 0.1 {
		t.Fatalf("in the +Inf bucket: %v, want the last bound", q)
	}
}

func TestUpdateMarkdownKeepsOtherSections(t *testing.T) {
	path := t.TempDir() + "/FAULTS.md"
	faults := "<!-- faults:begin -->\nfaults table\n<!-- faults:end -->\n"
	if err := os.WriteFile(path, []byte("# Faults\n\n"+markBegin+"\nold\n"+markEnd+"\n\n"+faults), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateMarkdown(path, "new soak\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# Faults\n\n" + markBegin + "\nnew soak\n" + markEnd + "\n\n" + faults
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}
