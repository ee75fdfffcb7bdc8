// Package rabbitmq publishes the product's events to RabbitMQ: a durable
// topic exchange (boxoffice.events by default), the event type as routing
// key, persistent messages in CloudEvents structured mode, the event ID as
// message_id, and publisher confirms, so that Publish returns only once the
// broker has taken every event.
package rabbitmq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/boxoffice/boxoffice"
)

// Defaults of a publisher.
const (
	ExchangeDefault = "boxoffice.events"
	// dialTimeout bounds the TCP connect and the AMQP handshake.
	dialTimeout = 5 * time.Second
	heartbeat   = 10 * time.Second
)

// Config is where and how to publish.
type Config struct {
	URL      string // amqp://user:password@host:port/vhost (amqps:// for TLS)
	Exchange string // default ExchangeDefault
}

// Publisher is a boxoffice.EventPublisher on one AMQP connection and
// channel, opened on first use and again after any failure.
type Publisher struct {
	cfg Config

	mu   sync.Mutex // one Publish at a time: it keeps the order
	conn *amqp.Connection
	ch   *amqp.Channel
}

var _ boxoffice.EventPublisher = (*Publisher)(nil)

// New returns a publisher for cfg; it connects on the first Publish (or
// Connect), so a broker that is down does not keep the node from starting.
func New(cfg Config) *Publisher {
	if cfg.Exchange == "" {
		cfg.Exchange = ExchangeDefault
	}
	return &Publisher{cfg: cfg}
}

// Connect opens the connection and declares the exchange now, to report a
// wrong URL or credentials at once.
func (p *Publisher) Connect(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.connect(ctx)
}

// connect opens what is not open. Caller holds p.mu.
func (p *Publisher) connect(ctx context.Context) error {
	if p.ch != nil && !p.ch.IsClosed() && !p.conn.IsClosed() {
		return nil
	}
	p.reset()
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := dialTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
	}
	conn, err := amqp.DialConfig(p.cfg.URL, amqp.Config{Dial: amqp.DefaultDial(timeout), Heartbeat: heartbeat,
		Properties: amqp.Table{"connection_name": "boxoffice events"}})
	if err != nil {
		return fmt.Errorf("rabbitmq: connect: %w", err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.ExchangeDeclare(p.cfg.Exchange, amqp.ExchangeTopic, true, false, false, false, nil)
	}
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		conn.Close()
		return fmt.Errorf("rabbitmq: exchange %s: %w", p.cfg.Exchange, err)
	}
	p.conn, p.ch = conn, ch
	return nil
}

// reset closes the connection, if any. Caller holds p.mu.
func (p *Publisher) reset() {
	if p.conn != nil {
		_ = p.conn.CloseDeadline(time.Now().Add(time.Second))
	}
	p.conn, p.ch = nil, nil
}

// Publish sends the events in order and waits for the broker's confirm of
// each. On any error it drops the connection (the next call opens a new
// one) and reports the error: some events may have been taken, and the
// caller sends them all again.
func (p *Publisher) Publish(ctx context.Context, events []boxoffice.Event) error {
	if len(events) == 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.connect(ctx); err != nil {
		return err
	}
	err := p.publish(ctx, events)
	if err != nil {
		p.reset()
	}
	return err
}

func (p *Publisher) publish(ctx context.Context, events []boxoffice.Event) error {
	confirms := make([]*amqp.DeferredConfirmation, 0, len(events))
	for _, e := range events {
		body, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("rabbitmq: event %s: %w", e.ID, err)
		}
		c, err := p.ch.PublishWithDeferredConfirmWithContext(ctx, p.cfg.Exchange, e.Type, false, false, amqp.Publishing{
			ContentType: boxoffice.CloudEventsContentType, DeliveryMode: amqp.Persistent,
			MessageId: e.ID, Timestamp: e.Time, Type: e.Type, AppId: "boxoffice", Body: body,
		})
		if err != nil {
			return fmt.Errorf("rabbitmq: publish %s: %w", e.ID, err)
		}
		confirms = append(confirms, c)
	}
	for i, c := range confirms {
		ok, err := c.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("rabbitmq: confirm of %s: %w", events[i].ID, err)
		}
		if !ok {
			return fmt.Errorf("rabbitmq: the broker refused %s (nack, or the channel closed)", events[i].ID)
		}
	}
	return nil
}

// Close closes the connection.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn, p.ch = nil, nil
	if errors.Is(err, amqp.ErrClosed) {
		return nil
	}
	return err
}
