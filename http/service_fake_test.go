package http_test

import (
	"context"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// fakeHolds is a ShowtimeService over the pure seat map, one per showtime, all
// behind one mutex: no actors, no journal. It keeps each showtime's events
// so that WatchSeats can answer deltas.
type fakeHolds struct {
	mu      sync.Mutex
	catalog boxoffice.CatalogStore
	clock   boxoffice.Clock
	ttl     time.Duration
	wait    time.Duration // how long WatchSeats waits for a change
	shows   map[string]*fakeShow
}

type fakeShow struct {
	seats   *boxoffice.SeatMap
	events  []boxoffice.SeatEvent
	changed chan struct{} // closed and replaced on every change
}

func newFakeHolds(catalog boxoffice.CatalogStore, clock boxoffice.Clock) *fakeHolds {
	return &fakeHolds{catalog: catalog, clock: clock, ttl: boxoffice.HoldTTLDefault,
		wait: 2 * time.Second, shows: map[string]*fakeShow{}}
}

// show returns the seat map of a showtime, creating it on first use. The
// caller holds f.mu.
func (f *fakeHolds) show(ctx context.Context, id string) (*fakeShow, error) {
	if sh := f.shows[id]; sh != nil {
		return sh, nil
	}
	st, err := f.catalog.Showtime(ctx, id)
	if err != nil {
		return nil, err
	}
	hall, err := f.catalog.Hall(ctx, st.HallID)
	if err != nil {
		return nil, err
	}
	sh := &fakeShow{seats: boxoffice.NewSeatMap(st, hall), changed: make(chan struct{})}
	if st.Status == boxoffice.ShowtimeCancelled {
		sh.seats.CancelShowtime(f.clock.Now())
	}
	f.shows[id] = sh
	return sh, nil
}

// record keeps events and wakes the watchers. The caller holds f.mu.
func (sh *fakeShow) record(evs []boxoffice.SeatEvent) {
	if len(evs) == 0 {
		return
	}
	sh.events = append(sh.events, evs...)
	close(sh.changed)
	sh.changed = make(chan struct{})
}

// do runs f on the seat map of a showtime under the lock.
func (f *fakeHolds) do(ctx context.Context, showtimeID string, fn func(*boxoffice.SeatMap, time.Time) ([]boxoffice.SeatEvent, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	sh, err := f.show(ctx, showtimeID)
	if err != nil {
		return err
	}
	evs, err := fn(sh.seats, f.clock.Now())
	sh.record(evs)
	return err
}

func (f *fakeHolds) Hold(ctx context.Context, showtimeID, owner string, seats []string) (*boxoffice.Hold, error) {
	var h *boxoffice.Hold
	err := f.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) (evs []boxoffice.SeatEvent, err error) {
		h, evs, err = m.Hold(now, boxoffice.HoldRequest{HoldID: boxoffice.NewHoldID(showtimeID), Owner: owner, Seats: seats, TTL: f.ttl})
		return evs, err
	})
	return h, err
}

func owner(c boxoffice.Caller) string {
	if c.Admin {
		return ""
	}
	return c.UserID
}

func (f *fakeHolds) HoldByID(ctx context.Context, holdID string, c boxoffice.Caller) (*boxoffice.Hold, error) {
	showtimeID, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return nil, err
	}
	var h *boxoffice.Hold
	err = f.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) (evs []boxoffice.SeatEvent, err error) {
		evs = m.Expire(now)
		h, err = m.HoldByID(now, holdID, owner(c))
		return evs, err
	})
	return h, err
}

func (f *fakeHolds) ReleaseHold(ctx context.Context, holdID string, c boxoffice.Caller) error {
	showtimeID, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return err
	}
	return f.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) ([]boxoffice.SeatEvent, error) {
		return m.Release(now, holdID, owner(c))
	})
}

func (f *fakeHolds) SeatMap(ctx context.Context, showtimeID string) (*boxoffice.SeatMapView, error) {
	var v boxoffice.SeatMapView
	err := f.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) ([]boxoffice.SeatEvent, error) {
		v = m.View(now)
		return nil, nil
	})
	return &v, err
}

func (f *fakeHolds) WatchSeats(ctx context.Context, showtimeID string, since uint64) (*boxoffice.SeatChanges, error) {
	timer := time.NewTimer(f.wait)
	defer timer.Stop()
	for {
		f.mu.Lock()
		sh, err := f.show(ctx, showtimeID)
		if err != nil {
			f.mu.Unlock()
			return nil, err
		}
		if seq := sh.seats.Seq(); seq > since {
			evs := sh.events[since:] // events are numbered from 1 without gaps
			ch := &boxoffice.SeatChanges{Version: seq, Changes: sh.seats.Changes(evs)}
			f.mu.Unlock()
			return ch, nil
		}
		changed := sh.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return &boxoffice.SeatChanges{Version: since}, nil
		}
	}
}

func (f *fakeHolds) confirm(ctx context.Context, holdID, owner, bookingID string) (*boxoffice.Hold, error) {
	showtimeID, err := boxoffice.HoldShowtimeID(holdID)
	if err != nil {
		return nil, err
	}
	var h *boxoffice.Hold
	err = f.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) (evs []boxoffice.SeatEvent, err error) {
		h, evs, err = m.Confirm(now, holdID, owner, bookingID)
		return evs, err
	})
	return h, err
}

