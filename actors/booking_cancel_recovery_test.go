package actors_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// A showtime cancellation that a crash interrupts at any step is finished
// by recovery on the restarted node, with no retry by the admin: every
// booking ends cancelled, refunded once and notified once, the showtime
// ends cancelled, and the money balances. Each case stops the
// cancellation at one step, either by doing the steps before it by hand
// (what a crash leaves) or by failing the store call of the step (which
// leaves the same durable state as a crash there), then restarts the node.
func TestShowtimeCancelFinishedByRecovery(t *testing.T) {
	bkNoLeaks(t)
	cases := []struct {
		name string
		// crash leaves the cancellation interrupted; fail arms the store
		// calls that fail first.
		crash func(t *testing.T, env *BookingEnv, fail *scFail)
	}{
		{"marked cancelling, showtime still open", func(t *testing.T, env *BookingEnv, _ *scFail) {
			if _, err := env.Stores.Catalog.StartCancelShowtime(bkCtx(t), env.ShowtimeID); err != nil {
				t.Fatal(err)
			}
		}},
		{"showtime closed, no booking cancelled", func(t *testing.T, env *BookingEnv, fail *scFail) {
			fail.arm("BookingsByShowtime", 1)
			scWantInterrupted(t, env)
		}},
		{"some bookings confirmed still", func(t *testing.T, env *BookingEnv, fail *scFail) {
			fail.arm("UpdateBooking", 2)
			scWantInterrupted(t, env)
		}},
		{"some bookings refunded but not notified", func(t *testing.T, env *BookingEnv, fail *scFail) {
			fail.arm("EnqueueNotification", 2)
			scWantInterrupted(t, env)
		}},
		{"every booking cancelled, showtime not marked cancelled", func(t *testing.T, env *BookingEnv, fail *scFail) {
			fail.arm("CancelShowtime", 1)
			scWantInterrupted(t, env)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fail := &scFail{n: map[string]int{}}
			stores := MustOpenStores(t)
			env := MustOpenBookingEngine(t, BookingOptions{Stores: fail.wrap(stores)})
			var bs []*boxoffice.Booking
			for i, seat := range []string{"A1", "A2", "A3", "B1", "B2", "B3"} {
				bs = append(bs, env.MustBook(t, "u"+string(rune('1'+i)), seat))
			}
			c.crash(t, env, fail)
			if st := scStatus(t, env); st != boxoffice.ShowtimeCancelling {
				t.Fatalf("after the crash the showtime is %s, want cancelling", st)
			}

			env = env.Restart(t)
			testwait.Until(t, 20*time.Second, "recovery finishes the cancellation", func() bool {
				return scStatus(t, env) == boxoffice.ShowtimeCancelled
			})
			for _, b := range bs {
				got := env.Stored(t, b.ID)
				if got.Status != boxoffice.BookingCancelled || got.Payment == nil || got.Payment.Status != boxoffice.PaymentRefunded {
					t.Errorf("booking %s: status %s, payment %+v; want cancelled and refunded", b.ID, got.Status, got.Payment)
				}
				n := 0
				for _, note := range env.Notes(t, b.UserID) {
					if note.BookingID == b.ID && note.Kind == boxoffice.NotifyShowtimeCancelled {
						n++
					}
				}
				if n != 1 {
					t.Errorf("booking %s: %d showtime_cancelled notifications, want 1", b.ID, n)
				}
			}
			for id, s := range env.Seats(t) {
				if s != boxoffice.SeatFree {
					t.Errorf("seat %s is %s", id, s)
				}
			}
			if ids, err := env.Stores.Catalog.CancellingShowtimes(bkCtx(t), 10); err != nil || len(ids) != 0 {
				t.Errorf("cancelling showtimes left: %v, %v", ids, err)
			}
			captured, refunded, _ := env.Gateway.Totals()
			if captured == 0 || captured != refunded {
				t.Errorf("captured %d, refunded %d: want every capture refunded once", captured, refunded)
			}
			env.MustBalance(t)
		})
	}
}

// scWantInterrupted runs the admin's cancellation and expects it to fail
// at the armed step.
func scWantInterrupted(t *testing.T, env *BookingEnv) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bkCtx(t), 30*time.Second)
	defer cancel()
	if st, err := env.Engine.Bookings().CancelShowtime(ctx, env.ShowtimeID); err == nil {
		t.Fatalf("cancellation finished (%+v); the armed failure did not interrupt it", st)
	}
}

func scStatus(t *testing.T, env *BookingEnv) string {
	t.Helper()
	st, err := env.Stores.Catalog.Showtime(bkCtx(t), env.ShowtimeID)
	if err != nil {
		t.Fatal(err)
	}
	return st.Status
}

// scFail wraps the stores a showtime cancellation writes: each armed
// method fails with EUNAVAILABLE (a store that is down) as many times as
// armed, without reaching the store.
type scFail struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *scFail) arm(method string, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n[method] = times
}

func (f *scFail) fails(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[method] > 0 {
		f.n[method]--
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s: store down (test)", method)
	}
	return nil
}

func (f *scFail) wrap(st *boxoffice.Stores) *boxoffice.Stores {
	w := *st
	w.Catalog = scCatalog{st.Catalog, f}
	w.Bookings = scBookings{st.Bookings, f}
	w.Notifications = scNotifications{st.Notifications, f}
	return &w
}

type scCatalog struct {
	boxoffice.CatalogStore
	f *scFail
}

func (w scCatalog) CancelShowtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	if err := w.f.fails("CancelShowtime"); err != nil {
		return nil, err
	}
	return w.CatalogStore.CancelShowtime(ctx, id)
}

type scBookings struct {
	boxoffice.BookingStore
	f *scFail
}

func (w scBookings) BookingsByShowtime(ctx context.Context, id string, p boxoffice.Page, statuses ...string) ([]*boxoffice.Booking, string, error) {
	if err := w.f.fails("BookingsByShowtime"); err != nil {
		return nil, "", err
	}
	return w.BookingStore.BookingsByShowtime(ctx, id, p, statuses...)
}

func (w scBookings) UpdateBooking(ctx context.Context, b *boxoffice.Booking) error {
	if err := w.f.fails("UpdateBooking"); err != nil {
		return err
	}
	return w.BookingStore.UpdateBooking(ctx, b)
}

type scNotifications struct {
	boxoffice.NotificationStore
	f *scFail
}

func (w scNotifications) EnqueueNotification(ctx context.Context, n *boxoffice.Notification) error {
	if err := w.f.fails("EnqueueNotification"); err != nil {
		return err
	}
	return w.NotificationStore.EnqueueNotification(ctx, n)
}
