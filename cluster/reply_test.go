package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestRequestLocal: a call to a grain on the calling node waits on a reply
// slot, not a protoactor future, and keeps a future's rules: the caller's
// deadline and cancellation, a retry only when the message was not
// delivered, and each reply to its own call, even when replies come after
// their callers gave up and slots are reused.
func TestRequestLocal(t *testing.T) {
	seen := make(chan *actor.PID, 4096)
	var counted, quit, posted, stopTaken, stopPosted atomic.Int64
	open := make(chan struct{})
	entered, proceed := make(chan struct{}, 1), make(chan struct{})
	n := MustStart(t, cluster.Config{Name: "n1", Kinds: []*pcluster.Kind{
		echoKindFor("n1"), parkKindFor(seen), lateKindFor(), countKindFor(&counted),
		quitKindFor(&quit), gateKindFor(open, &posted),
		stopKindFor(entered, proceed, &stopTaken, &stopPosted),
	}})
	c := n.Cluster()

	t.Run("answers through a reply slot of this node, not a future", func(t *testing.T) {
		got := callAsync(c, 10*time.Second, "p1", parkKind, "a")
		sender := <-seen
		if !strings.HasPrefix(sender.Id, "reply$") || sender.Address != n.Address() {
			t.Fatalf("the grain would answer %v, want a reply slot of %s", sender, n.Address())
		}
		release(t, c, "p1")
		if r := <-got; r.err != nil || r.value != "a" {
			t.Fatalf("got %q, %v; want a", r.value, r.err)
		}
	})

	// Twenty calls time out, so every idle slot serves one of them; the
	// next call reuses one of those slots, and the grain answers the
	// twenty late before it.
	t.Run("a reply after its caller's deadline reaches no later call", func(t *testing.T) {
		release(t, c, "p2") // activates it: the calls below reach it at once
		stale := map[string]bool{}
		for i := range 20 {
			r := <-callAsync(c, 100*time.Millisecond, "p2", parkKind, fmt.Sprintf("stale-%d", i))
			if !errors.Is(r.err, cluster.ErrUnavailable) || !errors.Is(r.err, context.DeadlineExceeded) {
				t.Fatalf("call %d: %q, %v; want ErrUnavailable and DeadlineExceeded", i, r.value, r.err)
			}
			select {
			case sender := <-seen:
				stale[sender.Id] = true
			case <-time.After(10 * time.Second):
				t.Fatalf("call %d never reached the grain", i)
			}
		}
		got := callAsync(c, 10*time.Second, "p2", parkKind, "fresh")
		if sender := <-seen; !stale[sender.Id] {
			t.Fatalf("the fresh call's slot %s served none of the stale calls %v: the test proves nothing", sender.Id, stale)
		}
		release(t, c, "p2")
		if r := <-got; r.err != nil || r.value != "fresh" {
			t.Fatalf("got %q, %v; want fresh", r.value, r.err)
		}
	})

	t.Run("a canceled caller returns at once", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got := make(chan error, 1)
		go func() {
			_, err := cluster.Request(ctx, c, "p3", parkKind, wrapperspb.String("x"))
			got <- err
		}()
		<-seen
		cancel()
		select {
		case err := <-got:
			if !errors.Is(err, cluster.ErrUnavailable) || !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want ErrUnavailable and Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the call still waits 10s after its caller canceled")
		}
		release(t, c, "p3") // answers the canceled call: dropped
	})

	t.Run("a dead activation is retried on a new one", func(t *testing.T) {
		first := mustCall(t, c, "c1", countKind, "x")
		pid, ok := c.PidCache.Get("c1", countKind)
		if !ok {
			t.Fatal("no cached pid after a call")
		}
		n.System().Root.Stop(pid)
		testwait.Until(t, 10*time.Second, "the activation gone", func() bool {
			_, alive := n.System().ProcessRegistry.Get(pid)
			return !alive
		})
		c.PidCache.Set("c1", countKind, pid) // as if the cache had not heard yet
		second := mustCall(t, c, "c1", countKind, "x")
		if second == first {
			t.Fatalf("answered by the dead activation %s", first)
		}
		if got := counted.Load(); got != 2 {
			t.Fatalf("the grain took %d requests, want 2", got)
		}
	})

	t.Run("a request the grain took is not retried when it dies unanswered", func(t *testing.T) {
		r := <-callAsync(c, 300*time.Millisecond, "q1", quitKind, "x")
		if !errors.Is(r.err, cluster.ErrUnavailable) || !errors.Is(r.err, context.DeadlineExceeded) {
			t.Fatalf("got %q, %v; want ErrUnavailable and DeadlineExceeded", r.value, r.err)
		}
		if got := quit.Load(); got != 1 {
			t.Fatalf("the grain took the request %d times, want once", got)
		}
	})

	// protoactor drops the requests in a stopped grain's mailbox: without
	// a word, this call would wait out its deadline. The grain is held in
	// its "stop" handler until the call waits in its mailbox, then answers
	// and stops; the call must go to a new activation, taken once.
	t.Run("a request queued behind its grain's stop is retried on a new activation", func(t *testing.T) {
		first := callAsync(c, 10*time.Second, "s1", stopKind, "stop")
		<-entered
		pid, ok := c.PidCache.Get("s1", stopKind)
		if !ok {
			t.Fatal("no cached pid")
		}
		queued := callAsync(c, 10*time.Second, "s1", stopKind, "x")
		testwait.Until(t, 10*time.Second, "the call in the mailbox", func() bool { return stopPosted.Load() == 2 })
		close(proceed)
		if r := <-first; r.err != nil || r.value != "stop" {
			t.Fatalf("first call: %q, %v", r.value, r.err)
		}
		r := <-queued
		if r.err != nil {
			t.Fatalf("the queued call: %v", r.err)
		}
		if r.value == pid.Id {
			t.Fatalf("answered by the stopped activation %s", pid.Id)
		}
		if got := stopTaken.Load(); got != 1 {
			t.Fatalf("the request was taken %d times, want once", got)
		}
	})

	// Like a showtime grain that retires (Poison) with commands queued:
	// those are answered, since the poison pill is queued behind them.
	t.Run("a retiring grain answers the requests already in its mailbox", func(t *testing.T) {
		const calls = 16
		var gots []<-chan callResult
		for i := range calls {
			gots = append(gots, callAsync(c, 10*time.Second, "g1", gateKind, fmt.Sprint(i)))
		}
		testwait.Until(t, 10*time.Second, "every request in the mailbox", func() bool { return posted.Load() == calls })
		pid, ok := c.PidCache.Get("g1", gateKind)
		if !ok {
			t.Fatal("no cached pid")
		}
		n.System().Root.Poison(pid)
		close(open)
		for i, got := range gots {
			if r := <-got; r.err != nil || r.value != fmt.Sprint(i) {
				t.Errorf("call %d: %q, %v", i, r.value, r.err)
			}
		}
	})

	t.Run("concurrent calls get their own replies", func(t *testing.T) {
		concurrentCalls(t, c)
	})

	t.Run("idle slots are bounded", func(t *testing.T) {
		const calls = 1100 // more than replySlotsIdleMax
		var gots []<-chan callResult
		for i := range calls {
			gots = append(gots, callAsync(c, 30*time.Second, "p8", parkKind, fmt.Sprint(i)))
		}
		for range calls {
			<-seen
		}
		if got := registered(n, "reply$"); got < calls {
			t.Fatalf("%d reply slots registered for %d waiting calls", got, calls)
		}
		release(t, c, "p8")
		for i, got := range gots {
			if r := <-got; r.err != nil || r.value != fmt.Sprint(i) {
				t.Fatalf("call %d: %q, %v", i, r.value, r.err)
			}
		}
		if got := registered(n, "reply$"); got > 1024 {
			t.Fatalf("%d reply slots stay registered, want at most 1024", got)
		}
	})
}

