package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series names. Node series are read from each node's /metrics; row
// series are counted in the cluster's databases (node "db").
const (
	seriesRSS        = "rss_mb"
	seriesHeap       = "heap_mb"
	seriesGoroutines = "goroutines"
	seriesFDs        = "open_fds"
	seriesDBConns    = "db_conns"
	seriesShowtimes  = "grains_showtime"
	seriesBookings   = "grains_booking"
	seriesP50        = "p50_ms"
	seriesP99        = "p99_ms"
	seriesRowsTokens = "rows_refresh_tokens"
	seriesRowsIdem   = "rows_idempotency_keys"
	seriesRowsNotes  = "rows_notifications"
	seriesRowsBooked = "rows_bookings"
	dbNode           = "db"
)

// seriesOrder is the order of the panels and of the CSV columns.
var seriesOrder = []string{seriesRSS, seriesHeap, seriesGoroutines, seriesFDs, seriesDBConns, seriesShowtimes,
	seriesBookings, seriesP50, seriesP99, seriesRowsTokens, seriesRowsIdem, seriesRowsNotes, seriesRowsBooked}

// sample is one reading of one node (or of the databases) at T seconds
// after the load started.
type sample struct {
	At     time.Time          `json:"at"`
	T      float64            `json:"t_s"` // seconds since the load began (negative during setup)
	Node   string             `json:"node"`
	Values map[string]float64 `json:"values"`
}

// sampleNodes lists the nodes of the samples in the order they first come.
func sampleNodes(samples []sample) []string {
	var nodes []string
	seen := map[string]bool{}
	for _, s := range samples {
		if !seen[s.Node] {
			seen[s.Node] = true
			nodes = append(nodes, s.Node)
		}
	}
	return nodes
}

// scraper reads a node's /metrics on its ops listener and keeps the request histogram of the
// previous reading, so that each reading's latency is of its interval.
type scraper struct {
	client *http.Client
	prev   map[string]*histogram // ops URL: cumulative buckets last time
}

type histogram struct {
	bounds []float64 // upper bounds in seconds, ascending, +Inf last
	counts []float64 // cumulative
}

func newScraper() *scraper {
	return &scraper{client: &http.Client{Timeout: 5 * time.Second}, prev: map[string]*histogram{}}
}

// scrape reads one node's ops listener (opsURL: http://host:port).
func (s *scraper) scrape(ctx context.Context, opsURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, opsURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", opsURL, res.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s/metrics: %w", opsURL, err)
	}
	v := map[string]float64{
		seriesRSS:        value(families, "process_resident_memory_bytes", nil) / (1 << 20),
		seriesHeap:       value(families, "go_memstats_heap_alloc_bytes", nil) / (1 << 20),
		seriesGoroutines: value(families, "go_goroutines", nil),
		seriesFDs:        value(families, "process_open_fds", nil),
		seriesDBConns:    value(families, "boxoffice_db_connections", map[string]string{"state": "open"}),
		seriesShowtimes:  value(families, "boxoffice_grains_active", map[string]string{"kind": "showtime"}),
		seriesBookings:   value(families, "boxoffice_grains_active", map[string]string{"kind": "booking"}),
	}
	h := requestHistogram(families["boxoffice_http_request_duration_seconds"])
	if prev := s.prev[opsURL]; prev != nil && len(prev.counts) == len(h.counts) {
		d := &histogram{bounds: h.bounds, counts: make([]float64, len(h.counts))}
		for i := range h.counts {
			d.counts[i] = h.counts[i] - prev.counts[i]
		}
		v[seriesP50] = 1000 * d.quantile(0.50)
		v[seriesP99] = 1000 * d.quantile(0.99)
	}
	s.prev[opsURL] = h
	return v, nil
}

// value sums the samples of a gauge, counter or untyped family whose
// labels include want.
func value(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := families[name]
	if f == nil {
		return math.NaN()
	}
	sum := 0.0
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

// requestHistogram adds up the buckets of every route.
func requestHistogram(f *dto.MetricFamily) *histogram {
	byBound := map[float64]float64{}
	total := 0.0
	for _, m := range f.GetMetric() {
		hist := m.GetHistogram()
		for _, b := range hist.GetBucket() {
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
		total += float64(hist.GetSampleCount())
	}
	h := &histogram{}
	for b := range byBound {
		h.bounds = append(h.bounds, b)
	}
	sort.Float64s(h.bounds)
	for _, b := range h.bounds {
		h.counts = append(h.counts, byBound[b])
	}
	h.bounds = append(h.bounds, math.Inf(1))
	h.counts = append(h.counts, total)
	return h
}

// quantile interpolates linearly inside the bucket that holds q (as
// Prometheus' histogram_quantile does); NaN for no requests. A quantile
// in the +Inf bucket is the last finite bound.
func (h *histogram) quantile(q float64) float64 {
	n := len(h.counts)
	if n == 0 || h.counts[n-1] <= 0 {
		return math.NaN()
	}
	rank := q * h.counts[n-1]
	for i, c := range h.counts {
		if c < rank {
			continue
		}
		if math.IsInf(h.bounds[i], 1) {
			if i == 0 {
				return math.NaN()
			}
			return h.bounds[i-1]
		}
		lo, below := 0.0, 0.0
		if i > 0 {
			lo, below = h.bounds[i-1], h.counts[i-1]
		}
		if c == below {
			return h.bounds[i]
		}
		return lo + (h.bounds[i]-lo)*(rank-below)/(c-below)
	}
	return h.bounds[n-2]
}

// rowTables are the tables counted each sample: the three the retention
// sweep bounds, and bookings, which grows with sales by design (shown,
// not judged).
var rowTables = []struct{ service, table, series string }{
	{"users", "refresh_tokens", seriesRowsTokens},
	{"bookings", "idempotency_keys", seriesRowsIdem},
	{"notifications", "notifications", seriesRowsNotes},
	{"bookings", "bookings", seriesRowsBooked},
}

// countRows counts the rows of rowTables in the databases prefix_*.
func countRows(ctx context.Context, serverURL, prefix string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out := map[string]float64{}
	conns := map[string]*pgx.Conn{}
	defer func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	}()
	for _, t := range rowTables {
		c := conns[t.service]
		if c == nil {
			u, err := databaseURL(serverURL, prefix+"_"+t.service)
			if err != nil {
				return nil, err
			}
			if c, err = pgx.Connect(ctx, u); err != nil {
				return nil, err
			}
			conns[t.service] = c
		}
		var n int64
		if err := c.QueryRow(ctx, "SELECT count(*) FROM "+t.table).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.table, err)
		}
		out[t.series] = float64(n)
	}
	return out, nil
}

// databaseURL is serverURL with its database replaced by name.
func databaseURL(serverURL, name string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
