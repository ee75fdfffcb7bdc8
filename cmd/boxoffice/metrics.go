package main

import (
	"github.com/boxoffice/boxoffice"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/boxoffice/boxoffice/actors"
)

// newRegistry is the node's registry, served at /metrics on the ops
// listener: the Go and process collectors, the engine's series (em,
// counted by the actors where the work happens), gauges read at each
// scrape (grains, the journal's queue, the cluster as this node sees it),
// the seat journal's and the rejoins' counters, the database pools, and
// (added by the HTTP server) the request series.
func (m *Main) newRegistry(em *actors.Metrics) *prometheus.Registry {
	e := m.Engine
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(em.Collectors()...)
	counter := func(name, help string, v func(actors.JournalStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(e.JournalStats())) })
	}
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	grains := func(kind string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "boxoffice_grains_active",
			Help: "Grains live on this node, by kind (showtime, booking); idle ones passivate.", ConstLabels: prometheus.Labels{"kind": kind}}, v)
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
		gauge("boxoffice_journal_queue_depth", "Seat events waiting for the journal committer to write them; at boxoffice_journal_queue_capacity seat-changing commands are refused (503).",
			func() float64 { return float64(e.JournalQueue()) }),
		gauge("boxoffice_journal_queue_capacity", "The bound of boxoffice_journal_queue_depth: seat events that may wait for a write before seat-changing commands are refused (503).",
			func() float64 { return float64(e.JournalQueueCapacity()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boxoffice_cluster_rejoin_attempts_total",
			Help: "Attempts of this process to rejoin the cluster under a new member id after the others blocked it."},
			func() float64 { return float64(m.rejoin.attempts.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boxoffice_cluster_rejoins_total",
			Help: "Times this process rejoined the cluster under a new member id after the others blocked it."},
			func() float64 { return float64(m.rejoin.rejoins.Load()) }),
		gauge("boxoffice_cluster_members", "Cluster members alive as this node sees them, itself included (1 on a node without gossip).",
			func() float64 { return float64(m.members()) }),
		gauge("boxoffice_node_fenced", "1 while this node has fenced itself (out of the cluster, paused, rejoining or stopping: it serves no showtimes), else 0.",
			func() float64 {
				if m.healthy() {
					return 0
				}
				return 1
			}),
		grains(actors.KindShowtime, func() float64 { st, _ := e.Grains(); return float64(st) }),
		grains(actors.KindBooking, func() float64 { _, bk := e.Grains(); return float64(bk) }),
	)
	reg.MustRegister(outboxCollector{m: m})
	if m.Stores != nil && m.Stores.Conns != nil {
		reg.MustRegister(&connCollector{conns: m.Stores.Conns})
	}
	return reg
}

// members counts the cluster's members alive as this node sees them,
// itself included: the gossip provider's count, 1 without gossip.
func (m *Main) members() int {
	if g := m.gossip.Load(); g != nil {
		return g.Health().Alive
	}
	return 1
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
