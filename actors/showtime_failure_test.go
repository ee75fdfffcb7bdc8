package actors_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

func TestShowtimeWriteFailure(t *testing.T) {
	parallel(t)
	spy := newSeatSpy(nil)
	e := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy.wrap})
	h := e.Holds()
	if _, err := h.Hold(testCtx(t), e.ShowtimeID, "alice", []string{"J50"}); err != nil {
		t.Fatal(err)
	}

	t.Run("every command of a failed write and of the batch behind it fails unavailable", func(t *testing.T) {
		ctx := testCtx(t)
		gate := make(chan struct{})
		spy.set(func(s *seatSpy) { s.gate, s.fail = gate, errDiskFull })
		appends := spy.appends.Load()
		var codes []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			codes = race(20, func(i int) error {
				_, err := h.Hold(ctx, e.ShowtimeID, "bob", seatIDs(i*2, 2))
				return err
			})
		}()
		testwait.Until(t, 5*time.Second, "a write in flight", func() bool { return spy.writing.Load() == 1 })
		testwait.Until(t, 10*time.Second, "the other 19 queued behind it", func() bool { return actors.QueuedReplies(e.ShowtimeID) == 20 })
		close(gate)
		<-done
		if c := count(codes); c[boxoffice.EUNAVAILABLE] != 20 {
			t.Fatalf("outcomes = %v, want 20 %s", c, boxoffice.EUNAVAILABLE)
		}
		// One write if all 19 were queued when it failed; a straggler that
		// came after makes the reloaded grain try (and fail) again.
		n := spy.appends.Load() - appends
		t.Logf("%d writes for 20 holds", n)
		if n > 3 {
			t.Errorf("%d writes: the commands queued behind the failed one should fail with it, unwritten", n)
		}
	})

	t.Run("the grain reloads and its seats are what the store has", func(t *testing.T) {
		ctx := testCtx(t)
		spy.set(func(s *seatSpy) { s.gate, s.fail = nil, nil })
		loads := spy.loads.Load()
		for i := range 20 {
			if _, err := h.Hold(ctx, e.ShowtimeID, "carol", seatIDs(i*2, 2)); err != nil {
				t.Fatalf("hold %d after the store recovered: %v", i, err)
			}
		}
		if spy.loads.Load() == loads {
			t.Error("the grain did not reload after the failed write")
		}
		_, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"J50"})
		mustCode(t, err, boxoffice.ECONFLICT) // the hold from before the failure survived
		mustAgree(t, e)
	})

	t.Run("a write that failed after it was stored shows in the seat map", func(t *testing.T) {
		ctx := testCtx(t)
		spy.set(func(s *seatSpy) { s.fail, s.failStored = errDiskFull, true })
		_, err := h.Hold(ctx, e.ShowtimeID, "dave", []string{"H7"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		spy.set(func(s *seatSpy) { s.fail, s.failStored = nil, false })
		st, _ := seatStatuses(t, e)
		if st["H7"] != boxoffice.SeatHeld {
			t.Fatalf("H7 is %s; the store has it held", st["H7"])
		}
		_, err = h.Hold(ctx, e.ShowtimeID, "erin", []string{"H7"})
		mustCode(t, err, boxoffice.ECONFLICT)
		mustAgree(t, e)
	})

	t.Run("parked watchers all get unavailable at once when a write fails", func(t *testing.T) {
		ctx := testCtx(t)
		_, version := seatStatuses(t, e)
		spy.set(func(s *seatSpy) { s.fail = errDiskFull })
		defer spy.set(func(s *seatSpy) { s.fail = nil })
		const watchers = 4
		errs := make(chan error, watchers)
		for range watchers {
			go func() {
				wctx, cancel := context.WithTimeout(ctx, 8*time.Second)
				defer cancel()
				_, err := h.WatchSeats(wctx, e.ShowtimeID, version)
				errs <- err
			}()
		}
		testwait.Until(t, 10*time.Second, "all watchers parked", func() bool { return actors.ParkedWatchers(e.ShowtimeID) == watchers })
		_, err := h.Hold(ctx, e.ShowtimeID, "frank", []string{"H8"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		// The failed write answers them. Left parked, each would be
		// answered with nothing new when its 7s wait ends: unavailable
		// proves the failure answered it.
		testwait.Until(t, 5*time.Second, "the watchers unparked", func() bool { return actors.ParkedWatchers(e.ShowtimeID) == 0 })
		for i := range watchers {
			if err := <-errs; boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
				t.Errorf("watcher %d: %v, want %s at once", i, err, boxoffice.EUNAVAILABLE)
			}
		}
	})
}

func TestShowtimeFencing(t *testing.T) {
	skipTwoNodesUnderRace(t)
	parallel(t)
	spy1, spy2 := newSeatSpy(nil), newSeatSpy(nil)
	e1 := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy1.wrap})
	// A second single-node cluster on the same database: the showtime
	// lives on both, as after a partition.
	e2 := MustOpenShowtimes(t, ShowtimeOptions{Seats: spy2.wrap, Stores: e1.Stores, ShowtimeID: e1.ShowtimeID})
	h1, h2 := e1.Holds(), e2.Holds()

	t.Run("the store refuses the stale writer, which stops and reloads on the retry", func(t *testing.T) {
		ctx := testCtx(t)
		seatStatuses(t, e1) // both activations load the empty journal
		seatStatuses(t, e2)
		if _, err := h1.Hold(ctx, e1.ShowtimeID, "alice", []string{"A1"}); err != nil {
			t.Fatal(err)
		}
		loads := spy2.loads.Load()
		_, err := h2.Hold(ctx, e1.ShowtimeID, "bob", []string{"A2"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		testwait.Until(t, 2*time.Second, "the fenced activation to stop", func() bool { return !activation(e2, e2.ShowtimeID) })
		if _, err := h2.Hold(ctx, e1.ShowtimeID, "bob", []string{"A2"}); err != nil {
			t.Fatalf("retry on the second node: %v", err)
		}
		if spy2.loads.Load() != loads+1 {
			t.Errorf("second node loaded %d times, want one reload", spy2.loads.Load()-loads)
		}
		st, _ := seatStatuses(t, e2)
		if st["A1"] != boxoffice.SeatHeld || st["A2"] != boxoffice.SeatHeld {
			t.Fatalf("second node after reload: A1=%s A2=%s", st["A1"], st["A2"])
		}
		// Now the first node is the stale one.
		_, err = h1.Hold(ctx, e1.ShowtimeID, "carol", []string{"A2"})
		mustCode(t, err, boxoffice.EUNAVAILABLE)
		_, err = h1.Hold(ctx, e1.ShowtimeID, "carol", []string{"A2"})
		mustCode(t, err, boxoffice.ECONFLICT)
	})

	t.Run("writers racing on two nodes never put a seat in two holds", func(t *testing.T) {
		fencingRace(t, e1, e2, spy1, spy2)
	})
}

// fencingRace has 8 clients per node hold seats of their own (80 per node)
// and all 16 contend for 30 shared seats, retrying while the grain answers
// unavailable. Every hold a client was granted must be in the journal,
// nothing else may be, and the journal must replay.
func fencingRace(t *testing.T, e1, e2 *ShowtimeEnv, spy1, spy2 *seatSpy) {
	// A budget for the whole race, not per call: generous for -race on a
	// busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	shared := seatIDs(400, 30)
	var mu sync.Mutex
	granted := map[string][]string{} // hold -> seats
	winners := map[string]int{}      // shared seat -> grants
	var errs []error
	retries := 0
	var wg sync.WaitGroup
	for c := range 16 {
		e := []*ShowtimeEnv{e1, e2}[c%2]
		own := seatIDs(50+c*10, 10)
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 11))
			seats := append(own, shared...)
			rng.Shuffle(len(seats), func(i, j int) { seats[i], seats[j] = seats[j], seats[i] })
			for _, s := range seats {
				var h *boxoffice.Hold
				var err error
				for try := 0; try < 200 && ctx.Err() == nil; try++ {
					h, err = e.Holds().Hold(ctx, e.ShowtimeID, fmt.Sprintf("c%d", c), []string{s})
					if boxoffice.ErrorCode(err) != boxoffice.EUNAVAILABLE {
						break
					}
					mu.Lock()
					retries++
					mu.Unlock()
					time.Sleep(time.Millisecond)
				}
				mu.Lock()
				if err == nil && h == nil {
					// The budget ran out before this seat was tried.
					errs = append(errs, fmt.Errorf("seat %s: not tried: %w", s, ctx.Err()))
					mu.Unlock()
					return
				}
				switch boxoffice.ErrorCode(err) {
				case "":
					granted[h.ID] = h.Seats
					winners[s]++
				case boxoffice.ECONFLICT:
					if !slices.Contains(shared, s) {
						errs = append(errs, fmt.Errorf("own seat %s: %w", s, err))
					}
				default:
					errs = append(errs, fmt.Errorf("seat %s: %w", s, err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	for _, s := range shared {
		if winners[s] != 1 {
			t.Errorf("shared seat %s granted %d times", s, winners[s])
		}
	}
	journal := mustLoadJournal(t, e1.Stores.Seats, e1.ShowtimeID)
	mustReplay(t, e1.Stores, e1.ShowtimeID, nil, journal)
	inJournal := 0
	for _, ev := range journal {
		if ev.Kind != boxoffice.EventHeld || ev.Owner == "alice" || ev.Owner == "bob" {
			continue // the first subtest's
		}
		inJournal++
		if _, ok := granted[ev.HoldID]; !ok {
			t.Errorf("journal holds %v for %s, which no client was granted", ev.Seats, ev.HoldID)
		}
	}
	if inJournal != len(granted) {
		t.Errorf("%d holds granted, %d in the journal", len(granted), inJournal)
	}
	t.Logf("%d holds granted after %d unavailable answers; %d appends on node 1, %d on node 2",
		len(granted), retries, spy1.appends.Load(), spy2.appends.Load())
	if retries == 0 {
		t.Error("no writer was ever fenced: the test did not race two activations")
	}
}

// TestShowtimeRefusesJournalBehindBookings loads a showtime whose seat
// journal lost a confirmed booking (a seat store restored from an older
// backup): the grain must refuse the showtime as unavailable rather than
// hold, and so sell again, the booking's seats.
func TestShowtimeRefusesJournalBehindBookings(t *testing.T) {
	parallel(t)
	e := MustOpenShowtimes(t, ShowtimeOptions{})
	ctx := testCtx(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	b := &boxoffice.Booking{ID: boxoffice.NewID(), UserID: "alice", ShowtimeID: e.ShowtimeID, HoldID: boxoffice.NewHoldID(e.ShowtimeID),
		Seats: []string{"A1", "A2"}, TotalCents: 2400, Currency: "EUR", Status: boxoffice.BookingConfirmed, CreatedAt: now, UpdatedAt: now}
	if err := e.Stores.Bookings.CreateBooking(ctx, b); err != nil {
		t.Fatal(err)
	}
	_, err := e.Holds().Hold(ctx, e.ShowtimeID, "bob", []string{"A1", "A2"})
	mustCode(t, err, boxoffice.EUNAVAILABLE)
}

// confirmDuringLoad is a seat store on which another activation confirms a
// booking of seat J1 right after the first load has read the journal: the
// journal grows by a hold and its confirmation, and the booking is then
// recorded confirmed, in the booking saga's order.
type confirmDuringLoad struct {
	boxoffice.SeatStore
	bookings boxoffice.BookingStore
	once     sync.Once
	booking  string
}

func (s *confirmDuringLoad) LoadSeats(ctx context.Context, id string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	snap, evs, err := s.SeatStore.LoadSeats(ctx, id)
	s.once.Do(func() {
		last := uint64(0)
		if snap != nil {
			last = snap.Seq
		}
		if len(evs) > 0 {
			last = evs[len(evs)-1].Seq
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		hold := boxoffice.NewHoldID(id)
		s.booking = boxoffice.NewID()
		if e := s.SeatStore.AppendSeats(ctx, id, []boxoffice.SeatEvent{
			{Seq: last + 1, Kind: boxoffice.EventHeld, At: now, HoldID: hold, Owner: "carol", Seats: []string{"J1"}, ExpiresAt: now.Add(time.Minute)},
			{Seq: last + 2, Kind: boxoffice.EventConfirmed, At: now, HoldID: hold, BookingID: s.booking},
		}, nil); e != nil {
			panic(e)
		}
		b := &boxoffice.Booking{ID: s.booking, UserID: "carol", ShowtimeID: id, HoldID: hold, Seats: []string{"J1"}, TotalCents: 1800,
			Currency: "EUR", Status: boxoffice.BookingConfirmed, CreatedAt: now, UpdatedAt: now}
		if e := s.bookings.CreateBooking(ctx, b); e != nil {
			panic(e)
		}
	})
	return snap, evs, err
}

// A booking confirmed elsewhere while a showtime loads is no sign of a
// seat store that lost writes: the load reads the bookings before the
// journal (the saga writes them in the other order), and loads again when
// the journal moved meanwhile. Reading the journal first refused the
// showtime as "behind its bookings" (the fault harness's pause runs).
func TestShowtimeLoadRacingAConfirmation(t *testing.T) {
	parallel(t)
	stores := MustOpenStores(t)
	spy := &confirmDuringLoad{bookings: stores.Bookings}
	e := MustOpenShowtimes(t, ShowtimeOptions{Stores: stores, FenceLoads: true,
		Seats: func(s boxoffice.SeatStore) boxoffice.SeatStore { spy.SeatStore = s; return spy }})
	ctx := testCtx(t)
	if _, err := e.Holds().Hold(ctx, e.ShowtimeID, "bob", []string{"A1"}); err != nil {
		t.Fatalf("hold while another activation confirms a booking: %v", err)
	}
	if st, _ := seatStatuses(t, e); st["J1"] != boxoffice.SeatBooked {
		t.Errorf("J1 %s, want booked by the booking confirmed during the load", st["J1"])
	}
	if spy.booking == "" {
		t.Fatal("the confirmation during the load never ran")
	}
}
