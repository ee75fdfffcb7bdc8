package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestMetricsGrainsAndPools: /metrics (on the ops listener) counts the live grains (a seat map
// read activates a showtime grain) and shows each service's PostgreSQL
// pool, the series the soak watches for growth.
func TestMetricsGrainsAndPools(t *testing.T) {
	m := mustStartMain(t, "m1", pgtest.MustTestConfig(t), true)
	url := m.OpsURL()
	if got := metricValue(t, url, `boxoffice_db_connections{service="seats",state="max"}`); got != 4 {
		t.Fatalf("seats pool max = %v, want the URL's pool_max_conns 4", got)
	}
	if got := metricValue(t, url, `boxoffice_db_connections{service="users",state="open"}`); got < 1 {
		t.Fatalf("users pool open = %v: the admin bootstrap used it", got)
	}
	before := metricValue(t, url, `boxoffice_grains_active{kind="showtime"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := futureShowtimes(t, m)
	for _, id := range ids[:3] {
		if _, err := m.Engine.Showtimes().SeatMap(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	testwait.Until(t, 5*time.Second, "three more showtime grains", func() bool {
		return metricValue(t, url, `boxoffice_grains_active{kind="showtime"}`) == before+3
	})
	if got := metricValue(t, url, `boxoffice_grains_active{kind="booking"}`); got != 0 {
		t.Fatalf("booking grains = %v before any booking", got)
	}
}

// metricValue reads one series (name and labels as /metrics prints them).
func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("%s missing from /metrics", series)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
