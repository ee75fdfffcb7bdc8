package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var seatTests = []test{
	{"LoadSeatsOfNewShowtimeIsEmpty", testLoadSeatsEmpty},
	{"AppendAndLoadEventsRoundTrip", testAppendLoad},
	{"AppendSeatsDuplicateSeqConflict", testAppendDuplicateSeq},
	{"AppendSeatsRejectsGaps", testAppendRejectsGaps},
	{"AppendSeatsConflictStoresNothing", testAppendConflictAtomic},
	{"ConcurrentAppendSeatsAtSameSeqOneWins", testAppendConcurrent},
	{"SnapshotLoadsWithLaterEvents", testSnapshotAndEvents},
	{"LatestOfManySnapshotsLoads", testManySnapshots},
	{"SnapshotWithoutEvents", testSnapshotOnly},
	{"LargeBatchLoadsInOrder", testLargeBatch},
	{"ShowtimeJournalsAreIndependent", testJournalsIndependent},
	{"AppendSeatsManyStoresEveryShowtime", testAppendManyStores},
	{"AppendSeatsManyFencedShowtimeFailsAlone", testAppendManyFencedAlone},
	{"AppendSeatsManySameShowtimeTwiceOneWins", testAppendManySameShowtimeTwice},
	{"AppendSeatsManyStaleWriterNeverInterleaves", testAppendManyRace},
	{"AppendSeatsManySnapshotOnlyMovesForward", testAppendManySnapshots},
}

// seatEvents returns n events from seq on, of every kind and with every
// field set, so that a lossy encoding shows.
func seatEvents(from uint64, n int, owner string) []boxoffice.SeatEvent {
	kinds := []boxoffice.SeatEventKind{boxoffice.EventHeld, boxoffice.EventConfirmed,
		boxoffice.EventReleased, boxoffice.EventExpired, boxoffice.EventCancelled, boxoffice.EventShowtimeCancelled,
		boxoffice.EventActivated}
	out := make([]boxoffice.SeatEvent, n)
	for i := range out {
		seq := from + uint64(i)
		e := boxoffice.SeatEvent{Seq: seq, Kind: kinds[int(seq)%len(kinds)],
			At: t0.Add(time.Duration(seq) * time.Millisecond), HoldID: fmt.Sprintf("hold-%d", seq),
			Owner: owner}
		if e.Kind == boxoffice.EventHeld {
			e.Seats = []string{"A1", fmt.Sprintf("B%d", 1+seq%9)}
			e.ExpiresAt = e.At.Add(10 * time.Minute)
		}
		if e.Kind == boxoffice.EventConfirmed || e.Kind == boxoffice.EventCancelled {
			e.BookingID = fmt.Sprintf("booking-%d", seq)
		}
		out[i] = e
	}
	return out
}

func snapshotAt(showtimeID string, seq uint64) *boxoffice.SeatSnapshot {
	state := fmt.Sprintf(`{"seq": %d, "seats": {"A1": "held", "B2": "free"}}`, seq)
	return &boxoffice.SeatSnapshot{ShowtimeID: showtimeID, Seq: seq, State: json.RawMessage(state)}
}

// requireLoad loads a journal and compares it with the snapshot (state as
// JSON, since a store may reformat it) and events expected.
func requireLoad(t *testing.T, s *boxoffice.Stores, showtimeID string, snap *boxoffice.SeatSnapshot, events []boxoffice.SeatEvent) {
	t.Helper()
	gotSnap, gotEvents, err := s.Seats.LoadSeats(t.Context(), showtimeID)
	require.NoError(t, err)
	if snap == nil {
		require.Nil(t, gotSnap)
	} else {
		require.NotNil(t, gotSnap)
		require.Equal(t, snap.ShowtimeID, gotSnap.ShowtimeID)
		require.Equal(t, snap.Seq, gotSnap.Seq)
		require.JSONEq(t, string(snap.State), string(gotSnap.State))
	}
	require.Len(t, gotEvents, len(events))
	if len(events) > 0 {
		require.Equal(t, events, gotEvents)
	}
}

func testLoadSeatsEmpty(t *testing.T, s *boxoffice.Stores) {
	requireLoad(t, s, boxoffice.NewID(), nil, nil)
}

func testAppendLoad(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 12, "user-1")
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[:1], nil))
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[1:7], nil))
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[7:], nil))
	requireLoad(t, s, st, nil, evs)
}

// testAppendDuplicateSeq writes a seq that exists, alone or inside a batch:
// that is another activation of the showtime, and must be ECONFLICT.
func testAppendDuplicateSeq(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	require.NoError(t, s.Seats.AppendSeats(ctx, st, seatEvents(1, 3, "first"), nil))

	err := s.Seats.AppendSeats(ctx, st, seatEvents(3, 1, "second"), nil)
	requireCode(t, boxoffice.ECONFLICT, err)
	err = s.Seats.AppendSeats(ctx, st, seatEvents(1, 5, "second"), nil)
	requireCode(t, boxoffice.ECONFLICT, err)
}

