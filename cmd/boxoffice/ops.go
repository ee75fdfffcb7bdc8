package main

import (
	nethttp "net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Bounds of the ops listener's /metrics: a few scrapers at once, each
// answered (or refused) within the timeout.
const (
	opsScrapesMax    = 4
	opsScrapeTimeout = 10 * time.Second
)

// opsAddrDefault is the ops listener's address when --ops-addr is not
// given: loopback, on the port the OpenTelemetry convention gives a
// Prometheus exporter.
const opsAddrDefault = "127.0.0.1:9464"

// startOps serves the node's metrics (reg) at /metrics on the operator's
// listener, and with pprof Go's profiles under /debug/pprof/. The API port
// serves neither: what they show is for whoever runs the node, not for its
// clients.
func startOps(addr string, reg *prometheus.Registry, pprof bool) (*sideServer, error) {
	mux := nethttp.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: opsScrapesMax, Timeout: opsScrapeTimeout,
	}))
	if pprof {
		registerPprof(mux)
	}
	return serveSide("ops", addr, mux)
}
