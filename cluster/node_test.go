package cluster_test

import (
	"context"
	"errors"
	"testing"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
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

	t.Run("unknown kind fails fast with ErrUnavailable", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := cluster.Request(ctx, n.Cluster(), "x", "nope", wrapperspb.String("hi"))
		if !errors.Is(err, cluster.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("took %v", d)
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
	t.Run("is idempotent and bounded", func(t *testing.T) {
		n := MustStart(t, cluster.Config{Name: "n1"})
		for i := 0; i < 3; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			start := time.Now()
			err := n.Stop(ctx)
			cancel()
			if err != nil {
				t.Fatalf("stop %d: %v", i, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("stop %d took %v", i, d)
			}
		}
	})

	t.Run("returns when its context ends though a grain is slow to stop", func(t *testing.T) {
		n := MustStart(t, cluster.Config{
			Name:  "n1",
			Kinds: []*pcluster.Kind{slowStopKind(2 * time.Second)},
		})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := cluster.Request(ctx, n.Cluster(), "s1", slowKind, wrapperspb.String("x")); err != nil {
			t.Fatal(err)
		}
		sctx, scancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer scancel()
		start := time.Now()
		err := n.Stop(sctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("stop took %v", d)
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
	goleak.VerifyNone(t, append(libraryGoroutines, ignore)...)
}
