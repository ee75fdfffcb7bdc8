package main_test

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMetricsJournal: a node's /metrics (on its ops listener) carries the seat journal's
// committer counters, and a hold moves them.
func TestMetricsJournal(t *testing.T) {
	n := startNode(t, t.TempDir())
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "AB", 5)

	before := journalMetric(t, n.OpsURL, "boxoffice_journal_events_total")
	alice := registerUser(t, n.URL, "alice@example.com")
	alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1"}}, nil)
	require.Greater(t, journalMetric(t, n.OpsURL, "boxoffice_journal_events_total"), before)
	require.GreaterOrEqual(t, journalMetric(t, n.OpsURL, "boxoffice_journal_writes_total"), 1.0)
	require.Zero(t, journalMetric(t, n.OpsURL, "boxoffice_journal_busy_total"))
}

func journalMetric(t *testing.T, opsURL, name string) float64 {
	t.Helper()
	res, err := http.Get(opsURL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	require.NotNil(t, m, "%s missing from /metrics", name)
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(t, err)
	return v
}
