package rabbitmq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/brokertest"
	"github.com/boxoffice/boxoffice/rabbitmq"
)

// consumer is a queue of its own bound to the test's exchange.
type consumer struct {
	conn  *amqp.Connection
	ch    *amqp.Channel
	deliv <-chan amqp.Delivery
}

// newExchange names an exchange of the test's own and deletes it after.
func newExchange(t *testing.T, url string) string {
	name := "boxoffice.events.test-" + boxoffice.NewID()
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			_ = ch.ExchangeDelete(name, false, false)
		}
	})
	return name
}

func consume(t *testing.T, url, exchange, key string) *consumer {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.ExchangeDeclare(exchange, amqp.ExchangeTopic, true, false, false, false, nil))
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	require.NoError(t, err)
	require.NoError(t, ch.QueueBind(q.Name, key, exchange, false, nil))
	deliv, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	require.NoError(t, err)
	return &consumer{conn: conn, ch: ch, deliv: deliv}
}

func (c *consumer) next(t *testing.T) amqp.Delivery {
	t.Helper()
	select {
	case d := <-c.deliv:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return amqp.Delivery{}
	}
}

// TestPublishDeliversEveryEventInOrder: each event arrives once, in order,
// persistent, routed by its type, with its ID as message_id and itself as
// a CloudEvents body.
func TestPublishDeliversEveryEventInOrder(t *testing.T) {
	url := brokertest.AMQPURL(t)
	exchange := newExchange(t, url)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := rabbitmq.New(rabbitmq.Config{URL: url, Exchange: exchange})
	t.Cleanup(func() { p.Close() })
	all := consume(t, url, exchange, "#")
	confirmed := consume(t, url, exchange, boxoffice.EventTypeBookingConfirmed)

	events := brokertest.Events(60)
	require.NoError(t, p.Publish(ctx, events[:25]))
	require.NoError(t, p.Publish(ctx, events[25:]))

	for _, want := range events {
		d := all.next(t)
		require.Equal(t, want.ID, d.MessageId)
		require.Equal(t, want.Type, d.RoutingKey)
		require.Equal(t, uint8(amqp.Persistent), d.DeliveryMode)
		require.Equal(t, boxoffice.CloudEventsContentType, d.ContentType)
		var got boxoffice.Event
		require.NoError(t, json.Unmarshal(d.Body, &got))
		require.Equal(t, want.ID, got.ID)
		require.Equal(t, want.Subject, got.Subject)
		require.True(t, want.Time.Equal(got.Time))
		require.JSONEq(t, string(want.Data), string(got.Data))
	}
	for _, want := range events {
		if want.Type == boxoffice.EventTypeBookingConfirmed {
			require.Equal(t, want.ID, confirmed.next(t).MessageId, "the routing key is the event type")
		}
	}
}

// TestPublishReconnects: a connection lost between two publishes (a broker
// restart, a network cut) costs the next Publish a new connection, not an
// error.
func TestPublishReconnects(t *testing.T) {
	url := brokertest.AMQPURL(t)
	exchange := newExchange(t, url)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := rabbitmq.New(rabbitmq.Config{URL: url, Exchange: exchange})
	t.Cleanup(func() { p.Close() })
	c := consume(t, url, exchange, "#")
	events := brokertest.Events(2)

	require.NoError(t, p.Publish(ctx, events[:1]))
	require.Equal(t, events[0].ID, c.next(t).MessageId)
	p.DropConnection()
	require.NoError(t, p.Publish(ctx, events[1:]))
	require.Equal(t, events[1].ID, c.next(t).MessageId)
}

// TestPublishToABrokerThatIsNotThere fails within its context instead of
// hanging, and so do wrong credentials.
func TestPublishToABrokerThatIsNotThere(t *testing.T) {
	url := brokertest.AMQPURL(t)
	for name, bad := range map[string]string{
		"no listener":       "amqp://guest:guest@127.0.0.1:1/",
		"wrong credentials": "amqp://nobody:wrong@" + hostOf(t, url) + "/",
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			p := rabbitmq.New(rabbitmq.Config{URL: bad, Exchange: "boxoffice.events.unused"})
			defer p.Close()
			err := p.Publish(ctx, brokertest.Events(1))
			require.Error(t, err)
			require.NoError(t, ctx.Err(), "Publish waited for the whole context")
		})
	}
}

func hostOf(t *testing.T, raw string) string {
	u, err := amqp.ParseURI(raw)
	require.NoError(t, err)
	return fmt.Sprintf("%s:%d", u.Host, u.Port)
}
