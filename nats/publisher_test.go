package nats_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/brokertest"
	"github.com/boxoffice/boxoffice/nats"
)

// testStream is a stream and subjects of the test's own, deleted after.
func testStream(t *testing.T, url string) (nats.Config, jetstream.JetStream) {
	t.Helper()
	id := strings.ToLower(boxoffice.NewID())
	cfg := nats.Config{URL: url, Stream: "BOXOFFICE_TEST_" + strings.ToUpper(id), SubjectPrefix: "boxoffice-test-" + id + ".events"}
	nc, err := natsgo.Connect(url, natsgo.Timeout(5*time.Second))
	require.NoError(t, err)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = js.DeleteStream(ctx, cfg.Stream)
		nc.Close()
	})
	return cfg, js
}

// TestPublishStoresEveryEventInOrder: each event is in the stream once, in
// order, on boxoffice.events.<type>, with its ID as Nats-Msg-Id and itself
// as a CloudEvents body; publishing events again within the duplicate
// window stores nothing more.
func TestPublishStoresEveryEventInOrder(t *testing.T) {
	url := brokertest.NATSURL(t)
	cfg, js := testStream(t, url)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	p := nats.New(cfg)
	t.Cleanup(func() { p.Close() })

	events := brokertest.Events(60)
	require.NoError(t, p.Publish(ctx, events[:25]))
	require.NoError(t, p.Publish(ctx, events[25:]))
	require.NoError(t, p.Publish(ctx, events[10:20]), "a retry of events already stored")

	stream, err := js.Stream(ctx, cfg.Stream)
	require.NoError(t, err)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(len(events)), info.State.Msgs, "the retried events were stored again")

	cons, err := js.OrderedConsumer(ctx, cfg.Stream, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	batch, err := cons.Fetch(len(events), jetstream.FetchMaxWait(10*time.Second))
	require.NoError(t, err)
	var got []*natsgo.Msg
	for m := range batch.Messages() {
		got = append(got, &natsgo.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()})
	}
	require.NoError(t, batch.Error())
	require.Len(t, got, len(events))
	for i, want := range events {
		m := got[i]
		require.Equal(t, p.Subject(want.Type), m.Subject)
		require.Equal(t, cfg.SubjectPrefix+"."+want.Type, m.Subject)
		require.Equal(t, want.ID, m.Header.Get(jetstream.MsgIDHeader))
		require.Equal(t, boxoffice.CloudEventsContentType, m.Header.Get("Content-Type"))
		var e boxoffice.Event
		require.NoError(t, json.Unmarshal(m.Data, &e))
		require.Equal(t, want.ID, e.ID)
		require.Equal(t, want.Type, e.Type)
		require.JSONEq(t, string(want.Data), string(e.Data))
	}
}

// TestPublishToAServerThatIsNotThere fails within its context instead of
// hanging.
func TestPublishToAServerThatIsNotThere(t *testing.T) {
	brokertest.NATSURL(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	p := nats.New(nats.Config{URL: "nats://127.0.0.1:1"})
	defer p.Close()
	require.Error(t, p.Publish(ctx, brokertest.Events(1)))
	require.NoError(t, ctx.Err(), "Publish waited for the whole context")
}
