package actors_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestJournalTwoActivationsOnOneNode runs two activations of one showtime
// on one node, so both hand their batches to the same journal committer
// (and often land in the same store call), in rounds of 8 concurrent holds
// each. Whichever writes first wins; the other's callers get
// EUNAVAILABLE. Every hold granted is in the journal and nothing else is,
// the journal is numbered without gaps, and each stored batch comes from
// one activation only (no interleaving).
func TestJournalTwoActivationsOnOneNode(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap})
	h := e.Holds()
	granted := map[string]bool{}
	var refused int
	var mu sync.Mutex
	for round := range 10 {
		ctx := testCtx(t)
		seatStatuses(t, e) // the cluster's activation is loaded
		hold2 := actors.SecondActivation(e.Engine, e.ShowtimeID)
		var wg sync.WaitGroup
		for c := range 16 {
			wg.Go(func() {
				seat := []string{fmt.Sprintf("%c%d", 'A'+rune(round), 1+c)}
				var hold *boxoffice.Hold
				var err error
				if c%2 == 0 {
					hold, err = h.Hold(ctx, e.ShowtimeID, fmt.Sprintf("one-%d", c), seat)
				} else {
					hold, err = hold2(ctx, fmt.Sprintf("two-%d", c), seat)
				}
				mu.Lock()
				defer mu.Unlock()
				switch boxoffice.ErrorCode(err) {
				case "":
					granted[hold.ID] = true
				case boxoffice.EUNAVAILABLE:
					refused++
				default:
					t.Errorf("round %d, seat %s: %v", round, seat, err)
				}
			})
		}
		wg.Wait()
	}
	if refused == 0 {
		t.Fatal("no activation was ever fenced: the test did not race two activations")
	}
	journal := mustLoadJournal(t, e.Stores.Seats, e.ShowtimeID)
	mustReplay(t, e.Stores, e.ShowtimeID, nil, journal)
	inJournal := map[string]bool{}
	for _, ev := range journal {
		if ev.Kind == boxoffice.EventHeld {
			inJournal[ev.HoldID] = true
		}
	}
	for id := range granted {
		if !inJournal[id] {
			t.Errorf("hold %s was granted but is not in the journal", id)
		}
	}
	for id := range inJournal {
		if !granted[id] {
			t.Errorf("hold %s is in the journal but its caller was refused", id)
		}
	}
	mustBeWholeBatches(t, journal, spy.storedBatches(e.ShowtimeID))
	t.Logf("%d holds granted, %d refused, %d batches stored", len(granted), refused, len(spy.storedBatches(e.ShowtimeID)))
}

// mustBeWholeBatches checks the journal is the stored batches one after
// the other, each of one activation (owners "one-..." or "two-...").
func mustBeWholeBatches(t *testing.T, journal []boxoffice.SeatEvent, batches [][]boxoffice.SeatEvent) {
	t.Helper()
	// The spy records a batch after its store call returns, so two calls
	// that end together may be recorded out of order; the fence orders
	// their commits by seq.
	batches = slices.Clone(batches)
	slices.SortFunc(batches, func(a, b []boxoffice.SeatEvent) int { return cmp.Compare(a[0].Seq, b[0].Seq) })
	var seq uint64
	for _, b := range batches {
		for _, ev := range b {
			seq++
			if ev.Seq != seq {
				t.Fatalf("stored batches are not numbered without gaps: seq %d after %d", ev.Seq, seq-1)
			}
			if prefix := strings.SplitN(ev.Owner, "-", 2)[0]; prefix != strings.SplitN(b[0].Owner, "-", 2)[0] {
				t.Fatalf("batch from seq %d carries the events of two activations", b[0].Seq)
			}
		}
	}
	if int(seq) != len(journal) {
		t.Fatalf("stored batches hold %d events, the journal %d", seq, len(journal))
	}
}

// TestJournalStoreErrorFailsOneShowtime puts ten showtimes' batches in one
// store call of the committer (one write in flight, held back by a gate
// while they queue) and makes the store fail one showtime's rows: that
// showtime's callers get EUNAVAILABLE, the other nine are stored and
// answered, and the failed showtime works again once the store does.
func TestJournalStoreErrorFailsOneShowtime(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap, JournalWrites: 1})
	h := e.Holds()
	ctx := testCtx(t)
	ids := []string{e.ShowtimeID}
	for range 10 {
		ids = append(ids, mustAddShowtime(t, e.Stores, e.ShowtimeID, time.Now().Add(72*time.Hour)))
	}
	for _, id := range ids {
		if _, err := h.SeatMap(ctx, id); err != nil { // loaded before the gate
			t.Fatal(err)
		}
	}
	bad := ids[5]
	gate := make(chan struct{})
	spy.set(func(s *seatSpy) { s.gate, s.fail, s.failFor = gate, errDiskFull, bad })

	first := make(chan error, 1)
	go func() { _, err := h.Hold(ctx, ids[0], "alice", []string{"A1"}); first <- err }()
	testwait.Until(t, 5*time.Second, "the first write in flight", func() bool { return spy.writing.Load() == 1 })
	codes := make(map[string]string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range ids[1:] {
		wg.Go(func() {
			_, err := h.Hold(ctx, id, "bob", []string{"B1"})
			mu.Lock()
			codes[id] = boxoffice.ErrorCode(err)
			mu.Unlock()
		})
	}
	testwait.Until(t, 5*time.Second, "ten showtimes queued", func() bool { return actors.JournalQueued(e.Engine) == 10 })
	close(gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("first hold: %v", err)
	}
	calls := spy.storeCalls()
	if len(calls) != 2 || len(calls[1]) != 10 || !slices.Contains(calls[1], bad) {
		t.Fatalf("store calls %v: want the gated one, then one with the ten queued showtimes", calls)
	}
	for _, id := range ids[1:] {
		want := ""
		if id == bad {
			want = boxoffice.EUNAVAILABLE
		}
		if codes[id] != want {
			t.Errorf("showtime %s answered %q, want %q", id, codes[id], want)
		}
		journal := mustLoadJournal(t, e.Stores.Seats, id)
		if n := len(journal); (id == bad) != (n == 0) {
			t.Errorf("showtime %s has %d events stored", id, n)
		}
	}
	spy.set(func(s *seatSpy) { s.gate, s.fail, s.failFor = nil, nil, "" })
	if _, err := h.Hold(ctx, bad, "bob", []string{"B1"}); err != nil {
		t.Fatalf("the failed showtime after the store recovered: %v", err)
	}
}

