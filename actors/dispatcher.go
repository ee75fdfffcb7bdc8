package actors

import (
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

const (
	// dispatcherThroughput is how many messages a mailbox handles before it
	// lets other goroutines run: protoactor's default.
	dispatcherThroughput = 300
	// dispatcherIdle is how long a mailbox goroutine waits for more work
	// before it exits.
	dispatcherIdle = 5 * time.Second
)

// dispatcher runs actor mailboxes on goroutines it keeps for a while once
// they run out of work. protoactor's default dispatcher starts a new
// goroutine each time an idle mailbox gets a message; a showtime grain
// under load empties its mailbox thousands of times a second, and each new
// goroutine began with a small stack that it then grew, by copying, deep in
// the grain's first call: 4 % of a node's CPU in the hold-contention load
// test. A reused goroutine keeps the stack it grew.
//
// Schedule never blocks: it hands the work to an idle goroutine if one is
// waiting, and starts one otherwise, as the default dispatcher does.
type dispatcher struct {
	work chan func()
	mu   sync.Mutex
	done chan struct{} // closed by stop; a new one after reopen
}

var _ actor.Dispatcher = (*dispatcher)(nil)

func newDispatcher() *dispatcher {
	return &dispatcher{work: make(chan func()), done: make(chan struct{})}
}

func (d *dispatcher) Throughput() int { return dispatcherThroughput }

func (d *dispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
	default:
		go d.run(fn)
	}
}

// run does fn, then waits for more work until it has been idle for
// dispatcherIdle or the dispatcher stops.
func (d *dispatcher) run(fn func()) {
	done := d.doneChan()
	fn()
	idle := time.NewTimer(dispatcherIdle)
	defer idle.Stop()
	for {
		select {
		case fn = <-d.work:
			fn()
			idle.Reset(dispatcherIdle)
		case <-idle.C:
			return
		case <-done:
			return
		}
	}
}

// stop lets the idle goroutines go. Work scheduled after it still runs, on
// a goroutine that exits when it is done.
func (d *dispatcher) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-d.done:
	default:
		close(d.done)
	}
}

// reopen lets goroutines wait for work again after stop (an engine started
// again).
func (d *dispatcher) reopen() {
	d.mu.Lock()
	defer d.mu.Unlock()
	select {
	case <-d.done:
		d.done = make(chan struct{})
	default:
	}
}

func (d *dispatcher) doneChan() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}