// testAppendConflictAtomic proves a refused batch leaves nothing behind:
// neither its new events nor its snapshot.
func testAppendConflictAtomic(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 3, "first")
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs, nil))

	err := s.Seats.AppendSeats(ctx, st, seatEvents(3, 4, "second"), snapshotAt(st, 6))
	requireCode(t, boxoffice.ECONFLICT, err)
	requireLoad(t, s, st, nil, evs)

	next := seatEvents(4, 2, "first")
	require.NoError(t, s.Seats.AppendSeats(ctx, st, next, nil), "the journal goes on after a conflict")
	requireLoad(t, s, st, nil, append(evs, next...))
}

// testAppendConcurrent runs two activations writing the same seq at the
// same moment, many times: exactly one wins each time, the other gets
// ECONFLICT, and the journal holds the winner's event.
func testAppendConcurrent(t *testing.T, s *boxoffice.Stores) {
	st := boxoffice.NewID()
	var journal []boxoffice.SeatEvent
	for seq := uint64(1); seq <= 20; seq++ {
		a, b := seatEvents(seq, 1, "node-a"), seatEvents(seq, 1, "node-b")
		appendOf := func(evs []boxoffice.SeatEvent) func(ctx context.Context) error {
			return func(ctx context.Context) error { return s.Seats.AppendSeats(ctx, st, evs, nil) }
		}
		errs := goTogether(t.Context(), appendOf(a), appendOf(b))
		require.Equal(t, map[string]int{"": 1, boxoffice.ECONFLICT: 1}, countCodes(errs), "seq %d: %v", seq, errs)
		if errs[0] == nil {
			journal = append(journal, a...)
		} else {
			journal = append(journal, b...)
		}
	}
	requireLoad(t, s, st, nil, journal)
}

func testSnapshotAndEvents(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 5, "u")
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[:3], snapshotAt(st, 3)))
	requireLoad(t, s, st, snapshotAt(st, 3), nil)
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[3:], nil))
	requireLoad(t, s, st, snapshotAt(st, 3), evs[3:])
}

// testManySnapshots writes a snapshot with each of 30 batches (a store may
// prune old ones) and expects the latest with the events after it.
func testManySnapshots(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 92, "u")
	for i := range 30 {
		batch := evs[3*i : 3*i+3]
		require.NoError(t, s.Seats.AppendSeats(ctx, st, batch, snapshotAt(st, batch[2].Seq)))
	}
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs[90:], nil))
	requireLoad(t, s, st, snapshotAt(st, 90), evs[90:])
}

func testSnapshotOnly(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	require.NoError(t, s.Seats.AppendSeats(ctx, st, seatEvents(1, 4, "u"), nil))
	require.NoError(t, s.Seats.AppendSeats(ctx, st, nil, snapshotAt(st, 4)))
	requireLoad(t, s, st, snapshotAt(st, 4), nil)
}

// testLargeBatch appends more events in one call than a store may put in
// one statement.
func testLargeBatch(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 2500, "u")
	require.NoError(t, s.Seats.AppendSeats(ctx, st, evs, nil))
	requireLoad(t, s, st, nil, evs)
	err := s.Seats.AppendSeats(ctx, st, seatEvents(2400, 200, "u"), nil)
	requireCode(t, boxoffice.ECONFLICT, err)
	requireLoad(t, s, st, nil, evs)
}

func testJournalsIndependent(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st1, st2 := boxoffice.NewID(), boxoffice.NewID()
	e1, e2 := seatEvents(1, 3, "one"), seatEvents(1, 2, "two")
	require.NoError(t, s.Seats.AppendSeats(ctx, st1, e1, snapshotAt(st1, 3)))
	require.NoError(t, s.Seats.AppendSeats(ctx, st2, e2, nil))
	requireLoad(t, s, st1, snapshotAt(st1, 3), nil)
	requireLoad(t, s, st2, nil, e2)
}

// testAppendRejectsGaps guards the journal against a batch whose seqs are
// not consecutive: a gap would hide a lost event from later activations.
func testAppendRejectsGaps(t *testing.T, s *boxoffice.Stores) {
	for name, events := range map[string][]boxoffice.SeatEvent{
		"Gap":     {{Seq: 1}, {Seq: 3}},
		"SeqZero": {{Seq: 0}},
		"Reorder": {{Seq: 2}, {Seq: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Seats.AppendSeats(t.Context(), boxoffice.NewID(), events, nil)
			require.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), "error: %v", err)
		})
	}
}

// BenchmarkAppendSeats measures durable journal writes from one writer,
// with one event per call (a grain without group commit) and with batches
// of 100 (as group commit writes); events/s is the figure to compare. open
// returns the store to write to, for each batch size.
func BenchmarkAppendSeats(b *testing.B, open func(b *testing.B) boxoffice.SeatStore) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			seats := open(b)
			st := boxoffice.NewID()
			at := time.Now().UTC()
			events := make([]boxoffice.SeatEvent, batch)
			seq := uint64(0)
			for b.Loop() {
				for i := range events {
					seq++
					events[i] = boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: at,
						HoldID: "hold", Owner: "owner", Seats: []string{"A1", "A2"}, ExpiresAt: at}
				}
				if err := seats.AppendSeats(b.Context(), st, events, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
