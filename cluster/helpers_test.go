package cluster_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/racedetect"
)

const echoKind = "echo"

// echoGrain answers a StringValue with "<node>:<identity>:<value>" so tests
// can see which activation served a call.
type echoGrain struct {
	node     string
	identity string
}

func (g *echoGrain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *pcluster.ClusterInit:
		g.identity = m.Identity.Identity
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.String(g.node + ":" + g.identity + ":" + m.Value))
		if m.Value == "passivate" {
			ctx.Stop(ctx.Self())
		}
	}
}

func echoKindFor(node string) *pcluster.Kind {
	return pcluster.NewKind(echoKind, actor.PropsFromProducer(func() actor.Actor {
		return &echoGrain{node: node}
	}))
}

const slowKind = "slow"

// slowStopKind is a grain that answers at once but, like a grain flushing
// its journal on passivation, is slow to stop: it closes stopping when it
// begins and finishes when release is closed. Activate one grain of it.
func slowStopKind(stopping chan<- struct{}, release <-chan struct{}) *pcluster.Kind {
	return pcluster.NewKind(slowKind, actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Stopping:
			close(stopping)
			<-release
		case *wrapperspb.StringValue:
			ctx.Respond(m)
		}
	}))
}

// skipUnderRace skips tests that run several nodes in one process when
// built with -race: protoactor itself races there (gossip state mutated
// while being serialized, a math/rand source shared by every gossip actor
// of the process, MemberList and BlockList fields read without their lock,
// grpclog's global logger set by every Remote.Start, the endpoint reader
// and manager stopped while in use). None of those is in this package;
// single-node tests stay under -race. Run these with plain go test, or set
// RACE_ALL=1 to run them under -race anyway and read the reports.
func skipUnderRace(tb testing.TB) {
	tb.Helper()
	if racedetect.Enabled && os.Getenv("RACE_ALL") == "" {
		tb.Skip("protoactor races with several nodes in one process; run without -race")
	}
}

// testLogger logs to stderr only under -v, so failures stay readable.
func testLogger(tb testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// MustStart starts a single-node cluster hosting the echo kind and stops it
// when the test ends.
func MustStart(tb testing.TB, cfg cluster.Config) *cluster.Node {
	tb.Helper()
	if cfg.Name == "" {
		cfg.Name = "n1"
	}
	if cfg.Kinds == nil {
		cfg.Kinds = []*pcluster.Kind{echoKindFor(cfg.Name)}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := cluster.Start(ctx, cfg)
	if err != nil {
		tb.Fatalf("start %s: %v", cfg.Name, err)
	}
	tb.Cleanup(func() { MustStop(tb, n) })
	return n
}

// MustStop stops n within 15s.
func MustStop(tb testing.TB, n *cluster.Node) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		tb.Errorf("stop: %v", err)
	}
}