// concurrentCalls runs 64 callers at once: half call echo grains, half
// call late grains whose every other answer comes 5ms after a 1ms
// deadline, so late replies keep arriving at slots that serve other calls
// by then. Every answered call must get its own value.
func concurrentCalls(t *testing.T, c *pcluster.Cluster) {
	const callers, calls = 64, 60
	var wg sync.WaitGroup
	var late atomic.Int64
	errs := make(chan error, callers)
	for g := range callers {
		wg.Go(func() {
			for i := range calls {
				if err := concurrentCall(c, g, i, &late); err != nil {
					errs <- fmt.Errorf("caller %d call %d: %w", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d calls gave up before their answer came", late.Load())
	if late.Load() == 0 {
		t.Error("no call gave up before its answer: no late reply was tested")
	}
}

func concurrentCall(c *pcluster.Cluster, g, i int, late *atomic.Int64) error {
	tag := fmt.Sprintf("%d-%d", g, i)
	switch {
	case g%2 == 0:
		id := fmt.Sprintf("e%d", g%8)
		r := <-callAsync(c, 10*time.Second, id, echoKind, tag)
		if want := "n1:" + id + ":" + tag; r.err != nil || r.value != want {
			return fmt.Errorf("got %q, %v; want %q", r.value, r.err, want)
		}
	case i%2 == 0:
		v := "0/" + tag
		r := <-callAsync(c, 10*time.Second, fmt.Sprintf("l%d", g%8), lateKind, v)
		if r.err != nil || r.value != v {
			return fmt.Errorf("got %q, %v; want %q", r.value, r.err, v)
		}
	default:
		// The deadline comes first, unless a loaded machine runs its
		// timer late: then the call may get its answer, but its own.
		v := "5000/" + tag
		r := <-callAsync(c, time.Millisecond, fmt.Sprintf("l%d", g%8), lateKind, v)
		switch {
		case errors.Is(r.err, context.DeadlineExceeded):
			late.Add(1)
		case r.err != nil || r.value != v:
			return fmt.Errorf("got %q, %v; want %q or DeadlineExceeded", r.value, r.err, v)
		}
	}
	return nil
}

type callResult struct {
	value string
	err   error
}

// callAsync calls the grain with value within d and delivers the result.
func callAsync(c *pcluster.Cluster, d time.Duration, identity, kind, value string) <-chan callResult {
	got := make(chan callResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		res, err := cluster.Request(ctx, c, identity, kind, wrapperspb.String(value))
		if err != nil {
			got <- callResult{err: err}
			return
		}
		s, ok := res.(*wrapperspb.StringValue)
		if !ok {
			got <- callResult{err: fmt.Errorf("reply %T", res)}
			return
		}
		got <- callResult{value: s.Value}
	}()
	return got
}

func mustCall(tb testing.TB, c *pcluster.Cluster, identity, kind, value string) string {
	tb.Helper()
	r := <-callAsync(c, 10*time.Second, identity, kind, value)
	if r.err != nil {
		tb.Fatalf("%s/%s: %v", kind, identity, r.err)
	}
	return r.value
}

// release makes the park grain identity answer its parked calls.
func release(tb testing.TB, c *pcluster.Cluster, identity string) {
	tb.Helper()
	if got := mustCall(tb, c, identity, parkKind, "release"); got != "released" {
		tb.Fatalf("release: %q", got)
	}
}

// registered counts the processes of n whose id starts with prefix.
func registered(n *cluster.Node, prefix string) int {
	count := 0
	for _, bucket := range n.System().ProcessRegistry.LocalPIDs.LocalPIDs {
		for _, id := range bucket.Keys() {
			if strings.HasPrefix(id, prefix) {
				count++
			}
		}
	}
	return count
}
