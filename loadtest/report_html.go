package loadtest

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
)

// The HTML report is one self-contained page: inline CSS and SVG charts,
// no scripts, no external resources, so it can be mailed or archived.
const (
	chartW, chartH = 860.0, 260.0
	padL, padR     = 60.0, 20.0
	padT, padB     = 20.0, 30.0
)

var htmlTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>boxoffice loadtest: {{.R.Scenario}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:900px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .6em;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}.ok{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}
.detail{text-align:left;font-size:12px;color:#555}svg{background:#fafafa;border:1px solid #eee}
</style></head><body>
<h1>boxoffice loadtest: {{.R.Scenario}}</h1>
<p>{{.Mode}}; {{printf "%.1f" .R.DurationS}} s from {{.R.StartedAt.Format "2006-01-02 15:04:05 MST"}};
targets {{range .R.Targets}}<code>{{.}}</code> {{end}}; {{.R.Users}} users, {{.R.Showtimes}} showtimes, {{.R.SeatsPerShow}} seats each; seed {{.R.Seed}}.
{{if .R.StoppedEarly}}<br><b>Stopped early:</b> {{.R.StoppedEarly}}{{end}}</p>
<h2>Invariants: <span class="{{if .R.Invariants.OK}}ok{{else}}fail{{end}}">{{.R.Invariants.Verdict}}</span></h2>
<table><tr><th>check</th><th>result</th><th class="detail">detail</th></tr>
{{range .R.Invariants.Checks}}<tr><td>{{.Name}}</td><td><span class="{{.HTMLClass}}">{{.Mark}}</span></td><td class="detail">{{.CountsText}}{{.Detail}}</td></tr>
{{end}}</table>
<h2>Operations</h2>
<table><tr><th>op</th><th>requests</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>svc p99 ms</th><th>errors</th></tr>
{{range .Ops}}<tr><td>{{.Name}}</td><td>{{.R.Requests}}</td><td>{{printf "%.0f" .R.ThroughputRPS}}</td><td>{{printf "%.2f" .R.LatencyMs.P50}}</td>
<td>{{printf "%.2f" .R.LatencyMs.P90}}</td><td>{{printf "%.2f" .R.LatencyMs.P99}}</td><td>{{printf "%.2f" .R.LatencyMs.P999}}</td><td>{{printf "%.2f" .R.LatencyMs.Max}}</td>
<td>{{with .R.ServiceMs}}{{printf "%.2f" .P99}}{{else}}-{{end}}</td><td>{{.R.Errors}}</td></tr>
{{end}}</table>
{{if eq .R.Mode "open"}}<p>Latencies count from each arrival's intended send time; "svc" counts from the actual send.</p>{{end}}
{{if .Figures}}<p>Figures: {{range .Figures}}<code>{{.}}</code> {{end}}</p>{{end}}
{{with .Scale}}<h2>Durable holds/s by the number of showtimes they are spread over</h2>{{.}}{{end}}
<h2>Latency over time (ms, log scale; per second: p50, p99, max)</h2>{{.Latency}}
<h2>Requests per second (errors in red)</h2>{{.Rate}}
<h2>Outcome mix</h2>{{.Outcomes}}
</body></html>
`))

type htmlOp struct {
	Name string
	R    OpReport
}

// WriteHTML writes the HTML report to path.
func (r *Report) WriteHTML(path string) error {
	mode := fmt.Sprintf("closed loop, %d connections", r.Connections)
	if r.Mode == "open" {
		mode = fmt.Sprintf("open loop, %.0f arrivals/s (latency from the intended send time)", r.RatePerSecond)
	}
	var ops []htmlOp
	for _, op := range slices.Sorted(maps.Keys(r.Operations)) {
		ops = append(ops, htmlOp{string(op), r.Operations[op]})
	}
	ops = append(ops, htmlOp{"all", OpReport{Requests: r.Requests, Errors: r.Errors, ThroughputRPS: r.ThroughputRPS, LatencyMs: r.LatencyMs}})
	var figures []string
	for _, k := range slices.Sorted(maps.Keys(r.Figures)) {
		figures = append(figures, fmt.Sprintf("%s=%.4g", k, r.Figures[k]))
	}
	var b strings.Builder
	err := htmlTmpl.Execute(&b, map[string]any{"R": r, "Mode": mode, "Ops": ops, "Figures": figures,
		"Latency": latencyChart(r.Timeline), "Rate": rateChart(r.Timeline), "Outcomes": outcomeChart(r.Outcomes), "Scale": scaleChart(r.Figures)})
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// scaleChart is the scale scenario's curve, or nothing for a report
// without its figures.
func scaleChart(figures map[string]float64) template.HTML {
	points := ScalePoints(figures)
	if len(points) == 0 {
		return ""
	}
	return template.HTML(ScaleSVG(points, "")) // built from numbers only
}

// series is one line of a chart.
type series struct {
	name, color string
	ys          []float64
}

func latencyChart(t []Second) template.HTML {
	var p50, p99, mx []float64
	for _, s := range t {
		p50, p99, mx = append(p50, s.P50Ms), append(p99, s.P99Ms), append(mx, s.MaxMs)
	}
	return lineChart([]series{{"max", "#bbb", mx}, {"p99", "#e36209", p99}, {"p50", "#0969da", p50}}, true)
}

func rateChart(t []Second) template.HTML {
	var reqs, errs []float64
	for _, s := range t {
		reqs, errs = append(reqs, float64(s.Requests)), append(errs, float64(s.Errors))
	}
	return lineChart([]series{{"requests/s", "#0969da", reqs}, {"errors/s", "#cf222e", errs}}, false)
}

// lineChart draws series over seconds; log scales the y axis by decades.
func lineChart(ss []series, log bool) template.HTML {
	n, top, bottom := 0, 0.0, math.Inf(1)
	for _, s := range ss {
		n = max(n, len(s.ys))
		for _, y := range s.ys {
			top = max(top, y)
			if y > 0 {
				bottom = min(bottom, y)
			}
		}
	}
	if n == 0 {
		return template.HTML("<p>no data</p>")
	}
	lo, hi := 0.0, niceCeil(top)
	if log {
		lo, hi = max(-2, math.Floor(math.Log10(min(bottom, top)))), math.Ceil(math.Log10(max(top, 0.01)))
		hi = max(hi, lo+1)
	}
	scaleY := func(v float64) float64 {
		if log {
			v = math.Log10(max(v, 0.01))
		}
		return padT + (chartH-padT-padB)*(1-(v-lo)/(hi-lo))
	}
	scaleX := func(i int) float64 { return padL + (chartW-padL-padR)*float64(i)/float64(max(n-1, 1)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-size="11">`, chartW, chartH)
	for _, g := range gridLines(lo, hi, log) {
		y := scaleY(g)
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`,
			padL, chartW-padR, y, y, padL-4, y+4, template.HTMLEscapeString(fmt.Sprintf("%g", g)))
	}
	step := max(1, (n-1)/8)
	for i := 0; i < n; i += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%d s</text>`, scaleX(i), chartH-8, i)
	}
	for k, s := range ss {
		var pts []string
		for i, y := range s.ys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", scaleX(i), scaleY(y)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, s.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s">%s</text>`, padL+10+float64(k)*90, padT-6, s.color, template.HTMLEscapeString(s.name))
	}
	b.WriteString("</svg>")
	return template.HTML(b.String()) // built from numbers and escaped labels only
}

// gridLines returns the y values to draw lines at: each decade on a log
// axis (given as values, not exponents), five steps on a linear one.
func gridLines(lo, hi float64, log bool) []float64 {
	var out []float64
	if log {
		for e := lo; e <= hi; e++ {
			out = append(out, math.Pow(10, e))
		}
		return out
	}
	for i := 0; i <= 5; i++ {
		out = append(out, lo+(hi-lo)*float64(i)/5)
	}
	return out
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// outcomeChart draws one horizontal bar per outcome.
func outcomeChart(outcomes map[string]int64) template.HTML {
	var total int64
	for _, n := range outcomes {
		total += n
	}
	if total == 0 {
		return template.HTML("<p>no requests</p>")
	}
	keys := slices.SortedFunc(maps.Keys(outcomes), func(a, b string) int {
		return cmp.Or(cmp.Compare(outcomes[b], outcomes[a]), cmp.Compare(a, b))
	})
	const rowH, barMax = 22.0, 600.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-size="12">`, chartW, rowH*float64(len(keys))+10)
	for i, k := range keys {
		y := 5 + rowH*float64(i)
		frac := float64(outcomes[k]) / float64(total)
		color := "#2da44e"
		switch {
		case strings.HasPrefix(k, "5") || k == OutcomeTimeout || k == OutcomeConnError || k == OutcomeDropped:
			color = "#cf222e"
		case strings.HasPrefix(k, "4"):
			color = "#d4a72c"
		}
		fmt.Fprintf(&b, `<text x="90" y="%.0f" text-anchor="end">%s</text><rect x="100" y="%.0f" width="%.1f" height="%.0f" fill="%s"/>`,
			y+14, template.HTMLEscapeString(k), y+2, max(1, barMax*frac), rowH-6, color)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%d (%.1f%%)</text>`, 106+barMax*frac, y+14, outcomes[k], 100*frac)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String()) // numbers and escaped labels only
}
