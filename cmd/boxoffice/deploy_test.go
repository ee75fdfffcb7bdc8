package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// The operator files of deploy/ that query a node's metrics.
var (
	deployRules     = filepath.Join("..", "..", "deploy", "prometheus", "rules", "boxoffice.yml")
	deployDashboard = filepath.Join("..", "..", "deploy", "grafana", "dashboards", "boxoffice.json")
)

// metricName is a series name the product exports: its own, Go's and the
// process's.
var metricName = regexp.MustCompile(`\b(?:boxoffice|go|process)_[a-z0-9_]+\b`)

// TestDeployNamesMetricsThatExist: every metric that the alert rules and
// the Grafana dashboard of deploy/ name is served by a node's ops
// listener, so that no panel stays empty and no alert waits on a series
// that never comes.
func TestDeployNamesMetricsThatExist(t *testing.T) {
	// On PostgreSQL, as deployed: the pools' series exist only there.
	m := mustStartMain(t, "d1", pgtest.MustTestConfig(t), true)
	// The HTTP series appear with their first request.
	res, err := http.Get(m.HTTP.URL() + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	served := servedMetrics(t, m.OpsURL())
	var rules []byte

	rules, err = os.ReadFile(deployRules)
	require.NoError(t, err)
	named := map[string][]string{}
	for _, line := range strings.Split(string(rules), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // comments name files, not metrics
		}
		for _, name := range metricName.FindAllString(line, -1) {
			named[name] = append(named[name], "alert rules")
		}
	}
	b, err := os.ReadFile(deployDashboard)
	require.NoError(t, err)
	var dash any
	require.NoError(t, json.Unmarshal(b, &dash))
	exprs := dashboardExprs(dash)
	require.NotEmpty(t, exprs, "no query found in the dashboard")
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			named[name] = append(named[name], "dashboard")
		}
	}
	// The files name the main series of each part; fewer would mean the
	// name pattern no longer matches them.
	require.GreaterOrEqual(t, len(named), 15, "metric names found in deploy/: %v", named)

	var missing []string
	for name, where := range named {
		if !served[name] {
			slices.Sort(where)
			missing = append(missing, name+" (in the "+strings.Join(slices.Compact(where), ", ")+")")
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "deploy/ names metrics that the node does not serve")
}

// servedMetrics is every series name on the node's /metrics, histograms'
// _bucket, _sum and _count series included.
func servedMetrics(t *testing.T, opsURL string) map[string]bool {
	t.Helper()
	res, err := http.Get(opsURL + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	served := map[string]bool{}
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			served[f[2]] = true
			switch f[3] {
			case "histogram":
				served[f[2]+"_bucket"], served[f[2]+"_sum"], served[f[2]+"_count"] = true, true, true
			case "summary":
				served[f[2]+"_sum"], served[f[2]+"_count"] = true, true
			}
		}
	}
	require.NotEmpty(t, served, "no # TYPE line on /metrics")
	return served
}

// dashboardExprs collects every "expr" of the dashboard's panels.
func dashboardExprs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "expr" {
				out = append(out, s)
				continue
			}
			out = append(out, dashboardExprs(x)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, dashboardExprs(x)...)
		}
	}
	return out
}
