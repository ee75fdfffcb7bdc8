package loadtest

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestScaleSVG: the curve is a well-formed standalone SVG with no script
// or external reference, one labelled point per step, placed left to right
// by showtimes and higher for more holds/s.
func TestScaleSVG(t *testing.T) {
	points := []ScalePoint{{1, 900}, {10, 2000}, {100, 1500}, {1000, 700}}
	svg := ScaleSVG(points, `holds <&> "run"`)
	if err := xml.Unmarshal([]byte(svg), new(struct{ XMLName xml.Name })); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, svg)
	}
	for _, bad := range []string{"<script", "href", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(svg, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	if !strings.Contains(svg, "holds &lt;&amp;&gt; &#34;run&#34;") {
		t.Errorf("title not escaped: %s", svg)
	}
	circles := regexp.MustCompile(`<circle cx="([0-9.]+)" cy="([0-9.]+)"`).FindAllStringSubmatch(svg, -1)
	if len(circles) != len(points) {
		t.Fatalf("%d points drawn, want %d", len(circles), len(points))
	}
	var xs, ys []float64
	for _, c := range circles {
		x, _ := strconv.ParseFloat(c[1], 64)
		y, _ := strconv.ParseFloat(c[2], 64)
		xs, ys = append(xs, x), append(ys, y)
	}
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			t.Errorf("x not increasing with showtimes: %v", xs)
		}
	}
	// SVG y grows downwards: 2000 holds/s is the highest point, 700 the lowest.
	if !(ys[1] < ys[2] && ys[2] < ys[0] && ys[0] < ys[3]) {
		t.Errorf("y not ordered by holds/s: %v", ys)
	}
	// Equal decades: 1 -> 10 is as wide as 100 -> 1000.
	if d1, d2 := xs[1]-xs[0], xs[3]-xs[2]; d1-d2 > 0.2 || d2-d1 > 0.2 {
		t.Errorf("decades unequal: %v", xs)
	}
	for _, label := range []string{">900<", ">2000<", ">1500<", ">700<"} {
		if !strings.Contains(svg, label) {
			t.Errorf("no label %s", label)
		}
	}
	if empty := ScaleSVG(nil, ""); !strings.Contains(empty, "no data") {
		t.Errorf("empty chart: %s", empty)
	}
}

// TestScaleChartInHTML: only a report with the scale figures gets the curve.
func TestScaleChartInHTML(t *testing.T) {
	if scaleChart(map[string]float64{"holds_rps": 5}) != "" {
		t.Error("a report without scale figures got a curve")
	}
	if c := scaleChart(map[string]float64{"holds_rps_showtimes_1": 5, "holds_rps_showtimes_10": 7}); !strings.Contains(string(c), "<circle") {
		t.Errorf("no curve: %s", c)
	}
}
