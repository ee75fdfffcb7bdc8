package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Group commit: every write transaction on one database file goes through
// one writer goroutine, which runs all the transactions waiting at that
// moment in ONE SQLite transaction, each inside its own SAVEPOINT, and
// commits once. With synchronous=FULL a commit is an fsync of the WAL, so a
// group of n writers pays one fsync instead of n, and nobody waits for a
// commit that is not also theirs. The result equals running the functions
// one after another in queue order: each sees the writes of the ones before
// it, and a function that fails rolls back only its own savepoint.
//
// A caller is answered only once the group's COMMIT returned: a failed
// COMMIT fails every caller of the group, and none of its writes are
// visible. A function's own error does not wait for the commit (nothing of
// it is kept).
const (
	// groupQueueMax bounds the transactions waiting for the writer; a
	// full queue answers EUNAVAILABLE at once instead of growing.
	groupQueueMax = 1024
	// groupSizeMax bounds the transactions of one group, so that a
	// steady stream of writers still commits regularly.
	groupSizeMax = 256
	// groupTimeout bounds one group (its statements wait at most
	// busyTimeoutMs for a lock another process holds, and the group ends
	// with one fsync); a group past it is rolled back and fails.
	groupTimeout = 30 * time.Second
)

// A request is one caller's transaction function, waiting in the queue.
type request struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan result // buffered: the writer never blocks on an answer
	// state moves once from queued to taken (the writer runs it) or to
	// abandoned (its caller gave up first), so that a caller that stops
	// waiting is certainly never applied.
	state atomic.Int32
}

const (
	queued int32 = iota
	taken
	abandoned
)

type result struct {
	err      error
	panicked any // a panic of fn, raised again in the caller's goroutine
	hasPanic bool
}

// committer is the writer of one database file.
type committer struct {
	db      *sql.DB
	service string
	queue   chan *request

	mu     sync.RWMutex // held for reading while enqueueing; closed under the write lock
	closed bool
	stop   chan struct{}
	done   chan struct{}

	commits atomic.Uint64 // groups committed, for tests and benchmarks
}

// newCommitter starts the writer of sdb; at most queueMax transactions
// wait for it.
func newCommitter(sdb *sql.DB, service string, queueMax int) *committer {
	c := &committer{
		db:      sdb,
		service: service,
		queue:   make(chan *request, queueMax),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go c.run()
	return c
}

// do runs fn in the next group and returns its error, or the error that
// failed the whole group, once the group committed or failed. It returns
// EUNAVAILABLE at once when the queue is full or the database is closed,
// and ctx's error when ctx ends before fn's turn (fn is then never run).
func (c *committer) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan result, 1)}
	if err := c.enqueue(r); err != nil {
		return err
	}
	var res result
	select {
	case res = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		// The writer has taken it: its outcome is the group's.
		res = <-r.done
	}
	if res.hasPanic {
		panic(res.panicked)
	}
	return res.err
}

func (c *committer) enqueue(r *request) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s database is closed", c.service)
	}
	select {
	case c.queue <- r:
		return nil
	default:
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s database busy, try again", c.service)
	}
}

// close stops the writer after the group it is running; the transactions
// still queued fail with EUNAVAILABLE. Calling it again does nothing.
func (c *committer) close() {
	c.mu.Lock()
	wasClosed := c.closed
	c.closed = true
	c.mu.Unlock()
	if !wasClosed {
		close(c.stop)
	}
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	group := make([]*request, 0, groupSizeMax)
	for {
		select {
		case r := <-c.queue:
			group = append(group[:0], r)
		fill:
			for len(group) < groupSizeMax {
				select {
				case r := <-c.queue:
					group = append(group, r)
				default:
					break fill
				}
			}
			c.commit(group)
			clear(group)
		case <-c.stop:
			// Nobody enqueues once closed is set, so this drains all.
			closedErr := boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s database is closed", c.service)
			for {
				select {
				case r := <-c.queue:
					answerQueued([]*request{r}, closedErr)
				default:
					return
				}
			}
		}
	}
}

