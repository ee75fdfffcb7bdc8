package main_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestMetricsJournal: a node's /metrics carries the seat journal's
// committer counters, and a hold moves them.
func TestMetricsJournal(t *testing.T) {
	n := startNode(t, t.TempDir())
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "AB", 5)

	before := scrape(t, n.OpsURL).value("boxoffice_journal_events_total")
	alice := registerUser(t, n.URL, "alice@example.com")
	alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1"}}, nil)
	after := scrape(t, n.OpsURL)
	require.Greater(t, after.value("boxoffice_journal_events_total"), before)
	require.GreaterOrEqual(t, after.value("boxoffice_journal_writes_total"), 1.0)
	require.Zero(t, after.value("boxoffice_journal_busy_total"))
}

// domainMetrics are the series an operator runs a node on (README,
// "Metrics"): each must be on /metrics from the start, before anything
// happened, so that dashboards and alerts never see them missing.
var domainMetrics = []string{
	"boxoffice_holds_total", "boxoffice_bookings_total", "boxoffice_saga_step_seconds", "boxoffice_payments_total",
	"boxoffice_grains_active", "boxoffice_grain_activations_total", "boxoffice_journal_flush_events",
	"boxoffice_journal_flush_seconds", "boxoffice_journal_queue_depth", "boxoffice_journal_queue_capacity", "boxoffice_notifications_total",
	"boxoffice_cluster_members", "boxoffice_node_fenced", "boxoffice_sse_streams", "boxoffice_journal_writes_total",
	"boxoffice_outbox_backlog", "boxoffice_outbox_oldest_seconds", "boxoffice_events_published_total", "boxoffice_events_publish_failures_total",
}

// TestMetricsDomain drives one of each outcome through the API of a real
// node (a hold, a hold refused, a declined card, a booking paid with the
// simulated card, its cancellation) and reads the counters they must move
// on the ops listener's /metrics, which the API port does not serve.
func TestMetricsDomain(t *testing.T) {
	n := startNode(t, t.TempDir())
	start := scrape(t, n.OpsURL)
	for _, name := range domainMetrics {
		require.True(t, start.has(name), "%s missing from a fresh node's /metrics", name)
	}
	res, err := http.Get(n.URL + "/metrics")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "the API port serves no /metrics")
	res, err = http.Get(n.OpsURL + "/debug/pprof/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode, "no profiles without --ops-pprof")
	testwait.Until(t, 5*time.Second, "the banner", func() bool {
		return strings.Contains(n.Output(), "Metrics:  "+n.OpsURL+"/metrics")
	})

	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "AB", 5)
	alice := registerUser(t, n.URL, "alice@example.com")
	bob := registerUser(t, n.URL, "bob@example.com")
	var hold struct {
		HoldID string `json:"hold_id"`
	}
	before := scrape(t, n.OpsURL)
	alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1", "A2"}}, &hold)
	bob.must(409, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A2"}}, nil)
	alice.must(422, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_decline"}}, nil)
	var booking bookingJSON
	alice.must(201, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &booking)
	alice.must(200, "POST", "/api/v1/bookings/"+booking.ID+"/cancel", nil, nil)

	// Notifications go out after the answers, from the notification actor:
	// the confirmation and the cancellation (a declined card refunds
	// nothing and notifies no one).
	var after reading
	testwait.Until(t, 10*time.Second, "two notifications delivered", func() bool {
		after = scrape(t, n.OpsURL)
		return after.delta(before, "boxoffice_notifications_total", "result", "delivered") >= 2
	})
	for _, c := range []struct {
		name, label, value string
		want               float64
	}{
		{"boxoffice_holds_total", "result", "ok", 1},
		{"boxoffice_holds_total", "result", "conflict", 1},
		{"boxoffice_bookings_total", "status", "confirmed", 1},
		{"boxoffice_bookings_total", "status", "failed", 1},
		{"boxoffice_bookings_total", "status", "cancelled", 1},
		{"boxoffice_payments_total", "result", "captured", 1},
		{"boxoffice_payments_total", "result", "declined", 1},
		{"boxoffice_payments_total", "result", "refunded", 1},
		{"boxoffice_payments_total", "result", "error", 0},
		{"boxoffice_notifications_total", "result", "dropped", 0},
		{"boxoffice_saga_step_seconds", "step", "claim", 2},
		{"boxoffice_saga_step_seconds", "step", "charge", 2},
		{"boxoffice_saga_step_seconds", "step", "confirm_seats", 1},
		{"boxoffice_saga_step_seconds", "step", "refund", 1},
		{"boxoffice_saga_step_seconds", "step", "free_seats", 2},
	} {
		require.Equal(t, c.want, after.delta(before, c.name, c.label, c.value), "%s{%s=%q}", c.name, c.label, c.value)
	}
	require.GreaterOrEqual(t, after.delta(before, "boxoffice_grain_activations_total", "kind", "booking"), 2.0)
	require.GreaterOrEqual(t, after.delta(start, "boxoffice_grain_activations_total", "kind", "showtime"), 1.0)
	require.GreaterOrEqual(t, after.get("boxoffice_grains_active", "kind", "showtime"), 1.0)
	require.GreaterOrEqual(t, after.delta(before, "boxoffice_journal_flush_events", "", ""), 1.0)
	require.GreaterOrEqual(t, after.delta(before, "boxoffice_journal_flush_seconds", "", ""), 1.0)
	require.Equal(t, 1.0, after.value("boxoffice_cluster_members"), "a node on the embedded store is a cluster of one")
	require.Zero(t, after.value("boxoffice_node_fenced"))
	require.Zero(t, after.value("boxoffice_sse_streams"))
	require.Zero(t, after.value("boxoffice_journal_queue_depth"), "nothing waits once every answer is in")
}

// reading is one scrape of a node's /metrics.
type reading struct {
	t testing.TB
	f map[string]*dto.MetricFamily
}

func scrape(t testing.TB, opsURL string) reading {
	t.Helper()
	res, err := http.Get(opsURL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	f, err := parser.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return reading{t: t, f: f}
}

// has reports whether the metric name is there.
func (r reading) has(name string) bool { return r.f[name] != nil }

// get is the value of the series of name whose label is value (label ""
// takes the first series): a counter's or gauge's value, a histogram's
// count. A series that is not there fails the test.
func (r reading) get(name, label, value string) float64 {
	r.t.Helper()
	for _, m := range r.f[name].GetMetric() {
		if label != "" && !hasLabel(m, label, value) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	r.t.Fatalf("%s{%s=%q} missing from /metrics", name, label, value)
	return 0
}

// value is get of a series without labels.
func (r reading) value(name string) float64 {
	r.t.Helper()
	return r.get(name, "", "")
}

// delta is how much a series moved since before.
func (r reading) delta(before reading, name, label, value string) float64 {
	r.t.Helper()
	return r.get(name, label, value) - before.get(name, label, value)
}

func hasLabel(m *dto.Metric, label, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == label {
			return l.GetValue() == value
		}
	}
	return false
}
