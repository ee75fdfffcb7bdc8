package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The engine-alone figures: BenchmarkHoldsOnPostgres (actors/) drives the
// showtime grain and the conditional-UPDATE baseline in process, with no
// HTTP, 64 clients each on a seat of its own, one sub-benchmark per
// approach and number of showtimes. The bench runs the grain and
// sql-update cases over 1 and 100 showtimes (8, the spread the benchmark
// had before 100, when 100 is missing) and reads holds/s.
const engineBenchPattern = `HoldsOnPostgres/^(grain|sql-update)$/^showtimes=(1|8|100)$`

// engineSample is one holds/s figure of one sub-benchmark.
type engineSample struct {
	Approach  string // grain or sql-update
	Showtimes int
	HoldsPS   float64
}

var reEngineLine = regexp.MustCompile(`^BenchmarkHoldsOnPostgres/([a-z-]+)/showtimes=(\d+)(?:-\d+)?\s+\d+\s.*?\s([0-9.e+]+) holds/s`)

// parseEngineBench reads the holds/s of each sub-benchmark line of `go
// test -bench` output, in order (with -count N, N lines per case).
func parseEngineBench(out string) []engineSample {
	var s []engineSample
	for _, line := range strings.Split(out, "\n") {
		m := reEngineLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		n, err1 := strconv.Atoi(m[2])
		v, err2 := strconv.ParseFloat(m[3], 64)
		if err1 == nil && err2 == nil {
			s = append(s, engineSample{Approach: m[1], Showtimes: n, HoldsPS: v})
		}
	}
	return s
}

// engineRatios pairs the samples of the grain and sql-update on the same
// number of showtimes, run by run (the i-th sample of each): grain/sql.
func engineRatios(samples []engineSample, showtimes int) []float64 {
	var grain, sql []float64
	for _, s := range samples {
		if s.Showtimes != showtimes {
			continue
		}
		switch s.Approach {
		case "grain":
			grain = append(grain, s.HoldsPS)
		case "sql-update":
			sql = append(sql, s.HoldsPS)
		}
	}
	out := make([]float64, min(len(grain), len(sql)))
	for i := range out {
		out[i] = ratio(grain[i], sql[i])
	}
	return out
}

// runEngineBench runs the benchmark with -count runs and returns its
// samples and the command line.
func runEngineBench(ctx context.Context, goBin, databaseURL string, runs int, benchtime time.Duration) ([]engineSample, string, error) {
	args := []string{"test", "-run", "^$", "-bench", engineBenchPattern, "-benchtime", benchtime.String(),
		"-count", strconv.Itoa(runs), "./actors/"}
	line := "BOXOFFICE_TEST_DATABASE_URL=$DATABASE_URL go " + strings.Join(quoteArgs(args), " ")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Env = append(os.Environ(), "BOXOFFICE_TEST_DATABASE_URL="+databaseURL)
	out, err := cmd.CombinedOutput()
	fmt.Fprint(os.Stderr, string(out))
	if err != nil {
		return nil, line, fmt.Errorf("%s: %w", line, err)
	}
	return parseEngineBench(string(out)), line, nil
}

// quoteArgs single-quotes the arguments a shell would otherwise expand.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|()*? ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}
