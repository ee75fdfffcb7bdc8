package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Report is the JSON report of a run, as --out writes it.
type Report struct {
	Scenario      string             `json:"scenario"`
	Mode          string             `json:"mode"` // "closed" or "open"
	Targets       []string           `json:"targets"`
	Connections   int                `json:"connections"`
	RatePerSecond float64            `json:"rate,omitempty"` // open loop: arrivals per second
	SeatsPerShow  int                `json:"seats"`
	Users         int                `json:"users"`
	StartedAt     time.Time          `json:"started_at"`
	DurationS     float64            `json:"duration_s"`
	Requests      int64              `json:"requests"`
	Errors        int64              `json:"errors"`
	Dropped       int64              `json:"dropped,omitempty"`
	ThroughputRPS float64            `json:"throughput_rps"`
	StepsPerS     float64            `json:"steps_per_s"` // scenario steps finished a second (--rate counts steps)
	LatencyMs     Latency            `json:"latency_ms"`
	Outcomes      map[string]int64   `json:"outcomes"`
	Operations    map[Op]OpReport    `json:"operations"`
	Figures       map[string]float64 `json:"figures,omitempty"`
	Showtimes     int                `json:"showtimes"`
	StoppedEarly  string             `json:"stopped_early,omitempty"`
	Timeline      []Second           `json:"timeline"`
	Invariants    Invariants         `json:"invariants"`
	Seed          int64              `json:"seed"`
	// History is the run's seat operations, for a caller that keeps them
	// (Export) to check them again later.
	History *History `json:"-"`
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// OpReport is one operation's figures.
type OpReport struct {
	Requests      int64   `json:"requests"`
	Errors        int64   `json:"errors"`
	ThroughputRPS float64 `json:"throughput_rps"`
	LatencyMs     Latency `json:"latency_ms"`
	// ServiceMs (open loop) counts from the actual send instead of the
	// intended one: the difference is time queued in the harness.
	ServiceMs *Latency         `json:"service_ms,omitempty"`
	Outcomes  map[string]int64 `json:"outcomes"`
}

func latencyOf(h *hdrhistogram.Histogram) Latency {
	return Latency{P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()), Mean: math.Round(h.Mean()) / usPerMillisecond}
}

// fill sets the load figures of the report from a recorder snapshot.
func (r *Report) fill(s snapshot, elapsed time.Duration, open bool) {
	r.DurationS = elapsed.Seconds()
	r.Requests = s.all.hist.TotalCount()
	r.Errors, r.Dropped = s.all.errors, s.dropped
	r.ThroughputRPS = float64(r.Requests) / elapsed.Seconds()
	r.LatencyMs = latencyOf(s.all.hist)
	r.Outcomes = s.all.outcomes
	r.Operations = map[Op]OpReport{}
	for op, st := range s.ops {
		n := st.hist.TotalCount()
		o := OpReport{Requests: n, Errors: st.errors, ThroughputRPS: float64(n) / elapsed.Seconds(),
			LatencyMs: latencyOf(st.hist), Outcomes: st.outcomes}
		if open {
			svc := latencyOf(st.svc)
			o.ServiceMs = &svc
		}
		r.Operations[op] = o
	}
	r.Timeline = s.seconds
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteSummary prints the summary table.
func (r *Report) WriteSummary(w io.Writer) {
	mode := fmt.Sprintf("closed loop, %d connections", r.Connections)
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop, %.0f arrivals/s, at most %d in flight", r.RatePerSecond, r.Connections)
	}
	fmt.Fprintf(w, "\nscenario %s: %s, %.1fs, %d target(s), %d users, %d showtimes\n",
		r.Scenario, mode, r.DurationS, len(r.Targets), r.Users, r.Showtimes)
	if r.StoppedEarly != "" {
		fmt.Fprintf(w, "stopped early: %s\n", r.StoppedEarly)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\tsvc p99 ms\terrors\toutcomes\t")
	row := func(name string, o OpReport) {
		l, svc := o.LatencyMs, "-"
		if o.ServiceMs != nil {
			svc = fmt.Sprintf("%.2f", o.ServiceMs.P99)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%d\t%s\t\n", name, o.Requests, o.ThroughputRPS,
			l.P50, l.P90, l.P99, l.P999, l.Max, svc, o.Errors, outcomesText(o.Outcomes))
	}
	for _, op := range slices.Sorted(maps.Keys(r.Operations)) {
		row(string(op), r.Operations[op])
	}
	row("all", OpReport{Requests: r.Requests, Errors: r.Errors, ThroughputRPS: r.ThroughputRPS, LatencyMs: r.LatencyMs, Outcomes: r.Outcomes})
	tw.Flush()
	if len(r.Figures) > 0 {
		fmt.Fprint(w, "figures:")
		for _, k := range slices.Sorted(maps.Keys(r.Figures)) {
			fmt.Fprintf(w, " %s=%.4g", k, r.Figures[k])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "invariants: %s\n", r.Invariants.Verdict())
	for _, c := range r.Invariants.Checks {
		fmt.Fprintf(w, "  %-14s %-32s %s%s\n", c.Mark(), c.Name, c.CountsText(), c.Detail)
	}
}

func outcomesText(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
