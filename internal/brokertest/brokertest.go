// Package brokertest gives tests the message brokers they publish to:
// RabbitMQ from BOXOFFICE_TEST_AMQP_URL and NATS (with JetStream) from
// BOXOFFICE_TEST_NATS_URL. A test whose broker is not configured or does
// not answer is skipped with a message saying so, except under CI (env CI
// set), where it fails: there the brokers must be up.
package brokertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Environment variables naming the test brokers.
const (
	EnvAMQP = "BOXOFFICE_TEST_AMQP_URL" // e.g. amqp://guest:guest@127.0.0.1:5672/
	EnvNATS = "BOXOFFICE_TEST_NATS_URL" // e.g. nats://127.0.0.1:4222
)

// reachTimeout bounds the check that the broker listens.
const reachTimeout = 2 * time.Second

// AMQPURL is the RabbitMQ URL of the tests.
func AMQPURL(tb testing.TB) string { return brokerURL(tb, EnvAMQP, "RabbitMQ", "5672") }

// NATSURL is the NATS URL of the tests.
func NATSURL(tb testing.TB) string { return brokerURL(tb, EnvNATS, "NATS", "4222") }

func brokerURL(tb testing.TB, env, name, port string) string {
	tb.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		unavailable(tb, name, env+" is not set")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		tb.Fatalf("brokertest: %s=%q is not a URL with a host", env, raw)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	conn, err := net.DialTimeout("tcp", host, reachTimeout)
	if err != nil {
		unavailable(tb, name, "it does not answer at "+host+": "+err.Error())
	}
	conn.Close()
	return raw
}

func unavailable(tb testing.TB, name, why string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("brokertest: %s: %s (CI is set: broker tests must run)", name, why)
	}
	tb.Skipf("brokertest: skipping %s test: %s", name, why)
}

// Events are n events for a broker test, of every type in turn, each with
// a new ID, its own subject and a small data object.
func Events(n int) []boxoffice.Event {
	at := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	out := make([]boxoffice.Event, n)
	for i := range out {
		out[i] = boxoffice.Event{ID: boxoffice.NewID(), Type: boxoffice.EventTypes[i%len(boxoffice.EventTypes)],
			Subject: fmt.Sprintf("bookings/b-%d", i), Time: at.Add(time.Duration(i) * time.Second),
			Data: json.RawMessage(fmt.Sprintf(`{"booking_id":"b-%d","n":%d}`, i, i))}
	}
	return out
}
