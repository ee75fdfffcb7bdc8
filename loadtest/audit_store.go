package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/boxoffice/boxoffice"
)

// storeParallel bounds the showtimes read from the stores at once.
const storeParallel = 4

// CollectStore reads the end state of showtimes straight from a node's
// stores: every booking of each showtime (whoever made it), each booking's
// payment, and the seat map rebuilt from the seat journal (snapshot and
// events) as the showtime grain would load it, viewed at now.
func CollectStore(ctx context.Context, stores *boxoffice.Stores, showtimes []string, now time.Time) (*AuditData, error) {
	d := &AuditData{Source: "store", SeatMaps: map[string]map[string]boxoffice.SeatStatus{}, Bookings: map[string]*AuditBooking{}}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(storeParallel)
	for _, id := range showtimes {
		g.Go(func() error {
			seats, err := storeSeatMap(ctx, stores, id, now)
			if err != nil {
				return err
			}
			bookings, err := storeBookings(ctx, stores, id)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			d.SeatMaps[id] = seats
			for _, b := range bookings {
				d.Bookings[b.ID] = b
			}
			return nil
		})
	}
	return d, g.Wait()
}

// storeSeatMap replays a showtime's seat journal.
func storeSeatMap(ctx context.Context, stores *boxoffice.Stores, id string, now time.Time) (map[string]boxoffice.SeatStatus, error) {
	st, err := stores.Catalog.Showtime(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("store audit: showtime %s: %w", id, err)
	}
	hall, err := stores.Catalog.Hall(ctx, st.HallID)
	if err != nil {
		return nil, fmt.Errorf("store audit: hall %s: %w", st.HallID, err)
	}
	snap, events, err := stores.Seats.LoadSeats(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("store audit: seat journal of %s: %w", id, err)
	}
	m := boxoffice.NewSeatMap(st, hall)
	if err := m.Restore(snap, events); err != nil {
		return nil, fmt.Errorf("store audit: replay seat journal of %s: %w", id, err)
	}
	view := m.View(now)
	out := make(map[string]boxoffice.SeatStatus, len(view.Seats))
	for _, s := range view.Seats {
		out[s.ID] = s.Status
	}
	return out, nil
}

// storeBookings reads a showtime's bookings, page by page, with their
// payments.
func storeBookings(ctx context.Context, stores *boxoffice.Stores, id string) ([]*AuditBooking, error) {
	var out []*AuditBooking
	page := boxoffice.Page{Limit: boxoffice.PageLimitMax}
	for {
		bookings, next, err := stores.Bookings.BookingsByShowtime(ctx, id, page)
		if err != nil {
			return nil, fmt.Errorf("store audit: bookings of %s: %w", id, err)
		}
		for _, b := range bookings {
			ab, err := storeBooking(ctx, stores, b)
			if err != nil {
				return nil, err
			}
			out = append(out, ab)
		}
		if next == "" {
			return out, nil
		}
		page.Cursor = next
	}
}

// storeBooking is b with its payment, if it has one.
func storeBooking(ctx context.Context, stores *boxoffice.Stores, b *boxoffice.Booking) (*AuditBooking, error) {
	ab := &AuditBooking{ID: b.ID, ShowtimeID: b.ShowtimeID, Seats: b.Seats, Status: b.Status, TotalCents: b.TotalCents}
	p, err := stores.Payments.PaymentByBooking(ctx, b.ID)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
	case err != nil:
		return nil, fmt.Errorf("store audit: payment of booking %s: %w", b.ID, err)
	default:
		ab.PaymentStatus, ab.PaymentCents = p.Status, p.AmountCents
	}
	return ab, nil
}
