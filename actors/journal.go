package actors

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Bounds of the node's journal committer.
const (
	// JournalWritesDefault is the most journal writes a node keeps in
	// flight when Config.JournalWrites is zero (it adds them as its queue
	// grows: journalEventsPerWriter). Each takes a connection of
	// the seats database's pool while it runs: the pool must allow it.
	// Measured with 64 clients over 100 showtimes on a 2-core machine
	// (BenchmarkHoldsOnPostgres): 2 and 4 writes gave the same holds/s
	// (about 16 and 8 events per write), 8 about a quarter less (4 per
	// write, and twice PostgreSQL's CPU per hold of 2).
	JournalWritesDefault = 4
	journalEventsMax     = 50_000 // events waiting for a write; past it, writing commands answer busy
	journalAppendsMax    = 512    // showtimes per write
	// journalEventsPerWriter is how many events must wait, per write in
	// flight, before the committer starts another write beside them.
	// Below it the running writers take the queue when their write ends:
	// PostgreSQL pays mostly per statement and per showtime, so fewer,
	// larger writes cost less CPU per event (over 100 showtimes, 1, 2 and
	// 3 writes in flight carried 29-33, 16 and 11-13 events and cost
	// PostgreSQL 41-49, 54-79 and 66-74 µs per hold and release). A queue
	// that outgrows the writes in flight gets another, up to writersMax.
	journalEventsPerWriter = 32
	snapshotWritesEvery    = 16 // event writes a lone writer makes before the snapshots due
)

// journal is the node's group commit for the seat journals. Every showtime
// grain hands it its decided batch instead of writing it; it writes the
// batches of many showtimes with one AppendSeatsMany call (one round trip
// and one commit), keeps up to writersMax calls in flight, and hands each
// showtime its own result. A grain keeps at most one batch here, so a
// showtime's batches are written in order.
//
// There is no long-lived goroutine: a writer starts when a batch comes and
// none is free, and ends when nothing is left to write. A grain that stops
// with a batch here still gets its result; nothing needs stopping.
type journal struct {
	store      boxoffice.SeatStore
	log        *slog.Logger
	writersMax int
	eventsMax  int // journalEventsMax; set before use (tests lower it)
	perWriter  int // journalEventsPerWriter; likewise

	events atomic.Int64 // events in queue; read without the lock by busy

	mu        sync.Mutex
	queue     []journalEntry
	snaps     map[string]*boxoffice.SeatSnapshot // due after their events, newest per showtime
	snapping  bool                               // a writer is writing snapshots
	unsnapped int                                // event writes since snapshots were last taken
	writers   int

	stats   journalCounters
	metrics *Metrics // nil: not counted; set before use
}

// journalEntry is one showtime's batch and who waits for its result.
type journalEntry struct {
	append boxoffice.SeatAppend
	snap   *boxoffice.SeatSnapshot // written after the events, in a write of its own
	done   func(error)
}

// JournalStats are the node's journal committer's counters since start.
type JournalStats struct {
	Writes  uint64 // AppendSeatsMany calls carrying events
	Appends uint64 // showtime batches written (stored or not)
	Events  uint64 // events written (stored or not)
	Busy    uint64 // commands refused because too many events waited
}

type journalCounters struct{ writes, appends, events, busy atomic.Uint64 }

// concurrentWriter is a seat store that says how many writes it can run at
// once (its connection pool; SQLite's one writer).
type concurrentWriter interface{ ConcurrentWrites() int }

// newJournal returns the committer of a node. writersMax 0 is
// JournalWritesDefault, or fewer if the store cannot run as many writes at
// once: a writer waiting for a connection has already taken its batches
// from the queue, which the next write in flight would have carried.
func newJournal(store boxoffice.SeatStore, log *slog.Logger, writersMax int) *journal {
	if writersMax <= 0 {
		writersMax = JournalWritesDefault
		if cw, ok := store.(concurrentWriter); ok {
			writersMax = max(1, min(writersMax, cw.ConcurrentWrites()))
		}
	}
	return &journal{store: store, log: log, writersMax: writersMax, eventsMax: journalEventsMax, perWriter: journalEventsPerWriter, snaps: map[string]*boxoffice.SeatSnapshot{}}
}

