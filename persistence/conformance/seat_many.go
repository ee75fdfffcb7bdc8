package conformance

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// testAppendManyStores writes 40 showtimes in one call, some new, some
// with a journal already, some with a snapshot, and loads each back.
func testAppendManyStores(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var appends []boxoffice.SeatAppend
	journals := map[string][]boxoffice.SeatEvent{}
	for i := range 40 {
		st := boxoffice.NewID()
		if i%2 == 1 {
			first := seatEvents(1, i, "before")
			require.NoError(t, s.Seats.AppendSeats(ctx, st, first, nil))
			journals[st] = first
		}
		evs := seatEvents(uint64(len(journals[st])+1), 1+i%5, fmt.Sprintf("owner-%d", i))
		a := boxoffice.SeatAppend{ShowtimeID: st, Events: evs}
		if i%3 == 0 {
			a.Snapshot = snapshotAt(st, evs[len(evs)-1].Seq)
		}
		appends = append(appends, a)
		journals[st] = append(journals[st], evs...)
	}
	errs := s.Seats.AppendSeatsMany(ctx, appends)
	require.Len(t, errs, len(appends))
	for i, a := range appends {
		require.NoError(t, errs[i], "showtime %d", i)
		if a.Snapshot != nil {
			requireLoad(t, s, a.ShowtimeID, a.Snapshot, nil)
		} else {
			requireLoad(t, s, a.ShowtimeID, nil, journals[a.ShowtimeID])
		}
	}
}

// testAppendManyFencedAlone puts among good appends one that repeats a
// seq, one that skips seqs after the journal's end, one whose seqs have a
// gap and one for a showtime another writer has just started: each of
// those fails with its own code and stores nothing, the others are stored.
func testAppendManyFencedAlone(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	repeat, ahead, gap, taken, good1, good2 := boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID(),
		boxoffice.NewID(), boxoffice.NewID(), boxoffice.NewID()
	base := seatEvents(1, 3, "winner")
	for _, st := range []string{repeat, ahead, good2} {
		require.NoError(t, s.Seats.AppendSeats(ctx, st, base, nil))
	}
	require.NoError(t, s.Seats.AppendSeats(ctx, taken, seatEvents(1, 1, "winner"), nil))
	appends := []boxoffice.SeatAppend{
		{ShowtimeID: good1, Events: seatEvents(1, 2, "a"), Snapshot: snapshotAt(good1, 2)},
		{ShowtimeID: repeat, Events: seatEvents(3, 2, "stale"), Snapshot: snapshotAt(repeat, 4)},
		{ShowtimeID: ahead, Events: seatEvents(5, 2, "stale")},
		{ShowtimeID: gap, Events: []boxoffice.SeatEvent{{Seq: 1}, {Seq: 3}}},
		{ShowtimeID: taken, Events: seatEvents(1, 2, "stale")},
		{ShowtimeID: good2, Events: seatEvents(4, 3, "b")},
	}
	errs := s.Seats.AppendSeatsMany(ctx, appends)
	require.Len(t, errs, len(appends))
	require.NoError(t, errs[0])
	requireCode(t, boxoffice.ECONFLICT, errs[1])
	requireCode(t, boxoffice.ECONFLICT, errs[2])
	requireCode(t, boxoffice.EINVALID, errs[3])
	requireCode(t, boxoffice.ECONFLICT, errs[4])
	require.NoError(t, errs[5])

	requireLoad(t, s, good1, snapshotAt(good1, 2), nil)
	requireLoad(t, s, repeat, nil, base)
	requireLoad(t, s, ahead, nil, base)
	requireLoad(t, s, gap, nil, nil)
	requireLoad(t, s, taken, nil, seatEvents(1, 1, "winner"))
	requireLoad(t, s, good2, nil, append(seatEvents(1, 3, "winner"), seatEvents(4, 3, "b")...))

	next := seatEvents(4, 1, "winner")
	require.NoError(t, s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: repeat, Events: next}})[0],
		"the winner goes on after a fenced append")
	requireLoad(t, s, repeat, nil, append(base, next...))
}