// fakeBookings is a BookingService without a saga: it confirms the hold,
// "captures" every card but tok_decline, and notifies.
type fakeBookings struct {
	mu       sync.Mutex
	holds    *fakeHolds
	catalog  boxoffice.CatalogStore
	notes    boxoffice.NotificationStore
	clock    boxoffice.Clock
	bookings map[string]*boxoffice.Booking
	keys     map[[2]string]boxoffice.IdempotencyRecord
}

func newFakeBookings(holds *fakeHolds, catalog boxoffice.CatalogStore, notes boxoffice.NotificationStore, clock boxoffice.Clock) *fakeBookings {
	return &fakeBookings{holds: holds, catalog: catalog, notes: notes, clock: clock,
		bookings: map[string]*boxoffice.Booking{}, keys: map[[2]string]boxoffice.IdempotencyRecord{}}
}

func clone(b *boxoffice.Booking) *boxoffice.Booking {
	c := *b
	p := *b.Payment
	c.Payment = &p
	return &c
}

func (f *fakeBookings) CreateBooking(ctx context.Context, req boxoffice.CreateBookingRequest) (*boxoffice.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := [2]string{req.UserID, req.IdempotencyKey}
	if rec, ok := f.keys[key]; ok && req.IdempotencyKey != "" {
		if rec.RequestHash != req.RequestHash {
			return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "Idempotency-Key was used for another request")
		}
		return clone(f.bookings[rec.BookingID]), nil
	}
	if req.PaymentToken == "tok_decline" {
		return nil, boxoffice.Errorf(boxoffice.EUNPROCESSABLE, "payment declined")
	}
	id := boxoffice.NewID()
	h, err := f.holds.confirm(ctx, req.HoldID, req.UserID, id)
	if err != nil {
		return nil, err
	}
	now := f.clock.Now()
	b := &boxoffice.Booking{ID: id, UserID: req.UserID, ShowtimeID: h.ShowtimeID, HoldID: h.ID, Seats: h.Seats,
		TotalCents: h.TotalCents, Currency: h.Currency, Status: boxoffice.BookingConfirmed,
		Payment:   &boxoffice.PaymentSummary{ID: boxoffice.NewID(), Status: boxoffice.PaymentCaptured},
		CreatedAt: now, UpdatedAt: now}
	f.bookings[id] = b
	if req.IdempotencyKey != "" {
		f.keys[key] = boxoffice.IdempotencyRecord{UserID: req.UserID, Key: req.IdempotencyKey, RequestHash: req.RequestHash, BookingID: id}
	}
	f.notify(ctx, b, boxoffice.NotifyBookingConfirmed)
	return clone(b), nil
}

func (f *fakeBookings) notify(ctx context.Context, b *boxoffice.Booking, kind string) {
	_ = f.notes.EnqueueNotification(ctx, &boxoffice.Notification{ID: kind + ":" + b.ID, UserID: b.UserID, Kind: kind,
		BookingID: b.ID, Channel: "log", CreatedAt: f.clock.Now()})
}

func (f *fakeBookings) visible(id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	b := f.bookings[id]
	if b == nil || !c.Admin && b.UserID != c.UserID {
		return nil, notFound("booking")
	}
	return b, nil
}

func (f *fakeBookings) Booking(_ context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.visible(id, c)
	if err != nil {
		return nil, err
	}
	return clone(b), nil
}

func (f *fakeBookings) Bookings(_ context.Context, c boxoffice.Caller, p boxoffice.Page) ([]*boxoffice.Booking, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*boxoffice.Booking
	for _, b := range f.bookings {
		if b.UserID == c.UserID {
			out = append(out, clone(b))
		}
	}
	items, next := paginate(out, func(b *boxoffice.Booking) string { return b.ID }, p, true)
	return items, next, nil
}

func (f *fakeBookings) CancelBooking(ctx context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.visible(id, c)
	if err != nil {
		return nil, err
	}
	if b.Status == boxoffice.BookingCancelled {
		return clone(b), nil
	}
	st, err := f.catalog.Showtime(ctx, b.ShowtimeID)
	if err != nil {
		return nil, err
	}
	if st.Started(f.clock.Now()) {
		return nil, boxoffice.Errorf(boxoffice.ECONFLICT, "the showtime has started")
	}
	if err := f.cancel(ctx, b, boxoffice.NotifyBookingCancelled); err != nil {
		return nil, err
	}
	return clone(b), nil
}

func (f *fakeBookings) cancel(ctx context.Context, b *boxoffice.Booking, kind string) error {
	err := f.holds.do(ctx, b.ShowtimeID, func(m *boxoffice.SeatMap, now time.Time) ([]boxoffice.SeatEvent, error) {
		return m.Cancel(now, b.ID)
	})
	if err != nil {
		return err
	}
	b.Status, b.Payment.Status, b.UpdatedAt = boxoffice.BookingCancelled, boxoffice.PaymentRefunded, f.clock.Now()
	f.notify(ctx, b, kind)
	return nil
}

func (f *fakeBookings) CancelShowtime(ctx context.Context, showtimeID string) (*boxoffice.Showtime, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.catalog.CancelShowtime(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	err = f.holds.do(ctx, showtimeID, func(m *boxoffice.SeatMap, now time.Time) ([]boxoffice.SeatEvent, error) {
		return m.CancelShowtime(now), nil
	})
	if err != nil {
		return nil, err
	}
	for _, b := range f.bookings {
		if b.ShowtimeID == showtimeID && b.Status == boxoffice.BookingConfirmed {
			if err := f.cancel(ctx, b, boxoffice.NotifyShowtimeCancelled); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}
