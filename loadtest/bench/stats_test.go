package main

import (
	"math"
	"testing"
)

func TestSpreadOf(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		in   []float64
		want spread
	}{
		{[]float64{3, 1, 2}, spread{2, 1, 3, 3}},
		{[]float64{4, 1, 3, 2}, spread{2.5, 1, 4, 4}},
		{[]float64{5}, spread{5, 5, 5, 1}},
		{[]float64{nan, 7, 1, nan}, spread{4, 1, 7, 2}},
		{[]float64{math.Inf(1), 2, 4, 3}, spread{3, 2, 4, 3}},
	} {
		if got := spreadOf(tc.in); got != tc.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if s := spreadOf([]float64{nan}); s.ok() || !math.IsNaN(s.Median) {
		t.Errorf("no sample: %+v", s)
	}
	if s := spreadOf(nil); s.ok() {
		t.Errorf("nil: %+v", s)
	}
}

func TestSpreadFormat(t *testing.T) {
	for _, tc := range []struct {
		s    spread
		verb string
		want string
	}{
		{spread{2, 1, 3, 3}, "%.2f", "2.00 (1.00-3.00, 3 runs)"},
		{spread{1234.4, 1000, 1500, 3}, "%.0f", "1234 (1000-1500, 3 runs)"},
		{spread{5, 5, 5, 1}, "%.1f", "5.0 (1 run)"},
		{spreadOf(nil), "%.1f", "not measured"},
	} {
		if got := tc.s.format(tc.verb); got != tc.want {
			t.Errorf("format = %q, want %q", got, tc.want)
		}
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3, 2); got != 1.5 {
		t.Errorf("ratio(3, 2) = %v", got)
	}
	for _, c := range [][2]float64{{1, 0}, {math.NaN(), 1}, {1, math.NaN()}} {
		if got := ratio(c[0], c[1]); !math.IsNaN(got) {
			t.Errorf("ratio(%v, %v) = %v, want NaN", c[0], c[1], got)
		}
	}
}

func TestTargetVerdict(t *testing.T) {
	atLeast, atMost := target{AtLeast: true, Bound: 1.5}, target{Bound: 2}
	for _, tc := range []struct {
		t    target
		s    spread
		want string
	}{
		{atLeast, spread{1.5, 1, 2, 3}, "pass"},
		{atLeast, spread{1.49, 1, 2, 3}, "miss"},
		{atMost, spread{2, 1, 3, 3}, "pass"},
		{atMost, spread{2.01, 1, 3, 3}, "miss"},
		{atLeast, spreadOf(nil), "not measured"},
	} {
		if got := tc.t.verdict(tc.s); got != tc.want {
			t.Errorf("%s on median %v: %s, want %s", tc.t, tc.s.Median, got, tc.want)
		}
	}
	if atLeast.String() != ">= 1.5" || atMost.String() != "<= 2" {
		t.Errorf("targets print as %q, %q", atLeast, atMost)
	}
}
