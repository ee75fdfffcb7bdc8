package loadtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/loadtest"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

// TestLoadtest drives a real node (embedded store, 2 s hold TTL) for a few
// seconds per scenario and checks that the harness works end to end and
// that its audit passes on a correct server. It asserts no figure: the
// machine running the tests may be slow or busy.
func TestLoadtest(t *testing.T) {
	n := MustStartNode(t, "--hold-ttl", "2s")

	t.Run("CommandFlashSale", func(t *testing.T) {
		dir := t.TempDir()
		jsonPath, htmlPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
		// The same node twice: the targets are used in turn.
		cmd := exec.Command(binary, "loadtest", "--target", n.URL+","+n.URL, "--scenario", "flash-sale", "--duration", "2s",
			"--connections", "8", "--seats", "20", "--hold-ttl-check", "--quiet", "--out", jsonPath, "--html", htmlPath, "--data", n.DataDir)
		cmd.Env = append(os.Environ(), "BOXOFFICE_ADMIN_EMAIL="+adminEmail, "BOXOFFICE_ADMIN_PASSWORD="+adminPassword)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "boxoffice loadtest:\n%s", out)
		require.Contains(t, string(out), "invariants: ok")

		var report map[string]any
		b, err := os.ReadFile(jsonPath)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &report))
		for _, k := range []string{"scenario", "duration_s", "requests", "throughput_rps", "latency_ms", "outcomes", "invariants", "operations"} {
			require.Contains(t, report, k)
		}
		for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
			require.Contains(t, report["latency_ms"], k)
		}
		require.Equal(t, "flash-sale", report["scenario"])
		require.Positive(t, report["requests"])
		inv := report["invariants"].(map[string]any)
		require.Equal(t, true, inv["ok"])
		require.Len(t, inv["checks"], 7, "six invariants and run_completed")
		for _, c := range inv["checks"].([]any) {
			c := c.(map[string]any)
			switch c["name"] {
			case loadtest.CheckLinearizableSeats, loadtest.CheckHoldsExpireOnTime, loadtest.CheckAcknowledgedConfirmed, loadtest.CheckMoneyBalances:
				// --data: the store audit reads the payments' amounts.
				require.Equal(t, "ok", c["status"], "%v", c)
				require.Equal(t, true, c["required"], "%v", c)
				require.Zero(t, c["undecided"], "%v", c)
				require.Positive(t, c["decided"], "%v", c)
			}
		}
		require.Contains(t, report["operations"], "hold")
		require.Contains(t, report["operations"], "book")

		html, err := os.ReadFile(htmlPath)
		require.NoError(t, err)
		require.Contains(t, string(html), "<svg")
	})

	t.Run("MixedWithStoreAudit", func(t *testing.T) {
		stores, err := sqlite.Open(context.Background(), n.DataDir)
		require.NoError(t, err)
		defer stores.Close()
		r := mustRun(t, loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioMixed, Duration: 2 * time.Second,
			Connections: 8, Seats: 40, Showtimes: 2, Stores: stores})
		require.Positive(t, r.Operations[loadtest.OpHold].Requests)
		for _, c := range r.Invariants.Checks[:4] {
			require.Contains(t, c.Detail, "store:", c.Name)
		}
		money := checksByName(r.Invariants.Checks)[loadtest.CheckMoneyBalances]
		require.Equal(t, loadtest.StatusOK, money.Status, "the store shows the amounts: %s", money.Detail)
		require.True(t, money.Required)
		require.Positive(t, money.Decided)
	})

	t.Run("HoldContentionOpenLoop", func(t *testing.T) {
		r := mustRun(t, loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioHoldContention,
			Duration: 2 * time.Second, Connections: 8, Rate: 200, Seats: 20})
		require.Equal(t, "open", r.Mode)
		require.Positive(t, r.Operations[loadtest.OpHold].Outcomes["409"])
		require.Positive(t, r.Operations[loadtest.OpHealth].Outcomes["200"])
		require.Contains(t, r.Figures, "hold_rps")
		require.NotNil(t, r.Operations[loadtest.OpHold].ServiceMs, "open loop reports service times")
	})

	t.Run("HoldRelease", func(t *testing.T) {
		r := mustRun(t, loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioHoldRelease,
			Duration: 2 * time.Second, Connections: 8})
		require.GreaterOrEqual(t, r.SeatsPerShow, 8, "a seat per connection when --seats is not given")
		hold, release := r.Operations[loadtest.OpHold], r.Operations[loadtest.OpRelease]
		require.Positive(t, hold.Outcomes["201"])
		require.Zero(t, hold.Outcomes["409"], "no worker finds its own seat taken")
		require.EqualValues(t, hold.Outcomes["201"], release.Outcomes["204"], "every hold is released")
		require.EqualValues(t, hold.Outcomes["201"], r.Figures["holds"])
		require.Positive(t, r.Figures["holds_rps"])
		require.Equal(t, 1, r.Showtimes, "one showtime unless --showtimes is given")

		// Spread over showtimes: still a seat of its own per connection, so
		// no hold is refused and every hold is released.
		r = mustRun(t, loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioHoldRelease,
			Duration: 2 * time.Second, Connections: 8, Showtimes: 5})
		require.Equal(t, 5, r.Showtimes)
		hold, release = r.Operations[loadtest.OpHold], r.Operations[loadtest.OpRelease]
		require.Positive(t, hold.Outcomes["201"])
		require.Zero(t, hold.Outcomes["409"], "no worker finds its own seat taken on any showtime")
		require.EqualValues(t, hold.Outcomes["201"], release.Outcomes["204"])
		require.Zero(t, r.Operations[loadtest.OpSeatMap].Requests, "setup's seat map reads are not counted")

		// Scale: one phase per step; every phase holds (each connection on
		// its own seat) and the report draws the curve.
		dir := t.TempDir()
		r = mustRun(t, loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioScale,
			Duration: 2 * time.Second, Connections: 8, ScaleSteps: []int{1, 3}})
		require.Equal(t, 3, r.Showtimes)
		hold, release = r.Operations[loadtest.OpHold], r.Operations[loadtest.OpRelease]
		require.Zero(t, hold.Outcomes["409"])
		require.EqualValues(t, hold.Outcomes["201"], release.Outcomes["204"])
		points := loadtest.ScalePoints(r.Figures)
		require.Len(t, points, 2)
		require.Equal(t, []int{1, 3}, []int{points[0].Showtimes, points[1].Showtimes})
		require.Positive(t, points[0].HoldsRPS)
		require.Positive(t, points[1].HoldsRPS)
		require.NoError(t, r.WriteHTML(filepath.Join(dir, "scale.html")))
		html, err := os.ReadFile(filepath.Join(dir, "scale.html"))
		require.NoError(t, err)
		require.Contains(t, string(html), "Durable holds/s by the number of showtimes")

		_, err = loadtest.Run(context.Background(), loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioHoldRelease,
			Duration: time.Second, Connections: 8, Seats: 4, AdminEmail: adminEmail, AdminPassword: adminPassword})
		require.ErrorContains(t, err, "fewer than --connections")
	})
}

