package boxoffice_test

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/racedetect"
	"github.com/boxoffice/boxoffice/internal/seatcheck"
)

var (
	smSeedFlag  = flag.Uint64("seatmap.seed", 0, "run the seat map simulation for this seed only (or SEATMAP_SEED)")
	smStepsFlag = flag.Int("seatmap.steps", 0, "commands per simulation seed (or SEATMAP_STEPS)")
)

// TestSeatMapSimulation drives seat maps with random commands from several
// seeds (over a million in all) and checks every step against an
// independent reference model (internal/seatcheck): the outcome and error
// code the rules predict, the events (consecutive Seq, applied to a replica
// with the same result, valid for the model), and the whole observable
// state. Snapshots and journal replays swap in a fresh map mid-run, which
// must then behave exactly like the original (run side by side for a while).
//
// A failure names its seed: replay it with -seatmap.seed=N (or SEATMAP_SEED).
func TestSeatMapSimulation(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, uint64(time.Now().UnixNano())}
	steps := 131_072
	if racedetect.Enabled {
		steps /= 16 // the race detector makes the run about ten times slower
	}
	if testing.Short() {
		steps /= 16
	}
	if seed := smEnvUint("SEATMAP_SEED", *smSeedFlag); seed != 0 {
		seeds = []uint64{seed}
	}
	if n := smEnvUint("SEATMAP_STEPS", uint64(*smStepsFlag)); n != 0 {
		steps = int(n)
	}
	for _, seed := range seeds {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			s := newSMSim(t, smRand{rand.New(rand.NewPCG(seed, seed^0x5eed))}, seed)
			for s.total < steps {
				s.episode(steps - s.total)
			}
			t.Logf("seed %d: %d commands in %d episodes, %d events, %d ended holds forgotten, %v (replay: -seatmap.seed=%d)\noutcomes: %v",
				seed, s.total, s.episodes, s.events, s.forgotten, time.Since(start).Round(time.Millisecond), seed, s.outcomes)
		})
	}
}

