package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/leaktest"
)

func TestRequest(t *testing.T) {
	n := MustStart(t, cluster.Config{Name: "n1"})

	t.Run("echoes through the grain", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := cluster.Request(ctx, n.Cluster(), "show-1", echoKind, wrapperspb.String("hi"))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := res.(*wrapperspb.StringValue)
		if !ok || got.Value != "n1:show-1:hi" {
			t.Fatalf("reply = %#v", res)
		}
	})

	// Fast: the call gives up on its own, because no member hosts the
	// kind, not because its context ran out.
	t.Run("unknown kind fails fast with ErrUnavailable", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := cluster.Request(ctx, n.Cluster(), "x", "nope", wrapperspb.String("hi"))
		if !errors.Is(err, cluster.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `no member hosts kind "nope"`) {
			t.Fatalf("err = %v (context: %v), want a refusal for the unknown kind before the deadline", err, ctx.Err())
		}
	})

	t.Run("no deadline uses the configured timeout", func(t *testing.T) {
		res, err := cluster.Request(context.Background(), n.Cluster(), "show-2", echoKind, wrapperspb.String("x"))
		if err != nil || res.(*wrapperspb.StringValue).Value != "n1:show-2:x" {
			t.Fatalf("res %v err %v", res, err)
		}
	})

	t.Run("a passivated grain answers the next call", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, err := cluster.Request(ctx, n.Cluster(), "show-p", echoKind, wrapperspb.String("passivate"))
			cancel()
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	})

	t.Run("canceled context returns at once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := cluster.Request(ctx, n.Cluster(), "show-3", echoKind, wrapperspb.String("x"))
		if !errors.Is(err, cluster.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStop(t *testing.T) {
	// Bounded: Stop returns its context's error when the context ends
	// first, so a nil error within a 5s context is a stop within 5s.
	t.Run("is idempotent and bounded", func(t *testing.T) {
		n := MustStart(t, cluster.Config{Name: "n1"})
		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := n.Stop(ctx)
			cancel()
			if err != nil {
				t.Fatalf("stop %d: %v", i, err)
			}
		}
	})

	// The grain stops only when the test lets it, so a Stop that returns
	// before that returned because its context ended.
	t.Run("returns when its context ends though a grain is slow to stop", func(t *testing.T) {
		stopping, release := make(chan struct{}), make(chan struct{})
		n := MustStart(t, cluster.Config{
			Name:  "n1",
			Kinds: []*pcluster.Kind{slowStopKind(stopping, release)},
		})
		defer close(release) // the grain finishes stopping before the cleanup stops the node again
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := cluster.Request(ctx, n.Cluster(), "s1", slowKind, wrapperspb.String("x")); err != nil {
			t.Fatal(err)
		}
		sctx, scancel := context.WithCancel(context.Background())
		defer scancel()
		stopped := make(chan error, 1)
		go func() { stopped <- n.Stop(sctx) }()
		select {
		case <-stopping:
		case err := <-stopped:
			t.Fatalf("stop returned %v before the grain began to stop", err)
		case <-time.After(10 * time.Second):
			t.Fatal("the grain never began to stop")
		}
		scancel()
		select {
		case err := <-stopped:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("stop did not return when its context ended")
		}
	})

	t.Run("refuses requests afterwards", func(t *testing.T) {
		n := MustStart(t, cluster.Config{Name: "n1"})
		MustStop(t, n)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cluster.Request(ctx, n.Cluster(), "show-1", echoKind, wrapperspb.String("hi"))
		if !errors.Is(err, cluster.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
	})
}

func TestStartStopLeavesNoGoroutines(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	n := MustStart(t, cluster.Config{Name: "n1"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cluster.Request(ctx, n.Cluster(), "show-1", echoKind, wrapperspb.String("hi")); err != nil {
		t.Fatal(err)
	}
	MustStop(t, n)
	goleak.VerifyNone(t, leaktest.Options(ignore)...)
}
