package actors_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
)

// TestMetricsHolds proves the engine counts each hold request by its
// result, the showtime grain's activation and the journal's writes, and
// that every result's series is there from the start (at zero): a hold, a
// hold of the same seat (conflict), a hold of a seat the hall does not
// have (rejected).
func TestMetricsHolds(t *testing.T) {
	m := actors.NewMetrics()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	for _, result := range []string{"ok", "conflict", "limited", "rejected", "unavailable", "error"} {
		require.Zero(t, series(t, reg, "boxoffice_holds_total", "result", result), result)
	}
	e := MustOpenShowtimes(t, ShowtimeOptions{Metrics: m})
	ctx := testCtx(t)
	_, err := e.Holds().Hold(ctx, e.ShowtimeID, "u1", []string{"A1"})
	require.NoError(t, err)
	_, err = e.Holds().Hold(ctx, e.ShowtimeID, "u2", []string{"A1"})
	mustCode(t, err, boxoffice.ECONFLICT)
	_, err = e.Holds().Hold(ctx, e.ShowtimeID, "u2", []string{"Z99"})
	mustCode(t, err, boxoffice.EINVALID)

	for result, want := range map[string]float64{"ok": 1, "conflict": 1, "rejected": 1, "limited": 0, "unavailable": 0, "error": 0} {
		require.Equal(t, want, series(t, reg, "boxoffice_holds_total", "result", result), result)
	}
	require.Equal(t, 1.0, series(t, reg, "boxoffice_grain_activations_total", "kind", actors.KindShowtime))
	require.Zero(t, series(t, reg, "boxoffice_grain_activations_total", "kind", actors.KindBooking))
	writes := float64(e.Engine.JournalStats().Writes)
	require.GreaterOrEqual(t, writes, 1.0)
	require.Equal(t, writes, series(t, reg, "boxoffice_journal_flush_events", "", ""), "one observation a write")
	require.Equal(t, writes, series(t, reg, "boxoffice_journal_flush_seconds", "", ""))
	require.Zero(t, e.Engine.JournalQueue())
}

// series is the value of the series of name whose label is value (label
// "": the first series) in reg: a counter's value or a histogram's count.
func series(tb testing.TB, reg *prometheus.Registry, name, label, value string) float64 {
	tb.Helper()
	families, err := reg.Gather()
	require.NoError(tb, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() != value {
					continue metrics
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	tb.Fatalf("%s{%s=%q} not gathered", name, label, value)
	return 0
}
