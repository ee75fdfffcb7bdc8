package actors_test

import (
	"context"
	"maps"
	"sync"

	"github.com/boxoffice/boxoffice"
)

// bkSteps wraps the stores a booking touches: it counts each call by
// method name and fails the methods named in fail with EUNAVAILABLE (a
// store that is down), as many times as the count says.
type bkSteps struct {
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]int
}

func newBkSteps() *bkSteps { return &bkSteps{calls: map[string]int{}, fail: map[string]int{}} }

// wrap returns stores whose bookings, payments, notifications and catalog
// go through s.
func (s *bkSteps) wrap(st *boxoffice.Stores) *boxoffice.Stores {
	w := *st
	w.Bookings = bkBookingSteps{st.Bookings, s}
	w.Payments = bkPaymentSteps{st.Payments, s}
	w.Notifications = bkNotifySteps{st.Notifications, s}
	w.Catalog = bkCatalogSteps{st.Catalog, s}
	return &w
}

// step counts a call and tells whether it must fail.
func (s *bkSteps) step(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
	if s.fail[name] > 0 {
		s.fail[name]--
		return boxoffice.Errorf(boxoffice.EUNAVAILABLE, "%s: store down (test)", name)
	}
	return nil
}

// failNext makes the next n calls of method name fail.
func (s *bkSteps) failNext(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[name] = n
}

// take returns the calls counted since the last take.
func (s *bkSteps) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := maps.Clone(s.calls)
	clear(s.calls)
	return got
}

type bkBookingSteps struct {
	boxoffice.BookingStore
	s *bkSteps
}

func (w bkBookingSteps) CreateBooking(ctx context.Context, b *boxoffice.Booking) error {
	if err := w.s.step("CreateBooking"); err != nil {
		return err
	}
	return w.BookingStore.CreateBooking(ctx, b)
}

func (w bkBookingSteps) UpdateBooking(ctx context.Context, b *boxoffice.Booking) error {
	if err := w.s.step("UpdateBooking"); err != nil {
		return err
	}
	return w.BookingStore.UpdateBooking(ctx, b)
}

func (w bkBookingSteps) Booking(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if err := w.s.step("Booking"); err != nil {
		return nil, err
	}
	return w.BookingStore.Booking(ctx, id)
}

type bkPaymentSteps struct {
	boxoffice.PaymentStore
	s *bkSteps
}

func (w bkPaymentSteps) CreatePayment(ctx context.Context, p *boxoffice.Payment) error {
	if err := w.s.step("CreatePayment"); err != nil {
		return err
	}
	return w.PaymentStore.CreatePayment(ctx, p)
}

func (w bkPaymentSteps) UpdatePayment(ctx context.Context, p *boxoffice.Payment) error {
	if err := w.s.step("UpdatePayment"); err != nil {
		return err
	}
	return w.PaymentStore.UpdatePayment(ctx, p)
}

func (w bkPaymentSteps) PaymentByBooking(ctx context.Context, id string) (*boxoffice.Payment, error) {
	if err := w.s.step("PaymentByBooking"); err != nil {
		return nil, err
	}
	return w.PaymentStore.PaymentByBooking(ctx, id)
}

type bkNotifySteps struct {
	boxoffice.NotificationStore
	s *bkSteps
}

func (w bkNotifySteps) EnqueueNotification(ctx context.Context, n *boxoffice.Notification) error {
	if err := w.s.step("EnqueueNotification"); err != nil {
		return err
	}
	return w.NotificationStore.EnqueueNotification(ctx, n)
}

type bkCatalogSteps struct {
	boxoffice.CatalogStore
	s *bkSteps
}

func (w bkCatalogSteps) Showtime(ctx context.Context, id string) (*boxoffice.Showtime, error) {
	if err := w.s.step("Showtime"); err != nil {
		return nil, err
	}
	return w.CatalogStore.Showtime(ctx, id)
}