// testAppendManySameShowtimeTwice is two activations of one showtime whose
// batches land in the same call: one is stored, the other is ECONFLICT.
func testAppendManySameShowtimeTwice(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	for _, from := range []uint64{1, 4} {
		st, other := boxoffice.NewID(), boxoffice.NewID()
		if from > 1 {
			require.NoError(t, s.Seats.AppendSeats(ctx, st, seatEvents(1, int(from-1), "first"), nil))
		}
		a, b := seatEvents(from, 2, "node-a"), seatEvents(from, 3, "node-b")
		errs := s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{
			{ShowtimeID: st, Events: a}, {ShowtimeID: other, Events: seatEvents(1, 1, "x")}, {ShowtimeID: st, Events: b},
		})
		require.Equal(t, map[string]int{"": 2, boxoffice.ECONFLICT: 1}, countCodes(errs), "from %d: %v", from, errs)
		require.NoError(t, errs[1])
		_, got, err := s.Seats.LoadSeats(ctx, st)
		require.NoError(t, err)
		want := a
		if errs[0] != nil {
			want = b
		}
		require.Equal(t, want, got[len(got)-len(want):])
		require.Len(t, got, int(from-1)+len(want))
	}
}

// testAppendManyRace runs two writers of one showtime at once, each in
// batches of its own size (2 and 3 events) carried with a showtime of its
// own, as two nodes' committers would. A writer that is refused reads the
// journal's end and goes on from there, as a fresh activation would. The
// journal must end up numbered without gaps and made of whole batches
// only; each writer's own showtime loses nothing.
func testAppendManyRace(t *testing.T, s *boxoffice.Stores) {
	shared := boxoffice.NewID()
	const batches = 25
	writer := func(ctx context.Context, name string, size int) ([]error, []boxoffice.SeatEvent) {
		own := boxoffice.NewID()
		var ownJournal []boxoffice.SeatEvent
		var errs []error
		for b := range batches {
			_, got, err := s.Seats.LoadSeats(ctx, shared)
			if err != nil {
				return []error{err}, nil
			}
			evs := seatEvents(uint64(len(got))+1, size, fmt.Sprintf("%s-%d", name, b))
			mine := seatEvents(uint64(len(ownJournal))+1, 1, name)
			res := s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: shared, Events: evs}, {ShowtimeID: own, Events: mine}})
			if res[0] != nil && boxoffice.ErrorCode(res[0]) != boxoffice.ECONFLICT {
				errs = append(errs, res[0])
			}
			if res[1] != nil {
				errs = append(errs, res[1])
			} else {
				ownJournal = append(ownJournal, mine...)
			}
		}
		_, got, err := s.Seats.LoadSeats(ctx, own)
		if err != nil {
			errs = append(errs, err)
		} else if len(got) != len(ownJournal) {
			errs = append(errs, fmt.Errorf("%s: own showtime has %d events, stored %d", name, len(got), len(ownJournal)))
		}
		return errs, ownJournal
	}
	var wg sync.WaitGroup
	var errA, errB []error
	wg.Go(func() { errA, _ = writer(t.Context(), "a", 2) })
	wg.Go(func() { errB, _ = writer(t.Context(), "b", 3) })
	wg.Wait()
	require.Empty(t, errA)
	require.Empty(t, errB)

	_, got, err := s.Seats.LoadSeats(t.Context(), shared)
	require.NoError(t, err)
	require.NotEmpty(t, got)
	for i := 0; i < len(got); {
		require.Equal(t, uint64(i+1), got[i].Seq, "no gap")
		size := 2
		if got[i].Owner[0] == 'b' {
			size = 3
		}
		require.LessOrEqual(t, i+size, len(got), "batch at seq %d cut short", i+1)
		for j := i; j < i+size; j++ {
			require.Equal(t, got[i].Owner, got[j].Owner, "seq %d: a batch interleaved with another", j+1)
		}
		i += size
	}
}

// testAppendManySnapshots stores a snapshot alone after a newer one: the
// newer one stays the one that loads.
func testAppendManySnapshots(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	evs := seatEvents(1, 8, "u")
	errs := s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: st, Events: evs}})
	require.NoError(t, errs[0])
	errs = s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: st, Snapshot: snapshotAt(st, 6)}})
	require.NoError(t, errs[0])
	requireLoad(t, s, st, snapshotAt(st, 6), evs[6:])
	errs = s.Seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: st, Snapshot: snapshotAt(st, 3)}})
	require.NoError(t, errs[0])
	requireLoad(t, s, st, snapshotAt(st, 6), evs[6:])
}
