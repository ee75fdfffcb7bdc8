package actors_test

import (
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

func TestShowtimeHolds(t *testing.T) {
	parallel(t)
	clock := clocktest.New(time.Now().Truncate(time.Millisecond))
	e := MustOpenShowtimes(t, ShowtimeOptions{Clock: clock, HoldTTL: 2 * time.Minute})
	h := e.Holds()
	alice, bob := boxoffice.Caller{UserID: "alice"}, boxoffice.Caller{UserID: "bob"}

	t.Run("a hold keeps its seats with their price until it expires", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"A1", "I2"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hold.Seats, []string{"A1", "I2"}) || hold.TotalCents != 1200+1800 || hold.Currency != "EUR" ||
			hold.ShowtimeID != e.ShowtimeID || hold.Owner != "alice" {
			t.Fatalf("hold = %+v", hold)
		}
		if want := clock.Now().Add(2 * time.Minute); !hold.ExpiresAt.Equal(want) {
			t.Fatalf("expires at %v, want %v: the 2m TTL", hold.ExpiresAt, want)
		}
		if st, err := boxoffice.HoldShowtimeID(hold.ID); err != nil || st != e.ShowtimeID {
			t.Fatalf("hold ID %q names showtime %q (%v)", hold.ID, st, err)
		}
		seats, _ := seatStatuses(t, e)
		if seats["A1"] != boxoffice.SeatHeld || seats["I2"] != boxoffice.SeatHeld || seats["A2"] != boxoffice.SeatFree {
			t.Fatalf("seat map A1=%s I2=%s A2=%s", seats["A1"], seats["I2"], seats["A2"])
		}
		got, err := h.HoldByID(ctx, hold.ID, alice)
		if err != nil || !slices.Equal(got.Seats, hold.Seats) || !got.ExpiresAt.Equal(hold.ExpiresAt.Truncate(time.Millisecond)) {
			t.Fatalf("get hold = %+v, %v", got, err)
		}
		_, err = h.HoldByID(ctx, hold.ID, bob)
		mustCode(t, err, boxoffice.EFORBIDDEN)
		if _, err := h.HoldByID(ctx, hold.ID, boxoffice.Caller{UserID: "root", Admin: true}); err != nil {
			t.Fatalf("admin get hold: %v", err)
		}
	})

	t.Run("release frees the seats once, for the owner only", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"B1", "B2"})
		if err != nil {
			t.Fatal(err)
		}
		mustCode(t, h.ReleaseHold(ctx, hold.ID, bob), boxoffice.EFORBIDDEN)
		if err := h.ReleaseHold(ctx, hold.ID, alice); err != nil {
			t.Fatal(err)
		}
		seats, _ := seatStatuses(t, e)
		if seats["B1"] != boxoffice.SeatFree || seats["B2"] != boxoffice.SeatFree {
			t.Fatalf("after release B1=%s B2=%s", seats["B1"], seats["B2"])
		}
		mustCode(t, h.ReleaseHold(ctx, hold.ID, alice), boxoffice.ENOTFOUND)
		_, err = h.HoldByID(ctx, hold.ID, alice)
		mustCode(t, err, boxoffice.ENOTFOUND)
		if _, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"B1", "B2"}); err != nil {
			t.Fatalf("hold released seats again: %v", err)
		}
	})

	t.Run("a hold is all or nothing and names the unavailable seats", func(t *testing.T) {
		ctx := testCtx(t)
		if _, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"C10", "C12"}); err != nil {
			t.Fatal(err)
		}
		_, err := h.Hold(ctx, e.ShowtimeID, "bob", []string{"C9", "C10", "C11", "C12"})
		mustCode(t, err, boxoffice.ECONFLICT)
		if got, _ := boxoffice.ErrorDetails(err)["unavailable"].([]string); !slices.Equal(got, []string{"C10", "C12"}) {
			t.Fatalf("unavailable = %#v, want [C10 C12]", boxoffice.ErrorDetails(err))
		}
		seats, _ := seatStatuses(t, e)
		if seats["C9"] != boxoffice.SeatFree || seats["C11"] != boxoffice.SeatFree {
			t.Fatalf("a failed hold took seats: C9=%s C11=%s", seats["C9"], seats["C11"])
		}
	})

	t.Run("bad seat lists are invalid", func(t *testing.T) {
		ctx := testCtx(t)
		_, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"D1", "Z99"})
		mustCode(t, err, boxoffice.EINVALID)
		if got, _ := boxoffice.ErrorDetails(err)["unknown"].([]string); !slices.Equal(got, []string{"Z99"}) {
			t.Fatalf("unknown = %#v", boxoffice.ErrorDetails(err))
		}
		_, err = h.Hold(ctx, e.ShowtimeID, "alice", []string{"D1", "D1"})
		mustCode(t, err, boxoffice.EINVALID)
		_, err = h.Hold(ctx, e.ShowtimeID, "alice", seatIDs(150, boxoffice.HoldSeatsMax+1))
		mustCode(t, err, boxoffice.EINVALID)
		_, err = h.Hold(ctx, e.ShowtimeID, "alice", nil)
		mustCode(t, err, boxoffice.EINVALID)
	})

	t.Run("an unknown showtime or hold is not found", func(t *testing.T) {
		ctx := testCtx(t)
		unknown := boxoffice.NewID()
		_, err := h.Hold(ctx, unknown, "alice", []string{"A1"})
		mustCode(t, err, boxoffice.ENOTFOUND)
		_, err = h.SeatMap(ctx, boxoffice.NewID())
		mustCode(t, err, boxoffice.ENOTFOUND)
		_, err = h.SeatMap(ctx, "not-an-id")
		mustCode(t, err, boxoffice.ENOTFOUND)
		_, err = h.HoldByID(ctx, boxoffice.NewHoldID(boxoffice.NewID()), alice)
		mustCode(t, err, boxoffice.ENOTFOUND)
		_, err = h.HoldByID(ctx, boxoffice.NewHoldID(e.ShowtimeID), alice)
		mustCode(t, err, boxoffice.ENOTFOUND)
		mustCode(t, h.ReleaseHold(ctx, "garbage", alice), boxoffice.ENOTFOUND)
		// The grain of a showtime that does not exist stops itself; the
		// next call activates it again and gets the same answer.
		for range 3 {
			_, err = h.Hold(ctx, unknown, "alice", []string{"A1"})
			mustCode(t, err, boxoffice.ENOTFOUND)
		}
	})

	t.Run("confirm books the seats for the owner once; cancel frees them", func(t *testing.T) {
		ctx := testCtx(t)
		hold, err := h.Hold(ctx, e.ShowtimeID, "alice", []string{"E1", "E2"})
		if err != nil {
			t.Fatal(err)
		}
		bookingID := boxoffice.NewID()
		_, err = h.Confirm(ctx, hold.ID, "bob", bookingID)
		mustCode(t, err, boxoffice.EFORBIDDEN)
		got, err := h.Confirm(ctx, hold.ID, "alice", bookingID)
		if err != nil || got.TotalCents != 2400 || !slices.Equal(got.Seats, hold.Seats) {
			t.Fatalf("confirm = %+v, %v", got, err)
		}
		if _, err := h.Confirm(ctx, hold.ID, "alice", bookingID); err != nil {
			t.Fatalf("confirm again, same booking: %v", err)
		}
		_, err = h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID())
		mustCode(t, err, boxoffice.ECONFLICT)
		seats, _ := seatStatuses(t, e)
		if seats["E1"] != boxoffice.SeatBooked || seats["E2"] != boxoffice.SeatBooked {
			t.Fatalf("after confirm E1=%s E2=%s", seats["E1"], seats["E2"])
		}
		bs, confirmed, found, err := h.BookingSeats(ctx, e.ShowtimeID, bookingID)
		if err != nil || !found || !confirmed || !slices.Equal(bs, hold.Seats) {
			t.Fatalf("booking seats = %v %v %v %v", bs, confirmed, found, err)
		}
		if err := h.CancelSeats(ctx, e.ShowtimeID, bookingID); err != nil {
			t.Fatal(err)
		}
		if err := h.CancelSeats(ctx, e.ShowtimeID, bookingID); err != nil {
			t.Fatalf("cancel twice: %v", err)
		}
		mustCode(t, h.CancelSeats(ctx, e.ShowtimeID, boxoffice.NewID()), boxoffice.ENOTFOUND)
		_, confirmed, found, err = h.BookingSeats(ctx, e.ShowtimeID, bookingID)
		if err != nil || !found || confirmed {
			t.Fatalf("cancelled booking: confirmed=%v found=%v err=%v", confirmed, found, err)
		}
		seats, _ = seatStatuses(t, e)
		if seats["E1"] != boxoffice.SeatFree {
			t.Fatalf("after cancel E1=%s", seats["E1"])
		}
	})

	t.Run("the grain and the store agree", func(t *testing.T) { mustAgree(t, e) })

	t.Run("a closed showtime takes no holds and ends the live ones", func(t *testing.T) {
		ctx := testCtx(t)
		id := MustCreateShowtime(t, e.Stores, time.Now().Add(time.Hour))
		hold, err := h.Hold(ctx, id, "alice", []string{"A1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.CancelShowtime(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, err = h.Hold(ctx, id, "bob", []string{"A2"})
		mustCode(t, err, boxoffice.ECONFLICT)
		// The seat map decides the code (conflict: cancelled, or not found:
		// the hold ended); the grain must not book.
		if _, err = h.Confirm(ctx, hold.ID, "alice", boxoffice.NewID()); err == nil {
			t.Fatal("confirmed a hold of a closed showtime")
		} else if c := boxoffice.ErrorCode(err); c != boxoffice.ECONFLICT && c != boxoffice.ENOTFOUND {
			t.Fatalf("confirm after close: %v", err)
		}
		v, err := h.SeatMap(ctx, id)
		if err != nil || v.Seats[0].Status != boxoffice.SeatFree {
			t.Fatalf("seat map after close: %v %v", v, err)
		}
	})
}