// TestJournalFullAnswersBusy fills the committer's queue (bound lowered to
// one event, one write in flight held back): the next hold is refused
// EUNAVAILABLE at once and counted, and the queued ones go through when
// the write ends.
func TestJournalFullAnswersBusy(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap, JournalWrites: 1})
	actors.SetJournalEventsMax(e.Engine, 1)
	h := e.Holds()
	ctx := testCtx(t)
	other := mustAddShowtime(t, e.Stores, e.ShowtimeID, time.Now().Add(72*time.Hour))
	third := mustAddShowtime(t, e.Stores, e.ShowtimeID, time.Now().Add(72*time.Hour))
	gate := make(chan struct{})
	spy.set(func(s *seatSpy) { s.gate = gate })
	errs := make(chan error, 2)
	go func() { _, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1"}); errs <- err }()
	testwait.Until(t, 5*time.Second, "the first write in flight", func() bool { return spy.writing.Load() == 1 })
	go func() { _, err := h.Hold(ctx, other, "alice", []string{"A1"}); errs <- err }()
	testwait.Until(t, 5*time.Second, "a batch queued", func() bool { return actors.JournalQueued(e.Engine) == 1 })

	_, err := h.Hold(ctx, third, "bob", []string{"A1"})
	mustCode(t, err, boxoffice.EUNAVAILABLE)
	if !strings.Contains(boxoffice.ErrorMessage(err), "busy") {
		t.Errorf("message %q does not say busy", boxoffice.ErrorMessage(err))
	}
	if n := e.Engine.JournalStats().Busy; n != 1 {
		t.Errorf("busy refusals counted: %d, want 1", n)
	}
	close(gate)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("queued hold: %v", err)
		}
	}
	if _, err := h.Hold(ctx, third, "bob", []string{"A1"}); err != nil {
		t.Fatalf("hold once the queue drained: %v", err)
	}
}

// TestJournalAddsWritesAsTheQueueGrows holds the node's first write in
// flight and queues batches of other showtimes behind it: while fewer
// events wait than a write in flight is worth, no second write starts (the
// first writer takes them next, in one larger write); once they reach it,
// a second write starts beside the first. Everything is stored when the
// writes end.
func TestJournalAddsWritesAsTheQueueGrows(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap, JournalWrites: 4})
	actors.SetJournalEventsPerWriter(e.Engine, 2)
	h := e.Holds()
	ctx := testCtx(t)
	ids := []string{e.ShowtimeID}
	for i := range 3 {
		ids = append(ids, mustAddShowtime(t, e.Stores, e.ShowtimeID, time.Now().Add(time.Duration(72+i)*time.Hour)))
	}
	gate := make(chan struct{})
	spy.set(func(s *seatSpy) { s.gate = gate })
	errs := make(chan error, len(ids))
	hold := func(id string) {
		go func() { _, err := h.Hold(ctx, id, "alice", []string{"A1"}); errs <- err }()
	}
	hold(ids[0])
	testwait.Until(t, 5*time.Second, "the first write in flight", func() bool { return spy.writing.Load() == 1 })
	hold(ids[1])
	testwait.Until(t, 5*time.Second, "a batch queued", func() bool { return actors.JournalQueued(e.Engine) == 1 })
	time.Sleep(50 * time.Millisecond) // a second write, if one were started, would show
	if n := spy.writing.Load(); n != 1 {
		t.Fatalf("writes in flight with 1 event queued: %d, want 1", n)
	}
	hold(ids[2])
	testwait.Until(t, 5*time.Second, "a second write for 2 queued events", func() bool { return spy.writing.Load() == 2 })
	close(gate)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("hold: %v", err)
		}
	}
	if _, err := h.Hold(ctx, ids[3], "bob", []string{"A1"}); err != nil {
		t.Fatalf("hold once the queue drained: %v", err)
	}
}
