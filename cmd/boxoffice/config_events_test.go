package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEventFlags: the brokers from flags or the environment (or _FILE
// twins), their passwords hidden in the start line, bad URLs refused.
func TestEventFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ParseConfig(nil, env(nil), nil)
	require.NoError(t, err)
	assert.False(t, c.Events.on())
	assert.Contains(t, c.String(), "events=admin-feed")

	c, err = ParseConfig([]string{"--nats-url", "nats://127.0.0.1:4222", "--nats-stream", "S"},
		env(map[string]string{"BOXOFFICE_AMQP_URL": "amqp://bo:s3cret@mq:5672/", "BOXOFFICE_AMQP_EXCHANGE": "x"}), nil)
	require.NoError(t, err)
	require.NoError(t, c.Validate())
	assert.Equal(t, Events{AMQPURL: "amqp://bo:s3cret@mq:5672/", AMQPExchange: "x", NATSURL: "nats://127.0.0.1:4222",
		NATSStream: "S", NATSSubjects: "boxoffice.events"}, c.Events)
	assert.NotContains(t, c.String(), "s3cret")
	assert.Contains(t, c.String(), "amqp=amqp://bo:xxxxx@mq:5672/ exchange=x nats=nats://127.0.0.1:4222 stream=S")

	for _, bad := range [][]string{
		{"--amqp-url", "http://mq:5672"},
		{"--amqp-url", "amqp://"},
		{"--nats-url", "127.0.0.1:4222"},
	} {
		c, err := ParseConfig(bad, env(nil), nil)
		require.NoError(t, err)
		assert.Error(t, c.Validate(), "%v", bad)
	}
}
