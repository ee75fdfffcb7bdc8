// Package nats publishes the product's events to NATS JetStream: a stream
// (BOXOFFICE by default) on the subjects boxoffice.events.>, each event on
// boxoffice.events.<type> in CloudEvents structured mode, with its ID as
// Nats-Msg-Id so that the server drops a second copy within the stream's
// duplicate window. Publish returns only once the stream has acknowledged
// every event.
package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/boxoffice/boxoffice"
)

// Defaults of a publisher.
const (
	StreamDefault        = "BOXOFFICE"
	SubjectPrefixDefault = "boxoffice.events"
	// DuplicateWindow is how long the stream remembers event IDs: a
	// publisher that retries within it is deduplicated by the server.
	DuplicateWindow = 10 * time.Minute
	dialTimeout     = 5 * time.Second
)

// Config is where and how to publish.
type Config struct {
	URL           string // nats://host:4222 (several, comma-separated, for a cluster)
	Stream        string // default StreamDefault
	SubjectPrefix string // default SubjectPrefixDefault; events go to <prefix>.<type>
}

// Publisher is a boxoffice.EventPublisher on one NATS connection, opened on
// first use and again after a failure to open it.
type Publisher struct {
	cfg Config

	mu sync.Mutex // one Publish at a time: it keeps the order
	nc *natsgo.Conn
	js jetstream.JetStream
}

var _ boxoffice.EventPublisher = (*Publisher)(nil)

// New returns a publisher for cfg; it connects on the first Publish (or
// Connect), so a server that is down does not keep the node from starting.
func New(cfg Config) *Publisher {
	if cfg.Stream == "" {
		cfg.Stream = StreamDefault
	}
	if cfg.SubjectPrefix == "" {
		cfg.SubjectPrefix = SubjectPrefixDefault
	}
	cfg.SubjectPrefix = strings.TrimSuffix(cfg.SubjectPrefix, ".")
	return &Publisher{cfg: cfg}
}

// Subject is the subject an event of type typ is published on.
func (p *Publisher) Subject(typ string) string { return p.cfg.SubjectPrefix + "." + typ }

// Connect opens the connection and creates or updates the stream now, to
// report a wrong URL at once.
func (p *Publisher) Connect(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connect(ctx)
}

// connect opens what is not open. Caller holds p.mu. Once open, the
// client library reconnects by itself; publishes made while it does wait
// for it (within their context).
func (p *Publisher) connect(ctx context.Context) error {
	if p.nc != nil && !p.nc.IsClosed() {
		return nil
	}
	timeout := dialTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	nc, err := natsgo.Connect(p.cfg.URL, natsgo.Name("boxoffice events"), natsgo.Timeout(timeout),
		natsgo.MaxReconnects(-1), natsgo.ReconnectWait(time.Second))
	if err != nil {
		return fmt.Errorf("nats: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err == nil {
		_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name: p.cfg.Stream, Subjects: []string{p.cfg.SubjectPrefix + ".>"},
			Storage: jetstream.FileStorage, Duplicates: DuplicateWindow,
		})
	}
	if err != nil {
		nc.Close()
		return fmt.Errorf("nats: stream %s: %w", p.cfg.Stream, err)
	}
	p.nc, p.js = nc, js
	return nil
}

// Publish sends the events in order and waits for the stream's
// acknowledgement of each. On an error some events may be stored: the
// caller sends them all again, and the stream drops the copies by ID.
func (p *Publisher) Publish(ctx context.Context, events []boxoffice.Event) error {
	if len(events) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.connect(ctx); err != nil {
		return err
	}
	acks := make([]jetstream.PubAckFuture, 0, len(events))
	for _, e := range events {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("nats: event %s: %w", e.ID, err)
		}
		msg := natsgo.NewMsg(p.Subject(e.Type))
		msg.Header.Set("Content-Type", boxoffice.CloudEventsContentType)
		msg.Data = body
		f, err := p.js.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			return fmt.Errorf("nats: publish %s: %w", e.ID, err)
		}
		acks = append(acks, f)
	}
	for i, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("nats: %s not stored: %w", events[i].ID, err)
		case <-ctx.Done():
			return fmt.Errorf("nats: acknowledgement of %s: %w", events[i].ID, ctx.Err())
		}
	}
	return nil
}

// Close drains nothing: every Publish has waited for its
// acknowledgements. It closes the connection.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nc != nil {
		p.nc.Close()
		p.nc, p.js = nil, nil
	}
	return nil
}
