package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestReplaceSection(t *testing.T) {
	doc := "# Benchmarks\n\nhand-written\n"
	once := replaceSection(doc, "## A\nfirst\n")
	if !strings.HasPrefix(once, doc+"\n"+sectionBegin+"\n## A\nfirst\n"+sectionEnd+"\n") {
		t.Fatalf("appended:\n%s", once)
	}
	twice := replaceSection(once+"\n## after\n", "## B\nsecond")
	if strings.Contains(twice, "first") || !strings.Contains(twice, "## B\nsecond\n"+sectionEnd) {
		t.Fatalf("replaced:\n%s", twice)
	}
	if !strings.HasPrefix(twice, doc) || !strings.HasSuffix(twice, "\n## after\n") {
		t.Fatalf("text around the section changed:\n%s", twice)
	}
	if strings.Count(twice, sectionBegin) != 1 || strings.Count(twice, sectionEnd) != 1 {
		t.Fatalf("markers duplicated:\n%s", twice)
	}
	if got := replaceSection("", "x"); got != sectionBegin+"\nx\n"+sectionEnd+"\n" {
		t.Fatalf("empty doc: %q", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := options{databaseURL: "postgres://x/y", runs: 3, duration: 10 * time.Second, connections: 64, engine: true, engineBenchtime: 3 * time.Second}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*options){
		"no database":     func(o *options) { o.databaseURL = "" },
		"no runs":         func(o *options) { o.runs = 0 },
		"too many runs":   func(o *options) { o.runs = runsMax + 1 },
		"short duration":  func(o *options) { o.duration = 500 * time.Millisecond },
		"split second":    func(o *options) { o.duration = 1500 * time.Millisecond },
		"no connections":  func(o *options) { o.connections = 0 },
		"zero benchtime":  func(o *options) { o.engineBenchtime = 0 },
		"long duration":   func(o *options) { o.duration = time.Hour },
		"too many conns.": func(o *options) { o.connections = 5000 },
	} {
		o := good
		edit(&o)
		if err := o.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o := good
	o.engine, o.engineBenchtime = false, 0
	if err := o.validate(); err != nil {
		t.Errorf("benchtime checked with the engine off: %v", err)
	}
}

// TestTableRatios: each ratio is taken within a run, then summarized; a
// run that missed a figure leaves that ratio out instead of skewing it.
func TestTableRatios(t *testing.T) {
	b := &bench{o: options{connections: 64}, runs: []map[string]float64{
		{fHTTPHolds(100): 3000, fSQLHold100: 2000, fOpenHoldP99: 10, fOpenHealthzP99: 4, fEngineShowtimes: 100},
		{fHTTPHolds(100): 1000, fSQLHold100: 1000, fOpenHoldP99: 3, fOpenHealthzP99: 2, fEngineShowtimes: 100},
		{fHTTPHolds(100): 4000, fSQLHold100: 2000, fEngineShowtimes: 100},
	}}
	tb := b.table()
	row := func(prefix string) tableRow {
		for _, r := range tb.rows {
			if strings.HasPrefix(r.figure, prefix) {
				return r
			}
		}
		t.Fatalf("no row %q", prefix)
		return tableRow{}
	}
	holds := row("durable 1-seat holds via HTTP over 100")
	if s := spreadOf(holds.samples); s != (spread{1.5, 1, 2, 3}) || holds.target.verdict(s) != "pass" {
		t.Fatalf("holds ratio: %+v %s", s, holds.target.verdict(s))
	}
	if !strings.Contains(holds.detail, "HTTP 3000 (1000-4000, 3 runs) holds/s") {
		t.Fatalf("detail: %s", holds.detail)
	}
	p99 := row("hold p99")
	if s := spreadOf(p99.samples); s.N != 2 || s.Median != 2 || p99.target.verdict(s) != "pass" {
		t.Fatalf("p99 ratio: %+v", s)
	}
	if s := spreadOf(row("refused").samples); s.ok() || row("refused").target.verdict(s) != "not measured" {
		t.Fatalf("unmeasured ratio: %+v", s)
	}
	var md strings.Builder
	tb.writeMarkdown(&md)
	if !strings.Contains(md.String(), "| 1.50 (1.00-2.00, 3 runs) | >= 1.5 | pass |") || !strings.Contains(md.String(), "not measured") {
		t.Fatalf("markdown:\n%s", md.String())
	}
	if len(tb.rows) != 10 {
		t.Fatalf("%d rows, want every figure of issue 11's table and the two engine-alone ratios", len(tb.rows))
	}
}

func TestEngineFigures(t *testing.T) {
	s := parseEngineBench(engineOutput)
	b := &bench{}
	f := map[string]float64{}
	b.engineFigures(s, 1, f)
	if f[fEngineRatio1] != 5 || f[fEngineShowtimes] != 100 || !math.IsNaN(f[fEngineRatio100]) {
		t.Fatalf("second run: %v", f)
	}
}
