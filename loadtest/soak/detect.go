package main

import (
	"fmt"
	"math"
)

// tolerance is how much growth a series may show over a run before it
// counts as unbounded: Rel of its level (the mean of the second half) or
// Abs, whichever is larger. A series with Skip is drawn but not judged.
type tolerance struct {
	Rel, Abs float64
	Skip     bool
}

// tolerances per series. The judge extrapolates the slope of the second
// half over a whole run, so a leak of k a second is judged as k*T. The
// margins must sit above what a bounded series shows: with n samples of
// white noise of spread sigma in the second half, the fitted growth over
// T has a standard error of about sigma*2*sqrt(12/n) (0.73 sigma for the
// 90 samples of a 30-minute run). Memory and goroutines of a Go server
// breathe with the garbage collector and the load by some tens of
// percent, hence 25 %; latency on a shared machine doubles with a
// neighbour's burst, hence 100 %; the absolute floors keep small counts
// (a few connections, a few grains) from failing on one step.
var tolerances = map[string]tolerance{
	seriesRSS:        {Rel: 0.25, Abs: 32},
	seriesHeap:       {Rel: 0.25, Abs: 16},
	seriesGoroutines: {Rel: 0.25, Abs: 50},
	seriesFDs:        {Rel: 0.25, Abs: 16},
	seriesDBConns:    {Rel: 0.50, Abs: 4},
	seriesShowtimes:  {Rel: 0.50, Abs: 20},
	seriesBookings:   {Rel: 0.50, Abs: 50},
	seriesP50:        {Rel: 1.00, Abs: 5},
	seriesP99:        {Rel: 1.00, Abs: 50},
	seriesRowsTokens: {Rel: 0.25, Abs: 200},
	seriesRowsIdem:   {Rel: 0.25, Abs: 200},
	seriesRowsNotes:  {Rel: 0.25, Abs: 200},
	seriesRowsBooked: {Skip: true}, // sales records: they grow by design
}

// point is one reading of a series.
type point struct{ T, V float64 }

// verdict is the judgement of one series of one node.
type verdict struct {
	Series  string  `json:"series"`
	Node    string  `json:"node"`
	Points  int     `json:"points"` // in the second half
	Level   float64 `json:"level"`  // mean of the second half
	Slope   float64 `json:"slope_per_h"`
	Growth  float64 `json:"growth"`  // slope * run length
	Allowed float64 `json:"allowed"` // the tolerance's bound on Growth
	OK      bool    `json:"ok"`
	Judged  bool    `json:"judged"` // false: skipped, or too few points
	Note    string  `json:"note,omitempty"`
}

// minPoints is the fewest second-half points a slope is fitted on.
const minPoints = 5

// judge fits a least-squares line to the points of the second half of a
// run of length runS seconds (points with T >= runS/2; NaN values are left
// out) and fails the series when the growth the slope implies over the
// whole run is beyond the tolerance.
func judge(series, node string, pts []point, runS float64, tol tolerance) verdict {
	v := verdict{Series: series, Node: node, OK: true}
	var xs, ys []float64
	for _, p := range pts {
		if p.T >= runS/2 && !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			xs, ys = append(xs, p.T), append(ys, p.V)
		}
	}
	v.Points = len(xs)
	if tol.Skip {
		v.Note = "not judged (grows by design)"
	}
	if len(xs) < minPoints {
		v.Note = fmt.Sprintf("%d points in the second half, fewer than %d: not judged", len(xs), minPoints)
		return v
	}
	slope, mean := fit(xs, ys)
	v.Level, v.Slope, v.Growth = mean, slope*3600, slope*runS
	v.Allowed = math.Max(tol.Rel*math.Abs(mean), tol.Abs)
	if tol.Skip {
		return v
	}
	v.Judged = true
	v.OK = v.Growth <= v.Allowed
	return v
}

// fit is the least-squares slope of ys over xs, and the mean of ys.
func fit(xs, ys []float64) (slope, mean float64) {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 {
		return 0, my
	}
	return sxy / sxx, my
}

// judgeAll judges every series of every node.
func judgeAll(samples []sample, runS float64) []verdict {
	type key struct{ series, node string }
	pts := map[key][]point{}
	nodes := sampleNodes(samples)
	for _, s := range samples {
		for name, v := range s.Values {
			pts[key{name, s.Node}] = append(pts[key{name, s.Node}], point{s.T, v})
		}
	}
	var out []verdict
	for _, series := range seriesOrder {
		for _, node := range nodes {
			if p, ok := pts[key{series, node}]; ok {
				out = append(out, judge(series, node, p, runS, tolerances[series]))
			}
		}
	}
	return out
}