// busy reports whether so many events wait for a write that a command
// that writes must be refused at once (and counts the refusal). Checked
// before deciding, so a grain never holds state it could not hand over;
// the bound is soft by at most one batch per grain.
func (j *journal) busy() bool {
	full := j.events.Load() >= int64(j.eventsMax)
	if full {
		j.stats.busy.Add(1)
	}
	return full
}

// submit queues one showtime's batch; done gets its result, from another
// goroutine, once the events are durable or refused. It starts a writer
// when none runs, or when the queue outgrows the writes in flight (see
// journalEventsPerWriter). The snapshot, if
// any, is written later in a write of its own, and only if the events
// were stored.
func (j *journal) submit(a boxoffice.SeatAppend, done func(error)) {
	e := journalEntry{append: a, snap: a.Snapshot, done: done}
	e.append.Snapshot = nil
	j.mu.Lock()
	j.queue = append(j.queue, e)
	queued := j.events.Add(int64(len(a.Events)))
	start := j.writers == 0 ||
		(j.writers < j.writersMax && queued >= int64(j.writers*j.perWriter))
	if start {
		j.writers++
	}
	j.mu.Unlock()
	if start {
		go j.write()
	}
}

// write is one writer: it writes what is queued until nothing is. It takes
// the snapshots due when nothing else waits, or another writer is there
// to carry the events, so that snapshots never hold up the events' commit;
// a lone writer under constant load takes them every snapshotWritesEvery
// event writes, so that they are not put off for ever.
func (j *journal) write() {
	for {
		j.mu.Lock()
		if len(j.snaps) > 0 && !j.snapping &&
			(len(j.queue) == 0 || j.writers > 1 || j.unsnapped >= snapshotWritesEvery) {
			snaps := j.snaps
			j.snaps, j.snapping, j.unsnapped = map[string]*boxoffice.SeatSnapshot{}, true, 0
			j.mu.Unlock()
			j.writeSnapshots(snaps)
			j.mu.Lock()
			j.snapping = false
			j.mu.Unlock()
			continue
		}
		if len(j.queue) == 0 {
			j.writers--
			j.mu.Unlock()
			return
		}
		j.unsnapped++
		n := min(len(j.queue), journalAppendsMax)
		batch := j.queue[:n:n]
		j.queue = j.queue[n:]
		if len(j.queue) == 0 {
			j.queue = nil // let the backing array go
		}
		j.mu.Unlock()
		for _, e := range batch {
			j.events.Add(-int64(len(e.append.Events)))
		}
		j.writeEvents(batch)
	}
}

// writeEvents writes the batches of one flush and hands out the results.
func (j *journal) writeEvents(batch []journalEntry) {
	appends := make([]boxoffice.SeatAppend, len(batch))
	events := 0
	for i, e := range batch {
		appends[i] = e.append
		events += len(e.append.Events)
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	start := time.Now()
	errs := j.store.AppendSeatsMany(ctx, appends)
	j.metrics.journalFlush(events, time.Since(start))
	cancel()
	j.stats.writes.Add(1)
	j.stats.appends.Add(uint64(len(batch)))
	j.stats.events.Add(uint64(events))
	j.mu.Lock()
	for i, e := range batch {
		if errs[i] == nil && e.snap != nil {
			if old := j.snaps[e.append.ShowtimeID]; old == nil || old.Seq < e.snap.Seq {
				j.snaps[e.append.ShowtimeID] = e.snap
			}
		}
	}
	j.mu.Unlock()
	for i, e := range batch {
		e.done(errs[i])
	}
}

// writeSnapshots stores snapshots whose events are durable. A failure only
// costs a longer load later: it is logged, and the grain snapshots again
// after more events.
func (j *journal) writeSnapshots(snaps map[string]*boxoffice.SeatSnapshot) {
	appends := make([]boxoffice.SeatAppend, 0, len(snaps))
	for id, s := range snaps {
		appends = append(appends, boxoffice.SeatAppend{ShowtimeID: id, Snapshot: s})
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	errs := j.store.AppendSeatsMany(ctx, appends)
	cancel()
	for i, err := range errs {
		if err != nil {
			j.log.Warn("journal: snapshot not stored", "showtime", appends[i].ShowtimeID, "seq", appends[i].Snapshot.Seq, "err", err)
		}
	}
}

// Stats returns the counters.
func (j *journal) Stats() JournalStats {
	return JournalStats{Writes: j.stats.writes.Load(), Appends: j.stats.appends.Load(),
		Events: j.stats.events.Load(), Busy: j.stats.busy.Load()}
}
