package cluster

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// pidCacheMax bounds the pids a node caches of the grains it called. The
// library's cache forgets a pid only when its own node stops the grain or
// a call to it fails: the pid of a grain on another node that passivated
// stays until that node leaves, so a node that calls a new booking grain
// for every booking would grow without bound. Past the bound the oldest
// cached pid is forgotten; a call that needs it again asks the owner,
// which answers with the live activation (one more round trip).
const pidCacheMax = 10_000

// pidRing remembers the order in which pids were cached, as a ring.
type pidRing struct {
	mu      sync.Mutex
	entries []cachedPID
	next    int
}

type cachedPID struct {
	identity, kind string
	pid            *actor.PID
}

// pidRings holds the ring of each cluster this process runs.
var pidRings sync.Map // *pcluster.Cluster -> *pidRing

// cachePID caches pid for (identity, kind) and forgets the oldest cached
// pid once more than limit are held.
func cachePID(c *pcluster.Cluster, identity, kind string, pid *actor.PID, limit int) {
	c.PidCache.Set(identity, kind, pid)
	v, _ := pidRings.LoadOrStore(c, &pidRing{})
	r := v.(*pidRing)
	r.mu.Lock()
	var old cachedPID
	if len(r.entries) < limit {
		r.entries = append(r.entries, cachedPID{identity, kind, pid})
	} else {
		old = r.entries[r.next]
		r.entries[r.next] = cachedPID{identity, kind, pid}
		r.next = (r.next + 1) % len(r.entries)
	}
	r.mu.Unlock()
	if old.pid != nil {
		// Only if it still maps to that pid: a newer activation's stays.
		c.PidCache.RemoveByValue(old.identity, old.kind, old.pid)
	}
}

// forgetPIDs drops the ring of a cluster that stopped.
func forgetPIDs(c *pcluster.Cluster) { pidRings.Delete(c) }
