package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	markBegin = "<!-- soak:begin -->"
	markEnd   = "<!-- soak:end -->"
)

// writeOutputs writes samples.csv and samples.json into o.out, the SVG and
// the Markdown section when asked.
func writeOutputs(o options, res *result) error {
	b, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "samples.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(o.out, "samples.csv"), res.Samples); err != nil {
		return err
	}
	title := fmt.Sprintf("soak: 3 nodes, mixed at %.1f arrivals/s for %.0f min (second half shaded: judged)", res.Rate, res.RunS/60)
	if o.svg != "" {
		if err := os.MkdirAll(filepath.Dir(o.svg), 0o755); err != nil {
			return err
		}
		var in []sample
		for _, s := range res.Samples {
			if s.T >= 0 && s.T <= res.RunS {
				in = append(in, s)
			}
		}
		if err := os.WriteFile(o.svg, []byte(soakSVG(in, res.RunS, title)), 0o644); err != nil {
			return err
		}
	}
	if o.markdown != "" {
		link := ""
		if o.svg != "" {
			if rel, err := filepath.Rel(filepath.Dir(o.markdown), o.svg); err == nil {
				link = filepath.ToSlash(rel)
			}
		}
		return updateMarkdown(o.markdown, markdown(res, link))
	}
	return nil
}

func writeCSV(path string, samples []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(append([]string{"t_s", "node"}, seriesOrder...))
	for _, s := range samples {
		row := []string{strconv.FormatFloat(s.T, 'f', 1, 64), s.Node}
		for _, name := range seriesOrder {
			v, ok := s.Values[name]
			if !ok || math.IsNaN(v) {
				row = append(row, "")
				continue
			}
			row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
		}
		_ = w.Write(row)
	}
	w.Flush()
	return errorsJoin(w.Error(), f.Close())
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// markdown is the soak section: the run, the verdict per series (the
// worst node of each), and the figure.
func markdown(res *result, svg string) string {
	var b strings.Builder
	pass := "PASS"
	if !res.OK {
		pass = "FAIL"
	}
	rate := fmt.Sprintf("%.1f arrivals/s (given with --rate)", res.Rate)
	if res.MaxRate > 0 {
		rate = fmt.Sprintf("%.1f arrivals/s, half the %.1f steps/s a closed-loop run of the same cluster measured", res.Rate, res.MaxRate)
	}
	fmt.Fprintf(&b, "## Soak\n\n`make soak` (%s): 3 nodes on loopback, PostgreSQL, the load test's mixed scenario in an open loop at "+
		"%s, for %.0f min; a sample of every node's `/metrics` and of the row counts every %.0f s. Each series' least-squares "+
		"slope over the second half, extrapolated over the run, must stay under its tolerance (`loadtest/soak/detect.go`). "+
		"Audit: %s. Verdict: **%s**.\n\n",
		res.StartedAt.Format("2006-01-02 15:04 UTC"), rate, res.RunS/60, res.IntervalS, res.Audit, pass)
	b.WriteString("| series | level (2nd half mean) | slope /h | growth over the run | allowed | verdict |\n|---|---|---|---|---|---|\n")
	worst := map[string]verdict{}
	var order []string
	for _, v := range res.Verdicts {
		w, ok := worst[v.Series]
		if !ok {
			order = append(order, v.Series)
		}
		if !ok || (w.OK && !v.OK) || (w.OK == v.OK && v.Growth-v.Allowed > w.Growth-w.Allowed) {
			worst[v.Series] = v
		}
	}
	for _, s := range order {
		v := worst[s]
		status := "ok"
		switch {
		case !v.Judged:
			status = "not judged"
		case !v.OK:
			status = "**grows**"
		}
		node := ""
		if v.Node != dbNode {
			node = " (worst node: " + v.Node + ")"
		}
		fmt.Fprintf(&b, "| %s%s | %.4g | %+.4g | %+.4g | %.4g | %s |\n", s, node, v.Level, v.Slope, v.Growth, v.Allowed, status)
	}
	if svg != "" {
		fmt.Fprintf(&b, "\n![soak curves](%s)\n", svg)
	}
	return b.String()
}

// updateMarkdown replaces the text between the soak markers of path, or
// appends the section with its markers.
func updateMarkdown(path, section string) error {
	block := markBegin + "\n" + section + markEnd
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, markBegin), strings.Index(s, markEnd)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + block + s[j+len(markEnd):]
	case len(s) > 0:
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	default:
		s = block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// printVerdicts prints every judged series.
func printVerdicts(res *result) {
	fmt.Printf("soak: %.1f arrivals/s (max %.1f), %.0f s, %d samples, audit %s\n", res.Rate, res.MaxRate, res.RunS, len(res.Samples), res.Audit)
	fmt.Printf("%-22s %-7s %12s %12s %12s %12s  %s\n", "series", "node", "level", "slope/h", "growth", "allowed", "verdict")
	for _, v := range res.Verdicts {
		status := "ok"
		switch {
		case !v.Judged:
			status = v.Note
		case !v.OK:
			status = "GROWS"
		}
		fmt.Printf("%-22s %-7s %12.4g %12.4g %12.4g %12.4g  %s\n", v.Series, v.Node, v.Level, v.Slope, v.Growth, v.Allowed, status)
	}
}
