package loadtest

import (
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func validConfig(scenario string) Config {
	return Config{Targets: []string{"http://127.0.0.1:8080"}, Scenario: scenario, AdminEmail: "a@b.c", AdminPassword: "pw"}
}

// TestShowtimesDefaults: hold-release is a one-showtime flash sale unless
// --showtimes says otherwise; the other scenarios keep 10.
func TestShowtimesDefaults(t *testing.T) {
	for scenario, want := range map[string]int{ScenarioHoldRelease: 1, ScenarioSteady: 10, ScenarioMixed: 10, ScenarioScale: 10} {
		if got := validConfig(scenario).withDefaults().Showtimes; got != want {
			t.Errorf("%s: showtimes %d, want %d", scenario, got, want)
		}
	}
	c := validConfig(ScenarioHoldRelease)
	c.Showtimes = 100
	if got := c.withDefaults().Showtimes; got != 100 {
		t.Errorf("hold-release --showtimes 100: got %d", got)
	}
}

// TestOwnSeatDefaults: the scenarios that give each connection a seat of
// its own get a hall of at least one seat per connection by default.
func TestOwnSeatDefaults(t *testing.T) {
	for _, scenario := range []string{ScenarioHoldRelease, ScenarioScale} {
		c := validConfig(scenario)
		c.Connections = 128
		if got := c.withDefaults().Seats; got != 128 {
			t.Errorf("%s with 128 connections: %d seats", scenario, got)
		}
	}
	c := validConfig(ScenarioFlashSale)
	c.Connections = 128
	if got := c.withDefaults().Seats; got != 50 {
		t.Errorf("flash-sale: %d seats, want its default 50", got)
	}
}

func TestValidateShowtimesAndScenario(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"scale", func(c *Config) { c.Scenario = ScenarioScale }, ""},
		{"hold-release 1000 showtimes", func(c *Config) { c.Scenario, c.Showtimes = ScenarioHoldRelease, 1000 }, ""},
		{"too many showtimes", func(c *Config) { c.Scenario, c.Showtimes = ScenarioHoldRelease, 1001 }, "showtimes must be between"},
		{"negative showtimes", func(c *Config) { c.Scenario, c.Showtimes = ScenarioSteady, -1 }, "showtimes must be between"},
		{"unknown scenario", func(c *Config) { c.Scenario = "scales" }, "unknown scenario"},
		{"scale steps", func(c *Config) { c.Scenario, c.ScaleSteps = ScenarioScale, []int{1, 3} }, ""},
		{"scale steps not ascending", func(c *Config) { c.Scenario, c.ScaleSteps = ScenarioScale, []int{10, 3} }, "scale steps"},
		{"scale step too wide", func(c *Config) { c.Scenario, c.ScaleSteps = ScenarioScale, []int{1, 1001} }, "scale steps"},
		{"scale step zero", func(c *Config) { c.Scenario, c.ScaleSteps = ScenarioScale, []int{0, 1} }, "scale steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig(ScenarioSteady)
			tc.edit(&c)
			err := c.withDefaults().Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestScalePhases: each hold counts in the phase its step began in, each
// phase's rate divides by that phase's own time, and the last phase runs
// until the load ends.
func TestScalePhases(t *testing.T) {
	start := time.Unix(1000, 0)
	s := &scale{env: &Env{start: start}, steps: ScaleSteps, phase: 2 * time.Second, held: make([]atomic.Int64, len(ScaleSteps))}
	for at, want := range map[time.Duration]int{0: 0, 1999 * time.Millisecond: 0, 2 * time.Second: 1, 5 * time.Second: 2,
		7 * time.Second: 3, 30 * time.Second: 3, -time.Second: 0} {
		if got := s.phaseAt(start.Add(at)); got != want {
			t.Errorf("phaseAt(+%s) = %d, want %d", at, got, want)
		}
	}
	for k, n := range []int64{1000, 2000, 3000, 1500} {
		s.held[k].Store(n)
	}
	f := s.figures(9 * time.Second) // the last phase drained for 3 s
	want := map[string]float64{"holds_rps_showtimes_1": 500, "holds_rps_showtimes_10": 1000,
		"holds_rps_showtimes_100": 1500, "holds_rps_showtimes_1000": 500, ScaleRatioFigure: 0.5, "phase_s": 2}
	for k, v := range want {
		if math.Abs(f[k]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, f[k], v)
		}
	}
	if got := (Config{Scenario: ScenarioScale}).withDefaults().ScaleSteps; !slices.Equal(got, []int{1, 10, 100, 1000}) {
		t.Errorf("default steps %v", got)
	}
	if got := ScalePoints(f); len(got) != 4 || got[0] != (ScalePoint{1, 500}) || got[3] != (ScalePoint{1000, 500}) {
		t.Errorf("ScalePoints = %v", got)
	}
	// A run stopped in the second phase has no figure for the phases it
	// never reached, and no ratio.
	f = s.figures(3 * time.Second)
	if _, ok := f["holds_rps_showtimes_100"]; ok {
		t.Errorf("a phase never reached has a figure: %v", f)
	}
	if _, ok := f[ScaleRatioFigure]; ok {
		t.Errorf("ratio without its phases: %v", f)
	}
}