func smEnvUint(name string, def uint64) uint64 {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

// smSim is one simulation: a seat map under test, a replica fed its events,
// the reference model, and, after a restore, the map it replaced (the twin).
type smSim struct {
	tb   testing.TB
	rnd  smChooser
	seed uint64

	st       *boxoffice.Showtime
	hall     *boxoffice.Hall
	layout   []seatcheck.Seat
	m        *boxoffice.SeatMap
	replica  *boxoffice.SeatMap
	twin     *boxoffice.SeatMap
	twinLeft int
	caps     boxoffice.HoldCaps // this episode's, or none
	model    *seatcheck.Model
	journal  []boxoffice.SeatEvent
	snap     *boxoffice.SeatSnapshot
	now      time.Time

	holdN, bookingN int
	recent          []string            // some holds placed lately
	ownerOf         map[string]string   // hold ID -> owner
	seatsOf         map[string][]string // hold ID -> seats, for holding them again
	booked          []string            // booking IDs confirmed, in order

	n                             int  // commands in this episode
	long                          bool // a long episode (see smChurnWeights)
	closeAt                       int  // the step that closes the showtime, 0 for never
	episodes, step, total, events int
	forgotten                     int            // ended holds the seat maps forgot, in all episodes
	history                       []smCmd        // the last commands, for failures
	outcomes                      map[string]int // "Op code" -> count, for the log
}

func newSMSim(tb testing.TB, rnd smChooser, seed uint64) *smSim {
	return &smSim{tb: tb, rnd: rnd, seed: seed, outcomes: map[string]int{}}
}

// smHalls are the halls episodes run in: mostly small, so seats are contended.
var smHalls = []boxoffice.Hall{
	{ID: "3x8", Rows: []boxoffice.Row{{Row: "A", Seats: 8, Category: "standard"},
		{Row: "B", Seats: 8, Category: "standard"}, {Row: "C", Seats: 8, Category: "premium"}}},
	{ID: "1x3", Rows: []boxoffice.Row{{Row: "A", Seats: 3, Category: "standard"}}},
	{ID: "2x12", Rows: []boxoffice.Row{{Row: "D", Seats: 12, Category: "premium"}, {Row: "Z", Seats: 12, Category: "box"}}},
	{ID: "5x20", Rows: []boxoffice.Row{{Row: "A", Seats: 20, Category: "standard"}, {Row: "B", Seats: 20, Category: "standard"},
		{Row: "C", Seats: 20, Category: "standard"}, {Row: "D", Seats: 20, Category: "premium"}, {Row: "E", Seats: 20, Category: "premium"}}},
}

// begin starts an episode of n commands: a new showtime in a hall, starting
// around when the episode ends (or, for a long episode, never within it).
func (s *smSim) begin(n int, long bool) {
	s.episodes++
	hall := &smHalls[[]int{0, 0, 0, 0, 0, 0, 0, 1, 2, 3}[s.rnd.Intn(10)]]
	if long {
		hall = &smHalls[3] // many seats: many holds, so many ended holds
	}
	s.now = time.Date(2031, 3, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(s.episodes) * 24 * time.Hour)
	starts := s.now.Add(time.Duration(n) * time.Duration(2500+s.rnd.Intn(7500)) * time.Millisecond)
	if long {
		starts = s.now.Add(10_000 * time.Hour)
	}
	s.st = &boxoffice.Showtime{ID: "st" + strconv.Itoa(s.episodes), HallID: hall.ID, StartsAt: starts,
		Currency: "EUR", Prices: map[string]int64{"standard": 1250, "premium": 1900, "box": 4999}}
	s.hall = hall
	s.m = boxoffice.NewSeatMap(s.st, hall)
	s.replica = boxoffice.NewSeatMap(s.st, hall)
	s.model = seatcheck.New(s.st, hall)
	// Half the short episodes cap what one owner holds; long ones need
	// many holds (to forget ended ones) and run without caps.
	s.caps = boxoffice.HoldCaps{}
	if !long && s.rnd.Intn(2) == 0 {
		s.caps = boxoffice.HoldCaps{SeatsPerShowtime: 1 + s.rnd.Intn(6), Cooldown: time.Duration(s.rnd.Intn(90)) * time.Second}
	}
	s.setCaps(s.m, s.replica)
	s.model.SetCaps(s.caps)
	s.layout = s.model.Layout()
	s.twin, s.twinLeft, s.snap, s.journal = nil, 0, nil, nil
	s.holdN, s.bookingN, s.recent, s.booked = 0, 0, nil, nil
	s.ownerOf, s.seatsOf = map[string]string{}, map[string][]string{}
	s.step, s.closeAt, s.n, s.long = 0, 0, n, long
	if err := s.model.Check(s.m, s.now); err != nil {
		s.fatalf("new seat map: %v", err)
	}
}

// episode runs one showtime for at most limit commands. One in 40 (and the
// first of every third seed) runs long enough for the seat map to forget
// ended holds; one in four is closed in its last quarter.
func (s *smSim) episode(limit int) {
	long := s.rnd.Intn(40) == 0 || (s.episodes == 0 && s.seed%3 == 0)
	n := 500 + s.rnd.Intn(5000)
	if long {
		n = 40_000 + s.rnd.Intn(10_000)
	}
	n = min(n, limit)
	s.begin(n, long)
	if s.rnd.Intn(4) == 0 {
		s.closeAt = n*3/4 + s.rnd.Intn(n/4+1)
	}
	for range n {
		s.run(s.gen())
	}
	s.end()
}

// end checks everything the seat map remembers, and that the whole journal
// replays into the same map.
func (s *smSim) end() {
	if err := s.model.CheckAll(s.m, s.now); err != nil {
		s.fatalf("end of episode: %v", err)
	}
	s.forgotten += s.model.Forgotten()
	s.run(smCmd{op: smOpReplay, now: s.now})
}

func (s *smSim) fatalf(format string, args ...any) {
	s.tb.Helper()
	var last strings.Builder
	for _, c := range s.history {
		fmt.Fprintf(&last, "\n  %v", c)
	}
	s.tb.Fatalf("seat map simulation failed: seed %d (replay: -seatmap.seed=%d), episode %d, step %d\n"+
		"last commands:%s\n%s", s.seed, s.seed, s.episodes, s.step, last.String(), fmt.Sprintf(format, args...))
}

// smResult is what a seat map answered to a command.
type smResult struct {
	hold             *boxoffice.Hold
	evs              []boxoffice.SeatEvent
	err              error
	seats            []string
	confirmed, found bool
}

func smExec(m *boxoffice.SeatMap, c smCmd) (r smResult) {
	switch c.op {
	case smOpHold:
		r.hold, r.evs, r.err = m.Hold(c.now, c.req)
	case smOpRelease:
		r.evs, r.err = m.Release(c.now, c.holdID, c.owner)
	case smOpConfirm:
		r.hold, r.evs, r.err = m.Confirm(c.now, c.holdID, c.owner, c.booking)
	case smOpCancel:
		r.evs, r.err = m.Cancel(c.now, c.booking)
	case smOpClose:
		r.evs = m.CancelShowtime(c.now)
	case smOpExpire:
		r.evs = m.Expire(c.now)
	case smOpHoldByID:
		r.hold, r.err = m.HoldByID(c.now, c.holdID, c.owner)
	case smOpBookingSeats:
		r.seats, r.confirmed, r.found = m.BookingSeats(c.booking)
	}
	return r
}

// run executes one command and checks it.
func (s *smSim) run(c smCmd) {
	s.tb.Helper()
	s.step++
	s.total++
	if len(s.history) == 12 {
		s.history = s.history[1:]
	}
	s.history = append(s.history, c)
	s.now = c.now
	switch c.op {
	case smOpSnapshot, smOpRestore, smOpReplay:
		s.restore(c.op)
		return
	}
	r := smExec(s.m, c)
	if s.twin != nil {
		s.checkTwin(c, r)
	}
	evs := r.evs
	if c.op != smOpHoldByID && c.op != smOpBookingSeats {
		evs = s.checkExpiries(c.now, evs)
	}
	s.outcomes[smOpNames[c.op]+" "+cmp.Or(boxoffice.ErrorCode(r.err), "ok")+" "+smWhy(r.err)]++
	if err := s.checkOutcome(c, s.want(c), r, evs); err != nil {
		s.fatalf("%v", err)
	}
	if err := s.model.ApplyAll(evs); err != nil {
		s.fatalf("the events break a rule: %v", err)
	}
	s.record(r.evs)
	if err := s.model.Check(s.m, s.now); err != nil {
		s.fatalf("seat map differs from the model: %v", err)
	}
	// The replica changes only by events; between them its View is compared
	// now and then, for the holds that time alone shows as free.
	if len(r.evs) > 0 || s.step%16 == 0 {
		if got, want := s.replica.View(s.now), s.m.View(s.now); !smSameView(got, want) {
			s.fatalf("replica View %+v, want %+v", got, want)
		}
	}
}

func smSameView(a, b boxoffice.SeatMapView) bool {
	return a.ShowtimeID == b.ShowtimeID && a.Version == b.Version && slices.Equal(a.Seats, b.Seats)
}

// checkExpiries checks that the command first expired exactly the holds due
// at its time, applies those to the model and returns the events after them.
func (s *smSim) checkExpiries(now time.Time, evs []boxoffice.SeatEvent) []boxoffice.SeatEvent {
	due := s.model.Due(now)
	if len(evs) < len(due) {
		s.fatalf("events %+v, want expiry of %v first", evs, due)
	}
	var expired []string
	for i, e := range evs[:len(due)] {
		if e.Kind != boxoffice.EventExpired || !e.At.Equal(now) || e.Seq != s.model.Seq()+uint64(i)+1 {
			s.fatalf("event %d is %+v, want expiry of one of %v at %v with Seq %d", i, e, due, now, s.model.Seq()+uint64(i)+1)
		}
		expired = append(expired, e.HoldID)
	}
	if slices.Sort(expired); !slices.Equal(expired, due) {
		s.fatalf("expired %v, want %v", expired, due)
	}
	if err := s.model.ApplyAll(evs[:len(due)]); err != nil {
		s.fatalf("the expiries break a rule: %v", err)
	}
	return evs[len(due):]
}

// record journals events and applies them to the replica.
func (s *smSim) record(evs []boxoffice.SeatEvent) {
	for _, e := range evs {
		if err := s.replica.Apply(e); err != nil {
			s.fatalf("replica Apply(%+v): %v", e, err)
		}
		switch e.Kind {
		case boxoffice.EventHeld:
			s.remember(e.HoldID, e.Owner, e.Seats)
		case boxoffice.EventConfirmed:
			s.booked = append(s.booked, e.BookingID)
		}
	}
	s.journal = append(s.journal, evs...)
	s.events += len(evs)
}

// checkTwin runs c on the map that a restore replaced: both must answer the
// same, event for event.
func (s *smSim) checkTwin(c smCmd, r smResult) {
	t := smExec(s.twin, c)
	if err := smSameResult(r, t); err != nil {
		s.fatalf("restored map and the original differ: %v\nrestored: %+v\noriginal: %+v", err, r, t)
	}
	if s.twinLeft--; s.twinLeft == 0 {
		s.twin = nil
	}
}

func smSameResult(a, b smResult) error {
	switch {
	case ((a.err == nil) != (b.err == nil)) || (a.err != nil && !reflect.DeepEqual(a.err, b.err)):
		return fmt.Errorf("errors %v and %v", a.err, b.err)
	case (a.hold == nil) != (b.hold == nil):
		return errors.New("only one returned a hold")
	case a.hold != nil && !(a.hold.ID == b.hold.ID && a.hold.Owner == b.hold.Owner &&
		slices.Equal(a.hold.Seats, b.hold.Seats) && a.hold.ExpiresAt.Equal(b.hold.ExpiresAt) &&
		a.hold.TotalCents == b.hold.TotalCents && a.hold.Currency == b.hold.Currency && a.hold.ShowtimeID == b.hold.ShowtimeID):
		return errors.New("holds differ")
	case !slices.Equal(a.seats, b.seats) || a.confirmed != b.confirmed || a.found != b.found:
		return errors.New("booking seats differ")
	case len(a.evs) != len(b.evs):
		return errors.New("event counts differ")
	}
	for i := range a.evs {
		if !smSameEvent(a.evs[i], b.evs[i]) {
			return fmt.Errorf("event %d differs", i)
		}
	}
	return nil
}

// restore takes a snapshot, or swaps in a fresh map restored from the last
// snapshot and the journal (a tail that overlaps the snapshot, as a store
// may return), or from the whole journal.
func (s *smSim) restore(op smOp) {
	if op == smOpSnapshot || (op == smOpRestore && s.snap == nil) {
		snap, err := s.m.Snapshot()
		if err != nil || snap.Seq != s.m.Seq() || snap.ShowtimeID != s.st.ID {
			s.fatalf("Snapshot: %+v, %v", snap, err)
		}
		s.snap = snap
		if op == smOpSnapshot {
			return
		}
	}
	fresh := boxoffice.NewSeatMap(s.st, s.hall)
	s.setCaps(fresh)
	var err error
	if op == smOpReplay {
		err = fresh.Restore(nil, s.journal)
	} else {
		from := s.rnd.Intn(int(s.snap.Seq) + 1)
		err = fresh.Restore(s.snap, s.journal[from:])
	}
	if err != nil {
		s.fatalf("%s: %v", smOpNames[op], err)
	}
	check := s.model.Check
	if s.rnd.Intn(8) == 0 {
		check = s.model.CheckAll
	}
	if err := check(fresh, s.now); err != nil {
		s.fatalf("%s: restored map differs from the model: %v", smOpNames[op], err)
	}
	if got, want := fresh.View(s.now), s.m.View(s.now); !smSameView(got, want) {
		s.fatalf("%s: View %+v, want %+v", smOpNames[op], got, want)
	}
	s.twin, s.m, s.twinLeft = s.m, fresh, 256
}

// setCaps gives empty seat maps the episode's hold caps.
func (s *smSim) setCaps(ms ...*boxoffice.SeatMap) {
	for _, m := range ms {
		if err := m.SetHoldCaps(s.caps); err != nil {
			s.fatalf("SetHoldCaps: %v", err)
		}
	}
}

func smWhy(err error) string {
	m := boxoffice.ErrorMessage(err)
	for _, w := range []string{"started", "cancelled", "not available", "exists", "booked", "per user", "just released"} {
		if strings.Contains(m, w) {
			return w
		}
	}
	return ""
}
