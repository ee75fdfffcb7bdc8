package http

import (
	"context"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice"
)

// readyTimeout bounds the readiness check so that a hung store answers 503
// rather than hanging the probe.
const readyTimeout = 2 * time.Second

type statusResponse struct {
	Status string `json:"status"`
	// Reason says why the node serves no showtimes while it is up (it
	// fenced itself, or it is rejoining the cluster).
	Reason string `json:"reason,omitempty"`
}

// handleHealthz says the process is up, so that nothing restarts it: a
// fenced node recovers by itself. Why it is fenced, if it is, is the
// reason.
func (s *Server) handleHealthz(c echo.Context) error {
	res := statusResponse{Status: "ok"}
	if s.cfg.Fenced != nil {
		res.Reason = s.cfg.Fenced()
	}
	return c.JSON(nethttp.StatusOK, res)
}

// handleReadyz says whether the stores answer and the cluster is joined.
// The cause of a failure goes to the log, not to the client.
func (s *Server) handleReadyz(c echo.Context) error {
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Warn("http: not ready", "err", err)
			return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "not ready")
		}
	}
	return c.JSON(nethttp.StatusOK, statusResponse{Status: "ready"})
}

// metrics are the server's Prometheus series.
type metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	series     *seriesCache
	panics     prometheus.Counter
	sseStreams prometheus.Gauge
}

// newMetrics registers the series in reg, or in a registry of their own
// that nobody reads when reg is nil. Series already registered by another
// server on the same registry are shared.
func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &metrics{
		requests: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boxoffice_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"})),
		duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "boxoffice_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"})),
		panics: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boxoffice_http_panics_total", Help: "Handler panics recovered.",
		})),
		sseStreams: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "boxoffice_sse_streams", Help: "Live seat streams (Server-Sent Events) open on this node.",
		})),
	}
	m.series = newSeriesCache(m.requests, m.duration)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("http: register metric: " + err.Error())
	}
	return c
}

// knownMethods bounds the method label: anything else is "other".
var knownMethods = map[string]bool{
	nethttp.MethodGet: true, nethttp.MethodHead: true, nethttp.MethodPost: true, nethttp.MethodPut: true,
	nethttp.MethodPatch: true, nethttp.MethodDelete: true, nethttp.MethodOptions: true,
}

// observe counts a request and, unless it is a long-lived stream whose
// duration says nothing about latency, times it.
func (m *metrics) observe(method, route string, status int, d time.Duration, timed bool) {
	if !knownMethods[method] {
		method = "other"
	}
	s := m.series.get(seriesKey{method: method, route: route, status: status})
	s.requests.Inc()
	if timed {
		s.duration.Observe(d.Seconds())
	}
}
