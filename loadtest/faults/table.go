package faults

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Markers of the harness's section in FAULTS.md.
const (
	markBegin = "<!-- faults:begin -->"
	markEnd   = "<!-- faults:end -->"
)

// row is one nemesis's line of the table.
type row struct {
	nemesis                string
	runs, errs, skipped    int
	ok, fail, unknown      int
	violations, incomplete int
	inconclusive           int
	notRecovered           int
	staleReadRuns          int // runs whose only porcupine failure was in the map reads
	recovers               []time.Duration
	measures               map[string][]float64
	failedSeeds            []int64
}

func summarize(nemesis string, results []RunResult) row {
	r := row{nemesis: nemesis, measures: map[string][]float64{}}
	for _, res := range results {
		r.runs++
		r.ok += res.OK
		r.fail += res.Fail
		r.unknown += res.Unknown
		r.violations += len(res.Violations)
		r.incomplete += len(res.AuditIncomplete)
		r.inconclusive += len(res.Inconclusive)
		if res.Err != "" {
			r.errs++
		}
		if res.Skipped != "" {
			r.skipped++
		}
		if res.WritesAlone == "ok" {
			r.staleReadRuns++
		}
		if len(res.NotRecovered) > 0 {
			r.notRecovered++
		} else if res.Err == "" {
			r.recovers = append(r.recovers, res.Recover)
		}
		for k, v := range res.Measures {
			r.measures[k] = append(r.measures[k], v)
		}
		if len(res.Violations) > 0 || res.Err != "" || len(res.NotRecovered) > 0 {
			r.failedSeeds = append(r.failedSeeds, res.Seed)
		}
	}
	return r
}

// passed: every run was made, exercised its fault, found nothing, and
// every node answered again within recoverMax of the heal (nodes must
// recover by themselves).
func (r row) passed() bool {
	return r.runs > 0 && r.errs == 0 && r.violations == 0 && r.incomplete == 0 && r.skipped == 0 && r.notRecovered == 0
}

func (r row) recoverText() string {
	if len(r.recovers) == 0 {
		return "-"
	}
	d := slices.Clone(r.recovers)
	slices.Sort(d)
	return fmt.Sprintf("%.1f s / %.1f s", d[len(d)/2].Seconds(), d[len(d)-1].Seconds())
}

func (r row) measuresText() string {
	var parts []string
	for _, k := range []string{"first_503_s", "answer_max_s", "slow_answers", "recover_s", "restarted"} {
		v := r.measures[k]
		if len(v) == 0 {
			continue
		}
		s := slices.Clone(v)
		slices.Sort(s)
		parts = append(parts, fmt.Sprintf("%s median %.2f max %.2f", k, s[len(s)/2], s[len(s)-1]))
	}
	return strings.Join(parts, "; ")
}

// writeTable writes the markdown table of the rows.
func writeTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| nemesis | runs | operations | ok / fail / unknown | violations | runs with stale reads only | audit incomplete | inconclusive | skipped | errors | not recovered | time to recover (median / max) | notes |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintln(w, r.line(""))
	}
}

// line is the row's line of the table, with extra at the end of its notes.
func (r row) line(extra string) string {
	note := r.measuresText()
	if len(r.failedSeeds) > 0 {
		note = strings.TrimPrefix(note+fmt.Sprintf("; failed seeds %v", r.failedSeeds), "; ")
	}
	if extra != "" {
		note = strings.TrimPrefix(note+"; "+extra, "; ")
	}
	return fmt.Sprintf("| %s | %d | %d | %d / %d / %d | %d | %d | %d | %d | %d | %d | %d | %s | %s |", r.nemesis, r.runs,
		r.ok+r.fail+r.unknown, r.ok, r.fail, r.unknown, r.violations, r.staleReadRuns, r.incomplete, r.inconclusive, r.skipped, r.errs,
		r.notRecovered, r.recoverText(), note)
}

// updateFaultsRows replaces the lines of the given rows in the table of
// path (a run of some nemeses only), keeping every other line; a row not
// in the table yet is added after the last row.
func updateFaultsRows(path string, rows []row, extra string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(b)
	i, j := strings.Index(text, markBegin), strings.Index(text, markEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s section", path, markBegin, markEnd)
	}
	lines := strings.Split(text[i:j], "\n")
	for _, r := range rows {
		prefix, done, last := "| "+r.nemesis+" |", false, -1
		for k, l := range lines {
			if strings.HasPrefix(l, prefix) {
				lines[k], done = r.line(extra), true
			}
			if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| disk-full |") {
				last = k
			}
		}
		if !done && last >= 0 {
			lines = append(lines[:last+1], append([]string{r.line(extra)}, lines[last+1:]...)...)
		}
	}
	return os.WriteFile(path, []byte(text[:i]+strings.Join(lines, "\n")+text[j:]), 0o644)
}

// updateFaultsMD puts section between the markers of path, creating the
// file (with an introduction) or the markers when missing.
func updateFaultsMD(path, section string) error {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(b)
	if text == "" {
		text = faultsIntro + "\n" + markBegin + "\n" + markEnd + "\n"
	}
	i, j := strings.Index(text, markBegin), strings.Index(text, markEnd)
	if i < 0 || j < i {
		text += "\n" + markBegin + "\n" + markEnd + "\n"
		i, j = strings.Index(text, markBegin), strings.Index(text, markEnd)
	}
	text = text[:i+len(markBegin)] + "\n" + section + text[j:]
	return os.WriteFile(path, []byte(text), 0o644)
}

const faultsIntro = `# Faults

How the cluster behaves under faults, measured by the fault harness
(` + "`make faults`" + `, package loadtest/faults): three nodes, each in its own network
namespace, share a private PostgreSQL; a flash sale runs through every
gateway while a nemesis injects one fault on a schedule; then the fault is
healed, the harness waits for every gateway to answer again, and the
load-test audit (no seat twice, every acknowledged booking confirmed, money
balances, holds expire on time) and porcupine over every seat judge the run.
`
