package main

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Layout of the soak figure: a grid of panels, one per series, one line
// per node, the second half (the judged part) shaded.
const (
	panelW, panelH = 300.0, 170.0
	panelCols      = 3
	panelPadL      = 46.0
	panelPadT      = 22.0
	panelPadB      = 22.0
	panelPadR      = 8.0
	legendH        = 24.0
)

var nodeColors = []string{"#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700"}

// seriesTitle is each panel's heading.
var seriesTitle = map[string]string{
	seriesRSS: "RSS (MiB)", seriesHeap: "Go heap in use (MiB)", seriesGoroutines: "goroutines",
	seriesFDs: "open file descriptors", seriesDBConns: "PostgreSQL connections open",
	seriesShowtimes: "live showtime grains", seriesBookings: "live booking grains",
	seriesP50: "p50 of the interval (ms)", seriesP99: "p99 of the interval (ms)",
	seriesRowsTokens: "rows: refresh_tokens", seriesRowsIdem: "rows: idempotency_keys",
	seriesRowsNotes: "rows: notifications", seriesRowsBooked: "rows: bookings (grow by design)",
}

// soakSVG draws every series of the samples against time, a standalone
// SVG document (no script, no external resource).
func soakSVG(samples []sample, runS float64, title string) string {
	nodes := sampleNodes(samples)
	var present []string
	for _, name := range seriesOrder {
		for _, s := range samples {
			if _, ok := s.Values[name]; ok {
				present = append(present, name)
				break
			}
		}
	}
	rows := (len(present) + panelCols - 1) / panelCols
	w, h := panelCols*panelW, legendH+float64(max(rows, 1))*panelH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="10">`, w, h)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#fafafa"/>`, w, h)
	fmt.Fprintf(&b, `<text x="6" y="15" font-size="12" font-weight="bold">%s</text>`, template.HTMLEscapeString(title))
	lx := w - 6
	for i := len(nodes) - 1; i >= 0; i-- {
		fmt.Fprintf(&b, `<text x="%.0f" y="15" text-anchor="end" fill="%s">%s</text>`, lx, nodeColors[i%len(nodeColors)], template.HTMLEscapeString(nodes[i]))
		lx -= 8 + 7*float64(len(nodes[i]))
	}
	for i, name := range present {
		ox, oy := float64(i%panelCols)*panelW, legendH+float64(i/panelCols)*panelH
		panel(&b, samples, nodes, name, runS, ox, oy)
	}
	b.WriteString("</svg>")
	return b.String()
}

func panel(b *strings.Builder, samples []sample, nodes []string, name string, runS, ox, oy float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range samples {
		if v, ok := s.Values[name]; ok && !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	lo = min(lo, 0) // from zero, so that a flat line looks flat
	hi = niceCeil(max(hi, lo+1))
	x0, x1 := ox+panelPadL, ox+panelW-panelPadR
	y0, y1 := oy+panelH-panelPadB, oy+panelPadT
	x := func(t float64) float64 { return x0 + (x1-x0)*t/max(runS, 1) }
	y := func(v float64) float64 { return y0 - (y0-y1)*(v-lo)/(hi-lo) }
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#eef2f7"/>`, x(runS/2), y1, x1-x(runS/2), y0-y1)
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#d0d7de"/>`, x0, y1, x1-x0, y0-y1)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-weight="bold">%s</text>`, x0, oy+14, template.HTMLEscapeString(seriesTitle[name]))
	for _, g := range []float64{lo, (lo + hi) / 2, hi} {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, x0-3, y(g)+3, short(g))
	}
	for _, m := range []float64{0, runS / 2, runS} {
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.0fm</text>`, x(m), y0+12, m/60)
	}
	for i, n := range nodes {
		var pts []string
		for _, s := range samples {
			if v, ok := s.Values[name]; ok && s.Node == n && !math.IsNaN(v) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.T), y(v)))
			}
		}
		if len(pts) > 0 {
			fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.3" points="%s"/>`, nodeColors[i%len(nodeColors)], strings.Join(pts, " "))
		}
	}
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func short(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 10 || a == 0:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}
