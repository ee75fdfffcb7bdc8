package loadtest

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Size of the scale curve.
const scaleW, scaleH = 640.0, 300.0

// ScaleSVG draws durable holds/s against the number of showtimes they
// were spread over: the x axis by decades of showtimes, the y axis linear
// from zero, each point labelled with its value. It is a standalone SVG
// document (no script, no external resource), for the HTML report and for
// BENCHMARKS.md alike; title, when set, is drawn above the plot.
func ScaleSVG(points []ScalePoint, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`, scaleW, scaleH)
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#fafafa"/>`, scaleW, scaleH)
	if title != "" {
		fmt.Fprintf(&b, `<text x="%.0f" y="14" font-weight="bold">%s</text>`, padL, template.HTMLEscapeString(title))
	}
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">no data</text></svg>`, padL, scaleH/2)
		return b.String()
	}
	top, maxN := 0.0, 1
	for _, p := range points {
		top, maxN = max(top, p.HoldsRPS), max(maxN, p.Showtimes)
	}
	hi := niceCeil(top)
	decades := max(1, math.Ceil(math.Log10(float64(maxN))))
	const t, bot = 30.0, 40.0
	x := func(n int) float64 {
		return padL + (scaleW-padL-padR-20)*math.Log10(float64(max(n, 1)))/decades
	}
	y := func(v float64) float64 { return t + (scaleH-t-bot)*(1-v/hi) }
	for _, g := range gridLines(0, hi, false) {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/><text x="%.0f" y="%.1f" text-anchor="end">%g</text>`,
			padL, scaleW-padR, y(g), y(g), padL-4, y(g)+4, g)
	}
	for e := 0.0; e <= decades; e++ {
		n := int(math.Pow(10, e))
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.1f" stroke="#e5e5e5"/><text x="%.1f" y="%.0f" text-anchor="middle">%d</text>`,
			x(n), x(n), t, y(0), x(n), scaleH-bot+16, n)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">showtimes the holds are spread over</text>`, (scaleW+padL)/2, scaleH-6)
	fmt.Fprintf(&b, `<text x="14" y="%.0f" transform="rotate(-90 14 %.0f)" text-anchor="middle">durable holds/s</text>`, (scaleH)/2, (scaleH)/2)
	pts := make([]string, len(points))
	for i, p := range points {
		pts[i] = fmt.Sprintf("%.1f,%.1f", x(p.Showtimes), y(p.HoldsRPS))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#0969da" stroke-width="2" points="%s"/>`, strings.Join(pts, " "))
	for _, p := range points {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="#0969da"/><text x="%.1f" y="%.1f" text-anchor="middle">%.0f</text>`,
			x(p.Showtimes), y(p.HoldsRPS), x(p.Showtimes), y(p.HoldsRPS)-8, p.HoldsRPS)
	}
	b.WriteString("</svg>")
	return b.String()
}
