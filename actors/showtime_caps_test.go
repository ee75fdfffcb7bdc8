package actors_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// mustReason checks an error's code and details["reason"].
func mustReason(tb testing.TB, err error, code, reason string) {
	tb.Helper()
	mustCode(tb, err, code)
	if got := boxoffice.ErrorDetails(err)["reason"]; got != reason {
		tb.Fatalf("reason = %v, want %s (%v)", got, reason, err)
	}
}

// TestShowtimeHoldCaps proves the caps against seat spinning as the
// grains enforce them: seats per user per showtime, open holds per user
// across the node's showtimes (freed by release, booking and expiry, and
// kept by a grain that would otherwise go idle), and the cool-down, while
// another user still gets seats.
func TestShowtimeHoldCaps(t *testing.T) {
	parallel(t)
	caps := boxoffice.HoldCaps{SeatsPerShowtime: 4, HoldsPerUser: 2, Cooldown: time.Minute}
	e := MustOpenShowtimes(t, ShowtimeOptions{HoldCaps: caps, IdleTimeout: 200 * time.Millisecond})
	h, ctx := e.Holds(), testCtx(t)
	st2 := mustAddShowtime(t, e.Stores, e.ShowtimeID, e.Clock.Now().Add(48*time.Hour))
	st3 := mustAddShowtime(t, e.Stores, e.ShowtimeID, e.Clock.Now().Add(49*time.Hour))
	idle := mustAddShowtime(t, e.Stores, e.ShowtimeID, e.Clock.Now().Add(50*time.Hour))
	alice := boxoffice.Caller{UserID: "alice"}

	a1, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1", "A2", "A3"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Hold(ctx, e.ShowtimeID, "alice", []string{"A4", "A5"})
	mustReason(t, err, boxoffice.ECONFLICT, boxoffice.ReasonSeatCap)
	if _, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"A4", "A5", "A6", "A7"}); err != nil {
		t.Fatalf("bob next to a capped alice: %v", err)
	}
	a2, err := h.Hold(ctx, st2, "alice", []string{"A1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.Hold(ctx, st3, "alice", []string{"A1"})
	mustReason(t, err, boxoffice.ECONFLICT, boxoffice.ReasonHoldCap)
	if _, err := h.Hold(ctx, st3, "bob", []string{"A1"}); err != nil {
		t.Fatalf("bob in a third showtime: %v", err)
	}

	// The grains go idle, but with alice's holds open they stay and
	// still count them: once a grain without holds has left, hers are
	// still there.
	if _, err := h.SeatMap(ctx, idle); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, 5*time.Second, "an idle grain without holds leaves", func() bool { return !activation(e, idle) })
	if !activation(e, e.ShowtimeID) || !activation(e, st2) {
		t.Fatal("a grain with open holds went idle")
	}
	_, err = h.Hold(ctx, st3, "alice", []string{"A2"})
	mustReason(t, err, boxoffice.ECONFLICT, boxoffice.ReasonHoldCap)

	if err := h.ReleaseHold(ctx, a1.ID, alice); err != nil {
		t.Fatal(err)
	}
	_, err = h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1"})
	mustReason(t, err, boxoffice.ETOOMANYREQUESTS, boxoffice.ReasonCooldown)
	if retry, _ := boxoffice.ErrorDetails(err)["retry_after_seconds"].(float64); retry < 1 || retry > 60 {
		t.Fatalf("retry after %v s, want 1-60", boxoffice.ErrorDetails(err)["retry_after_seconds"])
	}
	if _, err := h.Hold(ctx, e.ShowtimeID, "carol", []string{"A1"}); err != nil {
		t.Fatalf("carol takes the seat alice released: %v", err)
	}
	if _, err := h.Hold(ctx, st3, "alice", []string{"A2"}); err != nil {
		t.Fatalf("alice after releasing a hold: %v", err)
	}
	if _, err := h.Confirm(ctx, a2.ID, "alice", boxoffice.NewID()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"B1"}); err != nil {
		t.Fatalf("alice after booking a hold: %v", err)
	}
	_, err = h.Hold(ctx, st2, "alice", []string{"B1"})
	mustReason(t, err, boxoffice.ECONFLICT, boxoffice.ReasonHoldCap)
}

// TestShowtimeHoldCapsExpiry proves that a hold that lapses gives its
// owner's open hold back.
func TestShowtimeHoldCapsExpiry(t *testing.T) {
	parallel(t)
	caps := boxoffice.HoldCaps{SeatsPerShowtime: 4, HoldsPerUser: 1, Cooldown: time.Minute}
	e := MustOpenShowtimes(t, ShowtimeOptions{HoldCaps: caps, HoldTTL: 300 * time.Millisecond})
	h, ctx := e.Holds(), testCtx(t)
	st2 := mustAddShowtime(t, e.Stores, e.ShowtimeID, e.Clock.Now().Add(48*time.Hour))
	if _, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1"}); err != nil {
		t.Fatal(err)
	}
	_, err := h.Hold(ctx, st2, "alice", []string{"A1"})
	mustReason(t, err, boxoffice.ECONFLICT, boxoffice.ReasonHoldCap)
	testwait.Until(t, 5*time.Second, "alice's hold lapses and frees her open hold", func() bool {
		_, err := h.Hold(ctx, st2, "alice", []string{"A1"})
		return err == nil
	})
}
