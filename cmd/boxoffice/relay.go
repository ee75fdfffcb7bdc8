package main

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/nats"
	"github.com/boxoffice/boxoffice/rabbitmq"
	"github.com/boxoffice/boxoffice/relay"
)

// outboxScrapeTimeout bounds the backlog query of one scrape.
const outboxScrapeTimeout = 2 * time.Second

// eventRelay is the node's relay of the events outbox to the brokers of
// --amqp-url and --nats-url (package relay): every node runs one, and the
// outbox's claims let one of them publish at a time.
type eventRelay struct {
	*relay.Relay
	pubs []boxoffice.EventPublisher
	stop context.CancelFunc
	done chan struct{}
}

// newRelay makes the relay, nil when no broker is configured.
func (m *Main) newRelay() *eventRelay {
	e := m.Config.Events
	if !e.on() || m.Stores.Events == nil {
		return nil
	}
	var pubs []boxoffice.EventPublisher
	if e.AMQPURL != "" {
		pubs = append(pubs, rabbitmq.New(rabbitmq.Config{URL: e.AMQPURL, Exchange: e.AMQPExchange}))
	}
	if e.NATSURL != "" {
		pubs = append(pubs, nats.New(nats.Config{URL: e.NATSURL, Stream: e.NATSStream, SubjectPrefix: e.NATSSubjects}))
	}
	r := relay.New(relay.Config{Store: m.Stores.Events, Publishers: pubs, Clock: m.Clock, Logger: m.Logger.With("service", "events")})
	return &eventRelay{Relay: r, pubs: pubs}
}

// start runs the relay until close.
func (r *eventRelay) start() {
	if r == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		r.Run(ctx)
	}()
}

// close stops the relay (an attempt in flight ends with ctx or its own
// timeout; its events stay claimed until the lease ends) and closes the
// brokers' connections.
func (r *eventRelay) close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	if r.stop != nil {
		r.stop()
		select {
		case <-r.done:
		case <-ctx.Done():
		}
	}
	var errs []error
	for _, p := range r.pubs {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}

// outboxCollector reports the events waiting for the brokers, with one
// store query per scrape: none wait on a node without brokers (its events
// leave through the admin feed).
type outboxCollector struct {
	m *Main
}

var (
	outboxBacklogDesc = prometheus.NewDesc("boxoffice_outbox_backlog",
		"Events in the outbox that the brokers (--amqp-url, --nats-url) do not have yet; 0 without brokers.", nil, nil)
	outboxOldestDesc = prometheus.NewDesc("boxoffice_outbox_oldest_seconds",
		"Age of the oldest event the brokers do not have yet; 0 when none waits.", nil, nil)
	eventsPublishedDesc = prometheus.NewDesc("boxoffice_events_published_total",
		"Events this node's relay published to every broker and marked published.", nil, nil)
	eventsFailuresDesc = prometheus.NewDesc("boxoffice_events_publish_failures_total",
		"Attempts of this node's relay that failed (a broker or the store); the events are retried.", nil, nil)
)

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxBacklogDesc
	ch <- outboxOldestDesc
	ch <- eventsPublishedDesc
	ch <- eventsFailuresDesc
}

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	backlog, oldest := 0.0, 0.0
	var published, failures uint64
	if r := c.m.relay; r != nil {
		published, failures = r.Published(), r.Failures()
		ctx, cancel := context.WithTimeout(context.Background(), outboxScrapeTimeout)
		n, at, err := c.m.Stores.Events.EventBacklog(ctx)
		cancel()
		switch {
		case err != nil:
			backlog, oldest = math.NaN(), math.NaN() // unknown, not zero
		case n > 0:
			backlog, oldest = float64(n), max(0, c.m.Clock.Now().Sub(at).Seconds())
		}
	}
	ch <- prometheus.MustNewConstMetric(outboxBacklogDesc, prometheus.GaugeValue, backlog)
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, oldest)
	ch <- prometheus.MustNewConstMetric(eventsPublishedDesc, prometheus.CounterValue, float64(published))
	ch <- prometheus.MustNewConstMetric(eventsFailuresDesc, prometheus.CounterValue, float64(failures))
}