// mustRun runs a load test with the test admin and requires every
// invariant to hold.
func mustRun(t *testing.T, cfg loadtest.Config) *loadtest.Report {
	t.Helper()
	cfg.AdminEmail, cfg.AdminPassword = adminEmail, adminPassword
	r, err := loadtest.Run(context.Background(), cfg)
	require.NoError(t, err)
	var sb strings.Builder
	r.WriteSummary(&sb)
	require.True(t, r.Invariants.OK, "invariants failed:\n%s", sb.String())
	require.Positive(t, r.Requests)
	return r
}

// TestOpenLoopCountsQueueing proves that the open loop measures latency
// from each arrival's intended send time: a server that takes 20 ms per
// request, driven at 100 arrivals/s through one connection, can serve only
// 50/s, so arrivals queue and the late ones wait about a second. A closed
// loop would report 20 ms; the open loop must report the wait.
func TestOpenLoopCountsQueueing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioHealthz,
		Duration: time.Second, Connections: 1, Rate: 100})
	require.NoError(t, err)
	require.Equal(t, int64(100), r.Requests, "exactly rate x duration arrivals")
	require.Greater(t, r.LatencyMs.Max, 400.0, "the last arrivals waited behind the first ones")
	require.Greater(t, r.DurationS, 1.5, "the run lasted until the queue drained")
}

// TestLoadtestWithHoldCaps drives a node with its hold caps on (the
// product's defaults): the scenarios spread over enough buyers, and the
// mixed scenario's buyers leave the seats they gave up alone for the
// cool-down, so the caps refuse none of their holds; hold-release, which
// holds again the seat it has just released, stops and says to switch the
// caps off.
func TestLoadtestWithHoldCaps(t *testing.T) {
	n := MustStartNode(t, "--hold-ttl", "2s", "--hold-caps", "on")
	for _, tc := range []struct {
		scenario string
		cfg      loadtest.Config
	}{
		{loadtest.ScenarioFlashSale, loadtest.Config{Connections: 8, Seats: 20}},
		{loadtest.ScenarioSteady, loadtest.Config{Connections: 8, Seats: 40, Showtimes: 2}},
		{loadtest.ScenarioMixed, loadtest.Config{Connections: 8, Seats: 40, Showtimes: 2}},
		{loadtest.ScenarioHoldContention, loadtest.Config{Connections: 8, Seats: 20}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Targets, cfg.Scenario, cfg.Duration = []string{n.URL}, tc.scenario, 2*time.Second
			r := mustRun(t, cfg)
			require.Empty(t, r.StoppedEarly)
			hold := r.Operations[loadtest.OpHold]
			require.Positive(t, hold.Requests)
			require.Zero(t, r.Figures["holds_capped"], "holds refused by a cap")
			if tc.scenario == loadtest.ScenarioSteady {
				require.Positive(t, r.Figures["bookings"])
				require.InDelta(t, r.Figures["bookings"]/r.DurationS, r.Figures["bookings_rps"], 1e-6)
				require.LessOrEqual(t, r.Figures["bookings"], r.Figures["seats_booked"])
			}
		})
	}
	t.Run(loadtest.ScenarioHoldRelease, func(t *testing.T) {
		// The run stops early, which fails it; the invariants themselves hold.
		r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{n.URL}, Scenario: loadtest.ScenarioHoldRelease,
			Duration: 2 * time.Second, Connections: 8, AdminEmail: adminEmail, AdminPassword: adminPassword})
		require.NoError(t, err)
		require.Contains(t, r.StoppedEarly, "BOXOFFICE_HOLD_CAPS=off")
		require.False(t, r.Invariants.OK)
		require.Equal(t, []string{"run_completed (failed)"}, r.Invariants.Failing())
		require.Contains(t, checksByName(r.Invariants.Checks)[loadtest.CheckRunCompleted].Detail, "BOXOFFICE_HOLD_CAPS=off")
	})
}
