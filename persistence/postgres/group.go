package postgres

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice"
)

// Group commit: the single-statement writes of a booking (the idempotency
// key, the booking, its payment, its notifications and their status
// updates) go through the writers of their database, which send all the
// statements waiting at that moment as ONE pipelined batch: one round trip
// and one implicit transaction, so one commit (one WAL flush) for the
// group instead of one per statement. The result equals running the
// statements one after another in queue order: each sees the writes of the
// ones before it.
//
// A statement that fails (a duplicate key, a check) aborts the server's
// transaction: the writer sends the batch again without it, so that its
// error reaches only its own caller. A serialization failure or a deadlock
// sends the group again as it was. A caller is answered once the group's
// commit returned; when the connection fails or the group times out, every
// caller of the group gets EUNAVAILABLE, and whether the group was saved
// is then unknown (a COMMIT may have been applied without its answer).
const (
	// groupQueueMax bounds the statements waiting for the writers; a
	// full queue answers EUNAVAILABLE at once instead of growing.
	groupQueueMax = 1024
	// groupSizeMax bounds the statements of one group, so that a steady
	// stream of writes still commits regularly.
	groupSizeMax = 256
	// groupWriters is the writers of one database: while one waits for
	// its group's commit, the next group is sent.
	groupWriters = 2
	// groupRetries bounds the resending of a group that failed on a
	// serialization failure or a deadlock.
	groupRetries = 3
)

// groupedServices are the databases whose writes go through group
// commit: the ones every booking writes. The seat journal has its own
// committer; users and catalog are mostly read.
var groupedServices = []string{"bookings", "payments", "notifications"}

// A stmt is one caller's statement, waiting in the queue.
type stmt struct {
	ctx  context.Context
	sql  string
	args []any
	done chan stmtResult // buffered: the writer never blocks on an answer
	// state moves once from queued to taken (a writer sends it) or to
	// abandoned (its caller gave up first), so that a caller that stops
	// waiting is certainly never applied.
	state atomic.Int32
}

const (
	queued int32 = iota
	taken
	abandoned
)

type stmtResult struct {
	tag pgconn.CommandTag
	err error
}

// groupWriter runs the group commits of one database.
type groupWriter struct {
	d     *db
	pool  *pgxpool.Pool
	queue chan *stmt

	mu     sync.RWMutex // held for reading while enqueueing; closed under the write lock
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup

	commits atomic.Uint64 // groups committed, for tests and benchmarks
}

// newGroupWriter makes the writer of d with room for queueMax statements;
// start runs it.
func newGroupWriter(d *db, queueMax int) *groupWriter {
	return &groupWriter{d: d, pool: d.pool, queue: make(chan *stmt, queueMax), stop: make(chan struct{})}
}

// start runs n writer goroutines.
func (w *groupWriter) start(n int) {
	for range n {
		w.wg.Go(w.run)
	}
}

// exec runs sql in the next group and returns its command tag and error
// once the group committed or failed. A statement's own error is the
// driver's, for the caller to translate; an error of the whole group is
// already EUNAVAILABLE. It returns EUNAVAILABLE at once when the queue is
// full or the writer closed, and ctx's error when ctx ends before the
// statement's turn (it is then never applied). Once sent, the statement
// waits for its group's answer, which groupTimeout bounds.
func (w *groupWriter) exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := ctx.Err(); err != nil {
		return pgconn.CommandTag{}, unavailable(w.d.service, err)
	}
	s := &stmt{ctx: ctx, sql: sql, args: args, done: make(chan stmtResult, 1)}
	if err := w.enqueue(s); err != nil {
		return pgconn.CommandTag{}, err
	}
	select {
	case res := <-s.done:
		return res.tag, res.err
	case <-ctx.Done():
		if s.state.CompareAndSwap(queued, abandoned) {
			return pgconn.CommandTag{}, unavailable(w.d.service, ctx.Err())
		}
		// A writer has taken it: its outcome is the group's.
		res := <-s.done
		return res.tag, res.err
	}
}

func (w *groupWriter) enqueue(s *stmt) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the %s database is closed", w.d.service)
	}
	select {
	case w.queue <- s:
		return nil
	default:
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the %s database is busy, try again", w.d.service)
	}
}

// close stops the writers after the groups they are running; the
// statements still queued fail with EUNAVAILABLE. Calling it again does
// nothing.
func (w *groupWriter) close() {
	w.mu.Lock()
	wasClosed := w.closed
	w.closed = true
	w.mu.Unlock()
	if !wasClosed {
		close(w.stop)
	}
	w.wg.Wait()
}

func (w *groupWriter) run() {
	group := make([]*stmt, 0, groupSizeMax)
	for {
		select {
		case s := <-w.queue:
			group = append(group[:0], s)
		fill:
			for len(group) < groupSizeMax {
				select {
				case s := <-w.queue:
					group = append(group, s)
				default:
					break fill
				}
			}
			w.commit(group)
			clear(group)
		case <-w.stop:
			// Nobody enqueues once closed is set, so this drains all.
			closedErr := boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the %s database is closed", w.d.service)
			for {
				select {
				case s := <-w.queue:
					answerQueued([]*stmt{s}, closedErr)
				default:
					return
				}
			}
		}
	}
}

// commit sends one group and answers its callers.
func (w *groupWriter) commit(group []*stmt) {
	live := make([]*stmt, 0, len(group))
	for _, s := range group {
		if !s.state.CompareAndSwap(queued, taken) {
			continue // its caller gave up
		}
		if err := s.ctx.Err(); err != nil {
			s.done <- stmtResult{err: unavailable(w.d.service, err)}
			continue
		}
		live = append(live, s)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		// Nothing was sent: none of the group is applied.
		answer(live, stmtResult{err: unavailable(w.d.service, err)})
		return
	}
	released := false
	defer func() {
		if !released {
			conn.Release()
		}
	}()
	retries := groupRetries
	for len(live) > 0 {
		tags, failed, err := sendGroup(ctx, conn.Conn(), live)
		if err == nil {
			w.commits.Add(1)
			for i, s := range live {
				s.done <- stmtResult{tag: tags[i]}
			}
			return
		}
		var pgErr *pgconn.PgError
		isPg := errors.As(err, &pgErr)
		switch {
		case isPg && retryable(pgErr.Code) && retries > 0:
			retries-- // nothing of the group was kept: send it again
		case isPg && retryable(pgErr.Code), !isPg && !isConnectionError(err):
			// Still conflicting, or an error no statement can be
			// blamed for (arguments pgx cannot encode): nothing was
			// kept, and each statement alone gets its own answer, on a
			// connection from the pool (pgx closes one whose batch it
			// could not build).
			conn.Release()
			released = true
			w.eachAlone(ctx, live)
			return
		case isPg && failed >= 0 && !transientState(pgErr.Code):
			// Its own error (a duplicate key, a check): the server
			// rolled the group back; the others go again without it.
			live[failed].done <- stmtResult{err: err}
			live = slices.Delete(live, failed, failed+1)
		default:
			answer(live, stmtResult{err: w.unknown(err)})
			return
		}
	}
}

// answer gives res to every statement of group.
func answer(group []*stmt, res stmtResult) {
	for _, s := range group {
		s.done <- res
	}
}

// answerQueued answers err to every statement of group its caller still
// waits for, without sending it.
func answerQueued(group []*stmt, err error) {
	for _, s := range group {
		if s.state.CompareAndSwap(queued, taken) {
			s.done <- stmtResult{err: err}
		}
	}
}
