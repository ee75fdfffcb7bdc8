package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// scenario is one kind of load. Setup runs before the clock starts; step
// is one iteration of one worker (one or a few requests), whose first
// request should have been sent at start: in the open loop that is the
// intended arrival time, so queueing before the send counts as latency.
type scenario interface {
	setup(ctx context.Context, env *Env) error
	step(ctx context.Context, w *Worker, start time.Time)
	// figures returns scenario-specific figures for the report, or nil.
	figures(elapsed time.Duration) map[string]float64
}

func newScenario(name string) scenario {
	switch name {
	case ScenarioFlashSale:
		return &flashSale{}
	case ScenarioSteady:
		return &steady{}
	case ScenarioMixed:
		return &mixed{}
	case ScenarioHoldContention:
		return &holdContention{}
	case ScenarioHoldRelease:
		return &holdRelease{}
	case ScenarioScale:
		return &scale{}
	}
	return &healthz{}
}

// seatsDefault is each scenario's hall size when --seats is not given.
func seatsDefault(name string) int {
	switch name {
	case ScenarioSteady, ScenarioMixed:
		return 200
	}
	return 50
}

// Env is what the workers of one run share.
type Env struct {
	cfg    Config
	runID  string
	client *Client
	admin  *User
	users  []*User
	venue  *Venue
	rec    *Recorder
	hist   *History
	acks   *ackLog
	keys   atomic.Uint64
	// capped counts holds the node's hold caps refused (details.reason):
	// the scenarios spread over enough users to keep it near zero.
	capped atomic.Int64
	start  time.Time // when the load began: set before the workers start
	// dispatchLagMax is the open loop's worst delay between an arrival's
	// due time and its queueing, in nanoseconds: a harness starved of CPU
	// shows here rather than as server latency alone.
	dispatchLagMax atomic.Int64
	// stepsDone counts finished scenario steps (arrivals in the open
	// loop): a closed run's steps per second is the rate an open run at
	// full load would ask for.
	stepsDone atomic.Int64

	mu        sync.Mutex
	showtimes []string // every showtime the run created, for the audit
	stopped   chan struct{}
	stopOnce  sync.Once
	stopWhy   string
}

// A new wave's showtime is asked for up to showtimeAttemptsMax times,
// showtimeRetryPause longer after each failure.
const (
	showtimeAttemptsMax = 5
	showtimeRetryPause  = 200 * time.Millisecond
)

// newShowtime puts a new showtime of the venue on sale and remembers it.
func (e *Env) newShowtime(ctx context.Context) (string, error) {
	e.mu.Lock()
	n := len(e.showtimes)
	e.mu.Unlock()
	if n >= showtimesMax {
		return "", fmt.Errorf("the run created %d showtimes, the most it may", showtimesMax)
	}
	// A node that fails (a fault, a restart) must not end the run: the
	// next attempt goes to the next target. A showtime whose answer was
	// lost is never sold, which changes nothing.
	var id string
	var err error
	for attempt := range showtimeAttemptsMax {
		if attempt > 0 && !sleepUntil(ctx, time.Now().Add(time.Duration(attempt)*showtimeRetryPause)) {
			break
		}
		if id, err = createShowtime(ctx, e.client, e.admin, e.venue); err == nil {
			break
		}
	}
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	e.showtimes = append(e.showtimes, id)
	e.mu.Unlock()
	return id, nil
}

// Showtimes returns the showtimes created so far.
func (e *Env) Showtimes() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.showtimes...)
}

// stop ends the load early (a scenario ran out of something, or failed);
// the first reason is kept for the report.
func (e *Env) stop(why string) {
	e.stopOnce.Do(func() {
		e.mu.Lock()
		e.stopWhy = why
		e.mu.Unlock()
		close(e.stopped)
	})
}

func (e *Env) isStopped() bool {
	select {
	case <-e.stopped:
		return true
	default:
		return false
	}
}

func (e *Env) stopReason() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopWhy
}

// idempotencyKey returns a key no other booking of any run uses.
func (e *Env) idempotencyKey() string {
	return fmt.Sprintf("lt-%s-%d", e.runID, e.keys.Add(1))
}

// Worker is one loop of the driver, acting as one user.
type Worker struct {
	ID       int
	env      *Env
	user     *User
	rng      *rand.Rand
	bookings []bookingRef // confirmed bookings of this worker that it may cancel
	noStats  bool         // setup traffic: recorded in the history, not in the figures
}

func newWorkers(env *Env, n int) []*Worker {
	ws := make([]*Worker, n)
	for i := range ws {
		ws[i] = &Worker{ID: i, env: env, rng: rand.New(rand.NewPCG(uint64(env.cfg.Seed), uint64(i)))}
		if len(env.users) > 0 {
			ws[i].user = env.users[i%len(env.users)]
		}
	}
	return ws
}

// keepBooking remembers a booking for a later cancellation, bounded.
func (w *Worker) keepBooking(b bookingRef) {
	if len(w.bookings) >= workerBookingsMax {
		w.bookings = w.bookings[1:]
	}
	w.bookings = append(w.bookings, b)
}

// takeBooking removes and returns a random remembered booking.
func (w *Worker) takeBooking() (bookingRef, bool) {
	if len(w.bookings) == 0 {
		return bookingRef{}, false
	}
	i := w.rng.IntN(len(w.bookings))
	b := w.bookings[i]
	w.bookings = append(w.bookings[:i], w.bookings[i+1:]...)
	return b, true
}

// pause waits d unless the run stops first.
func (w *Worker) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-w.env.stopped:
	case <-t.C:
	}
}

// Limits of the scenarios' own bookkeeping.
const (
	showtimesMax      = 10_000 // showtimes one run may create
	workerBookingsMax = 100
)

// ackLog remembers the bookings the harness got a 2xx for.
type ackLog struct {
	mu   sync.Mutex
	acks map[string]*Ack
}

func newAckLog() *ackLog { return &ackLog{acks: map[string]*Ack{}} }

func (l *ackLog) add(bookingID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.acks[bookingID] == nil {
		l.acks[bookingID] = &Ack{BookingID: bookingID}
	}
}

func (l *ackLog) cancelled(bookingID string, r SeatResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.acks[bookingID]; a != nil {
		a.Cancel = r
	}
}

func (l *ackLog) list() []Ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Ack, 0, len(l.acks))
	for _, a := range l.acks {
		out = append(out, *a)
	}
	return out
}
