package loadtest

import (
	"maps"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Op names an operation in the report.
type Op string

// Operations the scenarios perform.
const (
	OpHold     Op = "hold"     // POST /showtimes/{id}/holds
	OpBook     Op = "book"     // POST /bookings (each attempt)
	OpRelease  Op = "release"  // DELETE /holds/{id}
	OpCancel   Op = "cancel"   // POST /bookings/{id}/cancel
	OpSeatMap  Op = "seatmap"  // GET /showtimes/{id}/seats
	OpBookings Op = "bookings" // GET /bookings
	OpHealth   Op = "health"   // GET /healthz
)

// Histogram ranges: latencies are recorded in microseconds from 1 us to
// 10 minutes (longer ones are clamped), three significant figures for the
// run and two for each second of the timeline.
const (
	latencyUsMin     = 1
	latencyUsMax     = int64(10 * time.Minute / time.Microsecond)
	sigFigsRun       = 3
	sigFigsSecond    = 2
	timelineSecsMax  = int(DurationMax/time.Second) + 1
	usPerMillisecond = 1000.0
)

// opStats is the record of one operation (or of all).
// hist holds latencies from the intended send time, svc from the actual
// send: they differ in the open loop when arrivals queue in the harness.
type opStats struct {
	hist     *hdrhistogram.Histogram
	svc      *hdrhistogram.Histogram
	outcomes map[string]int64
	errors   int64
}

func newOpStats() *opStats {
	return &opStats{hist: hdrhistogram.New(latencyUsMin, latencyUsMax, sigFigsRun),
		svc: hdrhistogram.New(latencyUsMin, latencyUsMax, sigFigsRun), outcomes: map[string]int64{}}
}

func micros(d time.Duration) int64 { return min(max(d.Microseconds(), latencyUsMin), latencyUsMax) }

// Second is one second of the timeline.
type Second struct {
	Second   int     `json:"second"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

// Recorder collects latencies and outcomes. It is safe for concurrent
// use; one mutex is plenty next to the cost of an HTTP request.
type Recorder struct {
	start time.Time

	mu      sync.Mutex
	all     *opStats
	ops     map[Op]*opStats
	cur     int // the second being filled
	curHist *hdrhistogram.Histogram
	curReq  int64
	curErr  int64
	seconds []Second // finished seconds
	last    time.Time
	dropped int64
}

// NewRecorder starts the clock of the timeline at start.
func NewRecorder(start time.Time) *Recorder {
	return &Recorder{start: start, all: newOpStats(), ops: map[Op]*opStats{},
		curHist: hdrhistogram.New(latencyUsMin, latencyUsMax, sigFigsSecond), last: start}
}

// Record adds one request that ended at done: its latency from when it
// should have been sent, and its service time from when it was sent.
func (r *Recorder) Record(op Op, outcome string, isErr bool, latency, service time.Duration, done time.Time) {
	us, svc := micros(latency), micros(service)
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.ops[op]
	if s == nil {
		s = newOpStats()
		r.ops[op] = s
	}
	for _, st := range []*opStats{s, r.all} {
		_ = st.hist.RecordValue(us) // clamped into range: cannot fail
		_ = st.svc.RecordValue(svc)
		st.outcomes[outcome]++
		if isErr {
			st.errors++
		}
	}
	r.rollLocked(done)
	_ = r.curHist.RecordValue(us)
	r.curReq++
	if isErr {
		r.curErr++
	}
	if done.After(r.last) {
		r.last = done
	}
}

// CountDropped counts an open-loop arrival that was never sent: the
// backlog was full, or the run stopped first. It is an error with no
// latency.
func (r *Recorder) CountDropped() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all.outcomes[OutcomeDropped]++
	r.all.errors++
	r.dropped++
}

// rollLocked closes the seconds before the one at t. A request that ends
// in a second already closed counts in the current one.
func (r *Recorder) rollLocked(t time.Time) {
	sec := min(int(t.Sub(r.start)/time.Second), timelineSecsMax)
	for r.cur < sec {
		h := r.curHist
		r.seconds = append(r.seconds, Second{Second: r.cur, Requests: r.curReq, Errors: r.curErr,
			P50Ms: ms(h.ValueAtQuantile(50)), P99Ms: ms(h.ValueAtQuantile(99)), MaxMs: ms(h.Max())})
		h.Reset()
		r.curReq, r.curErr = 0, 0
		r.cur++
	}
}

// Tick closes the seconds before now and returns the last closed one.
func (r *Recorder) Tick(now time.Time) (Second, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rollLocked(now)
	if len(r.seconds) == 0 {
		return Second{}, false
	}
	return r.seconds[len(r.seconds)-1], true
}

// Totals returns requests and errors so far.
func (r *Recorder) Totals() (requests, errors int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all.hist.TotalCount(), r.all.errors
}

// snapshot is a copy of everything recorded, for the report.
type snapshot struct {
	dropped int64
	all     *opStats
	ops     map[Op]*opStats
	seconds []Second
	last    time.Time
}

// snapshot closes the current second and copies the record.
func (r *Recorder) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.curReq > 0 {
		r.rollLocked(r.start.Add(time.Duration(r.cur+1) * time.Second))
	}
	cp := func(s *opStats) *opStats {
		return &opStats{hist: s.hist.Clone(), svc: s.svc.Clone(), outcomes: maps.Clone(s.outcomes), errors: s.errors}
	}
	out := snapshot{all: cp(r.all), ops: map[Op]*opStats{}, seconds: append([]Second(nil), r.seconds...), last: r.last, dropped: r.dropped}
	for op, s := range r.ops {
		out.ops[op] = cp(s)
	}
	return out
}

func ms(us int64) float64 { return float64(us) / usPerMillisecond }
