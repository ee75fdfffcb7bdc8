package relay_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
	"github.com/boxoffice/boxoffice/relay"
)

// broker is a publisher that records what it takes; it refuses the first
// failFirst attempts.
type broker struct {
	mu        sync.Mutex
	got       []string
	attempts  int
	failFirst int
}

func (b *broker) Publish(ctx context.Context, events []boxoffice.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts++
	if b.attempts <= b.failFirst {
		return errors.New("broker down")
	}
	for _, e := range events {
		b.got = append(b.got, e.ID)
	}
	return nil
}

func (b *broker) Close() error { return nil }

func (b *broker) ids() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

func openStore(t *testing.T) *boxoffice.Stores {
	s, err := sqlite.Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func appendEvents(t *testing.T, s *boxoffice.Stores, from, n int) []string {
	var events []boxoffice.Event
	var ids []string
	for i := from; i < from+n; i++ {
		id := fmt.Sprintf("ev-%05d", i)
		events = append(events, boxoffice.Event{ID: id, Type: boxoffice.EventTypeBookingConfirmed, Subject: "bookings/b", Time: time.Now()})
		ids = append(ids, id)
	}
	require.NoError(t, s.Events.AppendEvents(t.Context(), events))
	return ids
}

func run(t *testing.T, r *relay.Relay) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func backlog(t *testing.T, s *boxoffice.Stores) int {
	n, _, err := s.Events.EventBacklog(t.Context())
	require.NoError(t, err)
	return n
}

// TestRelayPublishesEveryEventInOrder: to every broker, each once, in the
// order stored, and the outbox's backlog empties.
func TestRelayPublishesEveryEventInOrder(t *testing.T) {
	s := openStore(t)
	want := appendEvents(t, s, 0, 450)
	a, b := &broker{}, &broker{}
	r := relay.New(relay.Config{Store: s.Events, Publishers: []boxoffice.EventPublisher{a, b}, Poll: 10 * time.Millisecond})
	run(t, r)
	testwait.Until(t, 10*time.Second, "the backlog drained", func() bool { return backlog(t, s) == 0 })
	want = append(want, appendEvents(t, s, 450, 3)...) // events that come later
	testwait.Until(t, 10*time.Second, "the later events published", func() bool { return len(b.ids()) == len(want) })
	require.Equal(t, want, a.ids())
	require.Equal(t, want, b.ids())
	require.EqualValues(t, len(want), r.Published())
}

// TestRelayRetriesABrokerThatWasDown: nothing is lost while the broker
// refuses; once it takes events again, all of them arrive, in order (a
// copy sent again is dropped by its ID).
func TestRelayRetriesABrokerThatWasDown(t *testing.T) {
	s := openStore(t)
	want := appendEvents(t, s, 0, 20)
	down := &broker{failFirst: 2}
	r := relay.New(relay.Config{Store: s.Events, Publishers: []boxoffice.EventPublisher{down},
		Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond})
	run(t, r)
	testwait.Until(t, 20*time.Second, "the backlog drained", func() bool { return backlog(t, s) == 0 })
	require.Equal(t, want, slices.Compact(down.ids()))
	require.GreaterOrEqual(t, r.Failures(), uint64(2))
}

// TestRelayTwoNodesPublishOnce: relays of two nodes on one outbox publish
// each event once between them, while events keep coming.
func TestRelayTwoNodesPublishOnce(t *testing.T) {
	s := openStore(t)
	a, b := &broker{}, &broker{}
	for _, p := range []*broker{a, b} {
		run(t, relay.New(relay.Config{Store: s.Events, Publishers: []boxoffice.EventPublisher{p}, Poll: 5 * time.Millisecond, Batch: 7}))
	}
	var want []string
	for i := range 20 {
		want = append(want, appendEvents(t, s, i*10, 10)...)
		time.Sleep(5 * time.Millisecond)
	}
	testwait.Until(t, 10*time.Second, "every event published", func() bool { return len(a.ids())+len(b.ids()) >= len(want) })
	got := append(a.ids(), b.ids()...)
	slices.Sort(got)
	require.Equal(t, want, got, "each event once")
}
