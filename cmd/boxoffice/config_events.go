package main

import (
	"flag"
	"fmt"
	"net/url"
	"slices"

	"github.com/boxoffice/boxoffice/nats"
	"github.com/boxoffice/boxoffice/rabbitmq"
)

// Events is where the node's relay publishes the events outbox; nothing
// when both URLs are empty (the events then leave through
// GET /api/v1/admin/events only).
type Events struct {
	AMQPURL, AMQPExchange             string
	NATSURL, NATSStream, NATSSubjects string
}

func (e Events) on() bool { return e.AMQPURL != "" || e.NATSURL != "" }

func eventFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Events.AMQPURL, "amqp-url", "", "publish booking events to RabbitMQ at this URL (amqp://user:password@host:5672/; amqps:// for TLS); prefer the environment variable for a URL with a password")
	fs.StringVar(&c.Events.AMQPExchange, "amqp-exchange", rabbitmq.ExchangeDefault, "the durable topic exchange of the events (routing key: the event type)")
	fs.StringVar(&c.Events.NATSURL, "nats-url", "", "publish booking events to NATS JetStream at this URL (nats://host:4222)")
	fs.StringVar(&c.Events.NATSStream, "nats-stream", nats.StreamDefault, "the JetStream stream of the events")
	fs.StringVar(&c.Events.NATSSubjects, "nats-subject-prefix", nats.SubjectPrefixDefault, "the events' subjects: <prefix>.<type>")
}

func init() {
	for name, env := range map[string]string{
		"amqp-url": "BOXOFFICE_AMQP_URL", "amqp-exchange": "BOXOFFICE_AMQP_EXCHANGE",
		"nats-url": "BOXOFFICE_NATS_URL", "nats-stream": "BOXOFFICE_NATS_STREAM", "nats-subject-prefix": "BOXOFFICE_NATS_SUBJECT_PREFIX",
	} {
		envVars[name] = env
	}
}

// validate checks that the broker URLs parse as what they claim to be.
func (e Events) validate() error {
	for name, v := range map[string]struct {
		raw     string
		schemes []string
	}{"--amqp-url": {e.AMQPURL, []string{"amqp", "amqps"}}, "--nats-url": {e.NATSURL, []string{"nats", "tls"}}} {
		if v.raw == "" {
			continue
		}
		u, err := url.Parse(v.raw)
		if err != nil || u.Host == "" || !slices.Contains(v.schemes, u.Scheme) {
			return fmt.Errorf("%s: want a URL %s://host:port", name, v.schemes[0])
		}
	}
	return nil
}

// String is the events' part of the start line, passwords hidden.
func (e Events) String() string {
	out := "events=admin-feed"
	if e.AMQPURL != "" {
		out += " amqp=" + redactURL(e.AMQPURL) + " exchange=" + e.AMQPExchange
	}
	if e.NATSURL != "" {
		out += " nats=" + redactURL(e.NATSURL) + " stream=" + e.NATSStream + " subjects=" + e.NATSSubjects + ".>"
	}
	return out
}