// commit runs one group in one transaction and answers its callers. It
// holds the file's connection for the whole group, so that no query of
// another caller runs inside the group's transaction and reads what is not
// committed yet.
func (c *committer) commit(group []*request) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	sc, err := c.db.Conn(ctx)
	if err != nil {
		answerQueued(group, translate(err, c.service+" connection"))
		return
	}
	defer func() { _ = sc.Close() }()
	tx, err := sc.BeginTx(ctx, nil)
	if err != nil {
		answerQueued(group, translate(err, c.service+" transaction"))
		return
	}
	applied := make([]*request, 0, len(group))
	fail := func(err error) {
		_ = tx.Rollback()
		// A COMMIT that failed (a lock, a deferred constraint) may leave
		// SQLite's transaction open on the connection; end it before the
		// connection serves anyone else.
		_, _ = sc.ExecContext(ctx, `ROLLBACK`)
		for _, r := range applied {
			r.done <- result{err: err}
		}
	}
	for i, r := range group {
		if !r.state.CompareAndSwap(queued, taken) {
			continue // its caller gave up
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- result{err: err}
			continue
		}
		res, broken := c.apply(ctx, tx, r)
		if broken != nil {
			// The transaction itself is gone: nothing of the group is
			// kept, so every caller applied so far fails, and so do the
			// ones not yet run (they would run outside any transaction).
			err := c.rolledBack(broken)
			applied = append(applied, r)
			answerQueued(group[i+1:], err)
			fail(err)
			return
		}
		if res.err != nil || res.hasPanic {
			r.done <- res
			continue
		}
		applied = append(applied, r)
	}
	if err := tx.Commit(); err != nil {
		fail(translate(err, c.service+" commit"))
		return
	}
	c.commits.Add(1)
	for _, r := range applied {
		r.done <- result{}
	}
}

// rolledBack is the error of a group whose transaction SQLite ended:
// EUNAVAILABLE, saying why when the cause is known (a full disk, an I/O
// error).
func (c *committer) rolledBack(cause error) error {
	if err := translate(cause, c.service+" transaction"); boxoffice.ErrorCode(err) == boxoffice.EUNAVAILABLE {
		return err
	}
	return fmt.Errorf("%w: %w", boxoffice.Errorf(boxoffice.EUNAVAILABLE,
		"%s database: the transaction was rolled back, try again", c.service), cause)
}

// answerQueued answers err to every request of group its caller still
// waits for, without running it.
func answerQueued(group []*request, err error) {
	for _, r := range group {
		if r.state.CompareAndSwap(queued, taken) {
			r.done <- result{err: err}
		}
	}
}

// apply runs r's function inside a savepoint: a function that fails (or
// panics) has its savepoint rolled back and gets its own error. broken is
// set when a savepoint statement fails, which means the transaction is no
// longer there (SQLite rolls a whole transaction back on some errors, an
// interrupted write among them).
func (c *committer) apply(ctx context.Context, tx *sql.Tx, r *request) (res result, broken error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT tx`); err != nil {
		return result{}, err
	}
	res = call(r.fn, tx)
	if res.err == nil && !res.hasPanic {
		if _, err := tx.ExecContext(ctx, `RELEASE tx`); err != nil {
			return result{}, err
		}
		return res, nil
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO tx`); err != nil {
		// The function's error comes first: it is what ended the
		// transaction (a full disk rolls it back whole).
		cause := res.err
		if res.hasPanic {
			cause = fmt.Errorf("panic: %v", res.panicked)
		}
		return result{}, fmt.Errorf("%w (then rolling back to its savepoint: %v)", cause, err)
	}
	if _, err := tx.ExecContext(ctx, `RELEASE tx`); err != nil {
		return result{}, err
	}
	return res, nil
}

// call runs fn and catches its panic, so that the writer survives it and
// the caller's goroutine raises it.
func call(fn func(tx *sql.Tx) error, tx *sql.Tx) (res result) {
	defer func() {
		if p := recover(); p != nil {
			res = result{panicked: p, hasPanic: true}
		}
	}()
	return result{err: fn(tx)}
}
