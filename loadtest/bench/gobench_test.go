package main

import (
	"math"
	"testing"
)

const engineOutput = `goos: linux
goarch: amd64
pkg: github.com/boxoffice/boxoffice/actors
cpu: AMD EPYC
BenchmarkHoldsOnPostgres/grain/showtimes=1-2         	   45000	    111111 ns/op	      8982 holds/s	        61.00 cpu-us/op	        40.00 pg-cpu-us/op	        31.90 events/flush	         1.550 flush-ms
BenchmarkHoldsOnPostgres/grain/showtimes=100-2       	   14000	    360000 ns/op	      2772 holds/s	       177.0 cpu-us/op
BenchmarkHoldsOnPostgres/sql-update/showtimes=1-2    	    9000	    576000 ns/op	      1736 holds/s	       132.0 cpu-us/op
BenchmarkHoldsOnPostgres/sql-update/showtimes=100-2  	   20000	    250000 ns/op	      4000 holds/s
BenchmarkHoldsOnPostgres/grain/showtimes=1-2         	   45000	    111111 ns/op	      9000 holds/s
BenchmarkHoldsOnPostgres/sql-update/showtimes=1-2    	    9000	    576000 ns/op	      1800 holds/s
BenchmarkHoldsOnPostgres/sql-select-for-update/showtimes=1-2    	    9000	    576000 ns/op	      1000 holds/s
BenchmarkShowtimeHold-2   	  100	  1 ns/op	 5e+04 holds/s
PASS
`

func TestParseEngineBench(t *testing.T) {
	s := parseEngineBench(engineOutput)
	if len(s) != 7 {
		t.Fatalf("%d samples: %+v", len(s), s)
	}
	if s[0] != (engineSample{"grain", 1, 8982}) || s[3] != (engineSample{"sql-update", 100, 4000}) || s[6].Approach != "sql-select-for-update" {
		t.Fatalf("samples: %+v", s)
	}
	r1 := engineRatios(s, 1)
	if len(r1) != 2 || math.Abs(r1[0]-8982.0/1736) > 1e-9 || math.Abs(r1[1]-5) > 1e-9 {
		t.Fatalf("ratios over 1 showtime: %v", r1)
	}
	if r := engineRatios(s, 100); len(r) != 1 || math.Abs(r[0]-0.693) > 1e-9 {
		t.Fatalf("ratios over 100: %v", r)
	}
	if r := engineRatios(s, 8); len(r) != 0 {
		t.Fatalf("ratios with no sample: %v", r)
	}
}

func TestQuoteArgs(t *testing.T) {
	got := quoteArgs([]string{"test", "-run", "^$", "./actors/"})
	if got[2] != "'^$'" || got[3] != "./actors/" {
		t.Fatalf("%q", got)
	}
}
