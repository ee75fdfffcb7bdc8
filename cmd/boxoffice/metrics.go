package main

import (
	"github.com/boxoffice/boxoffice"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/boxoffice/boxoffice/actors"
)

// newRegistry is the node's /metrics registry: the Go and process
// collectors, the seat journal's committer, the rejoins of the cluster,
// and (added by the HTTP server) the request series.
func newRegistry(e *actors.Engine, r *rejoiner, stores *boxoffice.Stores) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, v func(actors.JournalStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(e.JournalStats())) })
	}
	reg.MustRegister(
		counter("boxoffice_journal_writes_total", "Seat journal writes (one store call carrying the events of one or more showtimes).",
			func(s actors.JournalStats) uint64 { return s.Writes }),
		counter("boxoffice_journal_appends_total", "Showtime batches written to the seat journal (stored or refused).",
			func(s actors.JournalStats) uint64 { return s.Appends }),
		counter("boxoffice_journal_events_total", "Seat events written to the seat journal (stored or refused).",
			func(s actors.JournalStats) uint64 { return s.Events }),
		counter("boxoffice_journal_busy_total", "Seat-changing commands answered 503 at once because the journal committer's queue was full.",
			func(s actors.JournalStats) uint64 { return s.Busy }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boxoffice_cluster_rejoin_attempts_total",
			Help: "Attempts of this process to rejoin the cluster under a new member id after the others blocked it."},
			func() float64 { return float64(r.attempts.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boxoffice_cluster_rejoins_total",
			Help: "Times this process rejoined the cluster under a new member id after the others blocked it."},
			func() float64 { return float64(r.rejoins.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "boxoffice_grains", Help: "Grains live on this node (idle ones passivate).",
			ConstLabels: prometheus.Labels{"kind": actors.KindShowtime}},
			func() float64 { st, _ := e.Grains(); return float64(st) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "boxoffice_grains", Help: "Grains live on this node (idle ones passivate).",
			ConstLabels: prometheus.Labels{"kind": actors.KindBooking}},
			func() float64 { _, bk := e.Grains(); return float64(bk) }),
	)
	if stores != nil && stores.Conns != nil {
		reg.MustRegister(&connCollector{conns: stores.Conns})
	}
	return reg
}

// connCollector reports each service database's connection pool.
type connCollector struct {
	conns func() map[string]boxoffice.ConnStats
}

var connDesc = prometheus.NewDesc("boxoffice_db_connections",
	"PostgreSQL connections of a service's pool: open (idle or in use), in_use, max (the bound).", []string{"service", "state"}, nil)

func (c *connCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connDesc }

func (c *connCollector) Collect(ch chan<- prometheus.Metric) {
	for service, st := range c.conns() {
		for state, v := range map[string]int{"open": st.Open, "in_use": st.InUse, "max": st.Max} {
			ch <- prometheus.MustNewConstMetric(connDesc, prometheus.GaugeValue, float64(v), service, state)
		}
	}
}
