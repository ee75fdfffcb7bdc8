package actors_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

func TestShowtimeWatchSeats(t *testing.T) {
	parallel(t)
	e := MustOpenShowtimes(t, ShowtimeOptions{})
	h := e.Holds()

	t.Run("a watcher at the current version gets the change when a hold commits", func(t *testing.T) {
		ctx := testCtx(t)
		_, version := seatStatuses(t, e)
		got := watchParked(t, ctx, e, version)
		select {
		case r := <-got:
			t.Fatalf("watcher answered before any change: %+v %v", r.c, r.err)
		default:
		}
		if _, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1", "A2"}); err != nil {
			t.Fatal(err)
		}
		// Left alone, the watcher would be answered with nothing new when
		// its wait ends: the change proves the commit woke it.
		r := <-got
		want := []boxoffice.SeatChange{{ID: "A1", Status: boxoffice.SeatHeld}, {ID: "A2", Status: boxoffice.SeatHeld}}
		if r.err != nil || r.c.Full || r.c.Version != version+1 || !slices.Equal(r.c.Changes, want) {
			t.Fatalf("watcher got %+v, %v; want v%d %v", r.c, r.err, version+1, want)
		}
		testwait.Until(t, 5*time.Second, "the watcher unparked", func() bool { return actors.ParkedWatchers(e.ShowtimeID) == 0 })
	})

	t.Run("a watcher behind gets the latest status of each changed seat at once", func(t *testing.T) {
		ctx := testCtx(t)
		_, version := seatStatuses(t, e)
		hold, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"B1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"B2"}); err != nil {
			t.Fatal(err)
		}
		if err := h.ReleaseHold(ctx, hold.ID, boxoffice.Caller{UserID: "bob"}); err != nil {
			t.Fatal(err)
		}
		c, err := h.WatchSeats(ctx, e.ShowtimeID, version)
		want := []boxoffice.SeatChange{{ID: "B1", Status: boxoffice.SeatFree}, {ID: "B2", Status: boxoffice.SeatHeld}}
		if err != nil || c.Full || c.Version != version+3 || !slices.Equal(c.Changes, want) {
			t.Fatalf("watch = %+v, %v; want v%d %v", c, err, version+3, want)
		}
	})

	t.Run("a parked watcher with nothing new is answered when its wait ends", func(t *testing.T) {
		_, version := seatStatuses(t, e)
		ctx, cancel := context.WithTimeout(testCtx(t), 1600*time.Millisecond) // parks ~600ms
		defer cancel()
		// Parked first, then answered by its wait ending: not at once.
		r := <-watchParked(t, ctx, e, version)
		if r.err != nil || r.c.Version != version || len(r.c.Changes) != 0 || r.c.Full {
			t.Fatalf("watch = %+v, %v", r.c, r.err)
		}
		testwait.Until(t, 5*time.Second, "the watcher unparked", func() bool { return actors.ParkedWatchers(e.ShowtimeID) == 0 })
	})

	t.Run("a watcher further behind than the feed reaches gets a reset with every seat", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "carol", []string{"C1"})
		if err != nil {
			t.Fatal(err)
		}
		// 300 commits, one at a time: more batches than the feed keeps.
		for i := range 150 {
			seat := seatIDs(200+i%50, 1)
			x, err := h.Hold(ctx, e.ShowtimeID, "dave", seat)
			if err == nil {
				err = h.ReleaseHold(ctx, x.ID, boxoffice.Caller{UserID: "dave"})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		mustGetFull(t, e, 1, hold)
	})

	t.Run("a watcher of a version from before a restart gets a reset", func(t *testing.T) {
		ctx := testCtx(t)
		_, version := seatStatuses(t, e)
		hold, err := h.Hold(ctx, e.ShowtimeID, "erin", []string{"E5"})
		if err != nil {
			t.Fatal(err)
		}
		e = e.Restart(t)
		mustGetFull(t, e, version, hold)
	})

	t.Run("a watcher ahead of the grain gets a reset", func(t *testing.T) {
		_, version := seatStatuses(t, e)
		mustGetFull(t, e, version+1000, nil)
	})
}

// mustGetFull watches from since and wants every seat back, hold's as held.
func mustGetFull(t *testing.T, e *ShowtimeEnv, since uint64, hold *boxoffice.Hold) {
	t.Helper()
	st, version := seatStatuses(t, e)
	c, err := e.Holds().WatchSeats(testCtx(t), e.ShowtimeID, since)
	if err != nil {
		t.Fatalf("watch from %d: %v", since, err)
	}
	if !c.Full || c.Version != version || len(c.Changes) != 500 {
		t.Fatalf("watch from %d = reset %v v%d %d changes; want a reset to v%d with 500 seats",
			since, c.Full, c.Version, len(c.Changes), version)
	}
	for _, ch := range c.Changes {
		if st[ch.ID] != ch.Status {
			t.Errorf("reset says %s is %s, the seat map %s", ch.ID, ch.Status, st[ch.ID])
		}
	}
	if hold != nil && st[hold.Seats[0]] != boxoffice.SeatHeld {
		t.Errorf("seat %s of a live hold is %s", hold.Seats[0], st[hold.Seats[0]])
	}
}
