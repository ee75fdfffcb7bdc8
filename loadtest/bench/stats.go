package main

import (
	"fmt"
	"math"
	"slices"
)

// spread is one figure over the runs of a bench: its median and range.
type spread struct {
	Median, Min, Max float64
	N                int // runs that measured it
}

// spreadOf summarizes the samples that were measured (NaN means not
// measured in that run and is left out).
func spreadOf(samples []float64) spread {
	var xs []float64
	for _, x := range samples {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		return spread{Median: math.NaN(), Min: math.NaN(), Max: math.NaN()}
	}
	slices.Sort(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return spread{Median: m, Min: xs[0], Max: xs[len(xs)-1], N: len(xs)}
}

// ok tells whether the spread has any sample.
func (s spread) ok() bool { return s.N > 0 }

// format writes the median and the range with the given verb, e.g. "%.0f"
// gives "1234 (1100-1300, 3 runs)".
func (s spread) format(verb string) string {
	if !s.ok() {
		return "not measured"
	}
	if s.N == 1 {
		return fmt.Sprintf(verb+" (1 run)", s.Median)
	}
	return fmt.Sprintf(verb+" ("+verb+"-"+verb+", %d runs)", s.Median, s.Min, s.Max, s.N)
}

// ratio divides a by b, NaN when either is missing or b is zero.
func ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}

// target is the bound a ratio of issue 11's table must reach.
type target struct {
	AtLeast bool // true: ratio >= Bound; false: ratio <= Bound
	Bound   float64
}

func (t target) String() string {
	if t.AtLeast {
		return fmt.Sprintf(">= %g", t.Bound)
	}
	return fmt.Sprintf("<= %g", t.Bound)
}

// verdict judges the median: "pass", "miss", or "not measured".
func (t target) verdict(s spread) string {
	switch {
	case !s.ok():
		return "not measured"
	case t.AtLeast && s.Median >= t.Bound, !t.AtLeast && s.Median <= t.Bound:
		return "pass"
	}
	return "miss"
}
