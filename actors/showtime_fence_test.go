package actors_test

import (
	"sync/atomic"
	"testing"

	"github.com/boxoffice/boxoffice"
)

// Two nodes on one store each route a showtime to an activation of their
// own, as while the cluster's nodes learn of a membership change one after
// another. The newer activation fences the journal (the older one can no
// longer write) and tells the older one to stop (it can no longer answer
// from the state it had): whatever node 1 answers next comes from a load
// that has node 2's writes. Without it, node 1 would show carol's seat
// free and refuse to confirm her hold.
func TestShowtimeNewerActivationStopsOlder(t *testing.T) {
	parallel(t)
	skipTwoNodesUnderRace(t)
	n1 := MustOpenShowtimes(t, ShowtimeOptions{FenceLoads: true})
	ctx := testCtx(t)
	if _, err := n1.Holds().Hold(ctx, n1.ShowtimeID, "alice", []string{"A1"}); err != nil {
		t.Fatal(err)
	}
	n2 := MustOpenShowtimes(t, ShowtimeOptions{FenceLoads: true, Stores: n1.Stores, ShowtimeID: n1.ShowtimeID})
	if st, _ := seatStatuses(t, n2); st["A1"] != boxoffice.SeatHeld {
		t.Fatalf("node 2 loaded A1 %s, want held", st["A1"])
	}
	h, err := n2.Holds().Hold(ctx, n2.ShowtimeID, "carol", []string{"A2"})
	if err != nil {
		t.Fatalf("node 2 holds A2: %v", err)
	}

	if st, _ := seatStatuses(t, n1); st["A2"] != boxoffice.SeatHeld {
		t.Errorf("node 1 shows A2 %s after node 2 held it, want held", st["A2"])
	}
	if _, err := n1.Holds().Confirm(ctx, h.ID, "carol", boxoffice.NewID()); err != nil {
		t.Errorf("node 1 confirms the hold node 2 granted: %v", err)
	}
	_, err = n1.Holds().Hold(ctx, n1.ShowtimeID, "bob", []string{"A2"})
	mustCode(t, err, boxoffice.ECONFLICT)

	evs := mustLoadJournal(t, n1.Stores.Seats, n1.ShowtimeID)
	var activations []string
	for _, e := range evs {
		if e.Kind == boxoffice.EventActivated {
			activations = append(activations, e.Owner)
		}
	}
	if len(activations) != 3 || activations[0] == activations[1] || activations[1] == activations[2] {
		t.Errorf("activations %q, want 3 (node 1, node 2, node 1 again), each naming its own", activations)
	}
	mustReplay(t, n1.Stores, n1.ShowtimeID, nil, evs)
}

// A grain that sat idle while its node's right to serve was in doubt (a
// partition, a pause) loads again at the next command: the others may
// have sold its seats meanwhile, and its reads must not show them free.
func TestShowtimeLoadsAgainWhenEpochMoves(t *testing.T) {
	parallel(t)
	skipTwoNodesUnderRace(t)
	var epoch atomic.Uint64
	n1 := MustOpenShowtimes(t, ShowtimeOptions{FenceLoads: true, Epoch: epoch.Load})
	ctx := testCtx(t)
	if _, err := n1.Holds().Hold(ctx, n1.ShowtimeID, "alice", []string{"A1"}); err != nil {
		t.Fatal(err)
	}
	// The others' activation sells A2 while node 1 is cut off.
	n2 := MustOpenShowtimes(t, ShowtimeOptions{FenceLoads: true, Stores: n1.Stores, ShowtimeID: n1.ShowtimeID})
	if _, err := n2.Holds().Hold(ctx, n2.ShowtimeID, "bob", []string{"A2"}); err != nil {
		t.Fatal(err)
	}
	MustStopNode(t, n2.Node)

	epoch.Add(1) // node 1 is back, its lease lapsed meanwhile
	st, v := seatStatuses(t, n1)
	if st["A1"] != boxoffice.SeatHeld || st["A2"] != boxoffice.SeatHeld {
		t.Fatalf("node 1 shows A1 %s, A2 %s after the epoch moved, want both held", st["A1"], st["A2"])
	}
	// Loaded again and fenced: it writes on top of node 2's events.
	if _, err := n1.Holds().Hold(ctx, n1.ShowtimeID, "carol", []string{"A3"}); err != nil {
		t.Fatalf("node 1 holds A3 after loading again: %v", err)
	}
	if _, v2 := seatStatuses(t, n1); v2 <= v {
		t.Errorf("version %d after a hold, was %d", v2, v)
	}
	mustReplay(t, n1.Stores, n1.ShowtimeID, nil, mustLoadJournal(t, n1.Stores.Seats, n1.ShowtimeID))
}
