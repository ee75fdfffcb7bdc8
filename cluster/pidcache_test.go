package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/boxoffice/boxoffice/cluster"
)

// TestPIDCacheBounded: a node that calls a new grain on another node for
// every booking caches one pid each; the grains passivate there, which
// this node never hears of. The cache keeps the newest PIDCacheMax and
// forgets the oldest, so memory stays bounded however long the node runs.
func TestPIDCacheBounded(t *testing.T) {
	n := MustStart(t, cluster.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const extra = 100
	id := func(i int) string { return fmt.Sprintf("booking-%d", i) }
	for i := range cluster.PIDCacheMax + extra {
		pid := actor.NewPID("10.0.0.9:8090", "partition-activator/"+id(i))
		if _, err := cluster.ResolveRemote(ctx, n, id(i), "echo", pid); err != nil {
			t.Fatal(err)
		}
	}
	cache := n.Cluster().PidCache
	for i := range extra {
		if _, ok := cache.Get(id(i), "echo"); ok {
			t.Fatalf("the pid of %s, among the %d oldest, is still cached: the cache grows without bound", id(i), extra)
		}
	}
	for i := extra; i < cluster.PIDCacheMax+extra; i++ {
		if _, ok := cache.Get(id(i), "echo"); !ok {
			t.Fatalf("the pid of %s, among the newest %d, was forgotten", id(i), cluster.PIDCacheMax)
		}
	}
}
