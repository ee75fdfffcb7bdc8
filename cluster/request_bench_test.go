package cluster_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/boxoffice/boxoffice/cluster"
)

// BenchmarkRequestLocal measures a call to a grain activated on the calling
// node that answers with the request itself (little work of its own, so
// the call's cost shows), the way a gateway calls a showtime it hosts: through
// protoactor's futures (the path remote calls take), through futures
// without their timer (untimed), and through the local fast path, one after the other in the same run so that their ratio holds
// on a busy machine. "serial" is one caller; "parallel" is 64 callers on
// 64 grains. cpu-ns/op is the process's CPU time per call: what a call
// costs even when the machine is shared and ns/op mostly says how much CPU
// the process was given.
func BenchmarkRequestLocal(b *testing.B) {
	n := MustStart(b, cluster.Config{Name: "n1", Kinds: []*pcluster.Kind{pongKindFor()}})
	paths := []struct {
		name string
		call func(context.Context, *pcluster.Cluster, string, string, proto.Message) (any, error)
	}{
		{"future", cluster.RequestViaFuture},
		{"untimed", cluster.RequestViaUntimedFuture},
		{"local", cluster.Request},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	msg := wrapperspb.String("x")
	for _, p := range paths {
		b.Run(p.name+"/serial", func(b *testing.B) {
			if _, err := p.call(ctx, n.Cluster(), "bench-0", pongKind, msg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := p.call(ctx, n.Cluster(), "bench-0", pongKind, msg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
		b.Run(p.name+"/parallel", func(b *testing.B) {
			ids := make(chan string, 64)
			for i := range 64 {
				id := "bench-" + string(rune('A'+i))
				if _, err := p.call(ctx, n.Cluster(), id, pongKind, msg); err != nil {
					b.Fatal(err)
				}
				ids <- id
			}
			b.SetParallelism(32)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				id := <-ids
				for pb.Next() {
					if _, err := p.call(ctx, n.Cluster(), id, pongKind, msg); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

const pongKind = "pong"

// pongKindFor is a grain that answers every request with the request.
func pongKindFor() *pcluster.Kind {
	return pcluster.NewKind(pongKind, actor.PropsFromFunc(func(ctx actor.Context) {
		if m, ok := ctx.Message().(*wrapperspb.StringValue); ok {
			ctx.Respond(m)
		}
	}))
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
