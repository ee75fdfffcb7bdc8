package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFaultsMDKeepsOtherSections: the table goes between its markers, a
// second write replaces the first, and what lies outside (another
// section, the introduction) is kept word for word.
func TestFaultsMDKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "FAULTS.md")
	if err := updateFaultsMD(path, "first table\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Faults") || !strings.Contains(string(b), markBegin+"\nfirst table\n"+markEnd) {
		t.Fatalf("new file:\n%s", b)
	}
	soak := "<!-- soak:begin -->\nsoak curves\n<!-- soak:end -->\n"
	if err := os.WriteFile(path, append(b, soak...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateFaultsMD(path, "second table\n"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	s := string(b)
	if strings.Contains(s, "first table") || !strings.Contains(s, markBegin+"\nsecond table\n"+markEnd) || !strings.HasSuffix(s, soak) {
		t.Fatalf("second write:\n%s", s)
	}
}

// TestSummarize: a row counts operations and violations over the runs,
// takes the recovery median and max of the runs that recovered, and
// counts the others as not recovered; a run with a violation, an error, a
// node that did not recover or a skipped fault does not pass.
func TestSummarize(t *testing.T) {
	runs := []RunResult{
		{Seed: 1, OK: 10, Fail: 2, Unknown: 1, Recover: time.Second},
		{Seed: 2, OK: 5, Recover: 3 * time.Second},
		{Seed: 3, OK: 1, NotRecovered: []string{"faults-n1"}},
		{Seed: 4, OK: 1, Recover: 2 * time.Second, Violations: []string{"linearizable_seats: ..."}, WritesAlone: "ok"},
	}
	r := summarize("x", runs)
	if r.runs != 4 || r.ok != 17 || r.fail != 2 || r.unknown != 1 || r.violations != 1 || r.notRecovered != 1 || r.staleReadRuns != 1 {
		t.Fatalf("row %+v", r)
	}
	if got := r.recoverText(); got != "2.0 s / 3.0 s" {
		t.Fatalf("recover %q", got)
	}
	if r.passed() {
		t.Fatal("a row with a violation passed")
	}
	if summarize("x", runs[:3]).passed() {
		t.Fatal("a row with a node that never recovered passed")
	}
	if !summarize("x", runs[:2]).passed() {
		t.Fatal("a row of clean, recovered runs did not pass")
	}
	if summarize("x", []RunResult{{Skipped: "404"}}).passed() {
		t.Fatal("a skipped nemesis passed")
	}
}

// TestFaultsRowsReplaced: a run of some nemeses replaces their rows and
// keeps the others and the disk-full line.
func TestFaultsRowsReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "FAULTS.md")
	var b strings.Builder
	writeTable(&b, []row{summarize("a", []RunResult{{OK: 1}}), summarize("b", []RunResult{{OK: 2}})})
	b.WriteString("| disk-full | elsewhere |\n")
	if err := updateFaultsMD(path, b.String()); err != nil {
		t.Fatal(err)
	}
	if err := updateFaultsRows(path, []row{summarize("b", []RunResult{{OK: 7}, {OK: 1}}), summarize("c", []RunResult{{OK: 3}})}, "again"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	s := string(got)
	for _, want := range []string{"| a | 1 | 1 |", "| b | 2 | 8 |", "again |", "| c | 1 | 3 |", "| disk-full | elsewhere |"} {
		if !strings.Contains(s, want) {
			t.Fatalf("%q missing:\n%s", want, s)
		}
	}
	if strings.Contains(s, "| b | 1 | 2 |") || strings.Index(s, "| c |") > strings.Index(s, "| disk-full |") {
		t.Fatalf("old row kept or new row misplaced:\n%s", s)
	}
}
