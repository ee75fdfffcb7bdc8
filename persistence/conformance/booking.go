package conformance

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var bookingTests = []test{
	{"CreateAndGetRoundTrip", testBookingRoundTrip},
	{"BookingNotFound", testBookingNotFound},
	{"CreateBookingTwiceConflictsAndKeepsTheFirst", testCreateBookingTwice},
	{"UpdateBookingStoresOnlyItsFields", testUpdateBooking},
	{"BookingsByUserNewestFirstAcrossPages", testBookingsByUser},
	{"BookingsByShowtimeFilterStatuses", testBookingsByShowtime},
	{"BookingsByShowtimeOldestFirstAcrossPages", testBookingsByShowtimePages},
	{"BookingsByShowtimePagesHoldWhileCancelling", testBookingsByShowtimeCancelling},
	{"BookingsByStatusOldestFirstUpToLimit", testBookingsByStatus},
	{"PutIdempotencyStoresOnceAndReturnsTheFirst", testPutIdempotency},
	{"ConcurrentPutIdempotencyCreatesOnce", testPutIdempotencyConcurrent},
}

func newBooking(userID, showtimeID string, created time.Time) *boxoffice.Booking {
	return &boxoffice.Booking{
		ID:         boxoffice.NewID(),
		UserID:     userID,
		ShowtimeID: showtimeID,
		HoldID:     boxoffice.NewHoldID(showtimeID),
		Seats:      []string{"A1", "A2"},
		TotalCents: 2500,
		Currency:   "EUR",
		Status:     boxoffice.BookingPending,
		CreatedAt:  created,
		UpdatedAt:  created,
	}
}

func mustBooking(t *testing.T, s *boxoffice.Stores, b *boxoffice.Booking) *boxoffice.Booking {
	t.Helper()
	require.NoError(t, s.Bookings.CreateBooking(t.Context(), b))
	return b
}

func bookingID(b *boxoffice.Booking) string { return b.ID }

func testBookingRoundTrip(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	b := mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0))
	got, err := s.Bookings.Booking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b, got)

	paid := newBooking("user-1", boxoffice.NewID(), at(1))
	paid.Status = boxoffice.BookingFailed
	paid.Failure = "card declined"
	paid.FailureCode = boxoffice.BookingFailedDeclined
	paid.Payment = &boxoffice.PaymentSummary{ID: boxoffice.NewID(), Status: boxoffice.PaymentDeclined}
	mustBooking(t, s, paid)
	got, err = s.Bookings.Booking(ctx, paid.ID)
	require.NoError(t, err)
	require.Equal(t, paid, got)
}

func testBookingNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Bookings.Booking(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	err = s.Bookings.UpdateBooking(ctx, newBooking("user-1", boxoffice.NewID(), t0))
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testUpdateBooking changes every field of the booking given to
// UpdateBooking and expects only Status, Failure, FailureCode, Payment and
// UpdatedAt stored; then clears the payment and the failure again.
func testUpdateBooking(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	b := mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0))

	up := newBooking("user-2", boxoffice.NewID(), at(5))
	up.ID = b.ID
	up.Seats, up.TotalCents, up.Currency = []string{"Z9"}, 1, "USD"
	up.Status = boxoffice.BookingConfirmed
	up.Failure = "none really"
	up.FailureCode = boxoffice.BookingFailedHoldLost
	up.Payment = &boxoffice.PaymentSummary{ID: boxoffice.NewID(), Status: boxoffice.PaymentCaptured}
	up.UpdatedAt = at(7)
	require.NoError(t, s.Bookings.UpdateBooking(ctx, up))

	want := *b
	want.Status, want.Failure, want.FailureCode, want.Payment, want.UpdatedAt = up.Status, up.Failure, up.FailureCode, up.Payment, up.UpdatedAt
	got, err := s.Bookings.Booking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, &want, got)

	want.Payment, want.Failure, want.FailureCode = nil, "", ""
	require.NoError(t, s.Bookings.UpdateBooking(ctx, &want))
	got, err = s.Bookings.Booking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, &want, got)
}

// testBookingsByUser lists 12 bookings of one user, 4 at a time (the last
// page is full, and no cursor may lead past it), among bookings of others,
// and expects each once, newest first.
func testBookingsByUser(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var want []string
	for i := range 12 {
		want = append(want, mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), at(i))).ID)
		mustBooking(t, s, newBooking("user-2", boxoffice.NewID(), at(i)))
	}
	slices.Reverse(want)
	got := allPages(t, 4, func(cursor string) ([]*boxoffice.Booking, string, error) {
		return s.Bookings.BookingsByUser(ctx, "user-1", boxoffice.Page{Limit: 4, Cursor: cursor})
	})
	require.Equal(t, want, ids(got, bookingID))

	none, next, err := s.Bookings.BookingsByUser(ctx, "user-3", boxoffice.Page{})
	require.NoError(t, err)
	require.Empty(t, none)
	require.Empty(t, next)
}

func testBookingsByShowtime(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	statuses := []string{boxoffice.BookingPending, boxoffice.BookingConfirmed,
		boxoffice.BookingFailed, boxoffice.BookingConfirmed, boxoffice.BookingCancelling}
	byStatus := map[string][]string{}
	var all []string
	for i, status := range statuses {
		b := newBooking("user-1", st, at(i))
		b.Status = status
		mustBooking(t, s, b)
		byStatus[status] = append(byStatus[status], b.ID)
		all = append(all, b.ID)
	}
	mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0)) // another showtime

	list := func(statuses ...string) []string {
		t.Helper()
		got := allPages(t, 2, func(cursor string) ([]*boxoffice.Booking, string, error) {
			return s.Bookings.BookingsByShowtime(ctx, st, boxoffice.Page{Limit: 2, Cursor: cursor}, statuses...)
		})
		return ids(got, bookingID)
	}
	require.ElementsMatch(t, all, list())
	require.ElementsMatch(t, byStatus[boxoffice.BookingConfirmed], list(boxoffice.BookingConfirmed))
	require.ElementsMatch(t, append(byStatus[boxoffice.BookingConfirmed], byStatus[boxoffice.BookingCancelling]...),
		list(boxoffice.BookingConfirmed, boxoffice.BookingCancelling))
	require.Empty(t, list(boxoffice.BookingCancelled))
}

// testBookingsByShowtimePages lists 12 bookings of one showtime, 5 at a
// time, among bookings of another showtime, and expects each once, oldest
// first; pairs created at the same time come in ID order.
func testBookingsByShowtimePages(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	var want []*boxoffice.Booking
	for i := range 12 {
		want = append(want, mustBooking(t, s, newBooking("user-1", st, at(12-i/2))))
		mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), at(i)))
	}
	slices.SortFunc(want, func(a, b *boxoffice.Booking) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	got := allPages(t, 5, func(cursor string) ([]*boxoffice.Booking, string, error) {
		return s.Bookings.BookingsByShowtime(ctx, st, boxoffice.Page{Limit: 5, Cursor: cursor})
	})
	require.Equal(t, ids(want, bookingID), ids(got, bookingID))

	none, next, err := s.Bookings.BookingsByShowtime(ctx, boxoffice.NewID(), boxoffice.Page{})
	require.NoError(t, err)
	require.Empty(t, none)
	require.Empty(t, next)
}

// testBookingsByShowtimeCancelling pages through a showtime's confirmed
// bookings the way its cancellation does, cancelling each page before
// reading the next: bookings leaving the filter must not make the next page
// skip or repeat any.
func testBookingsByShowtimeCancelling(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	st := boxoffice.NewID()
	var want []string
	for i := range 7 {
		b := newBooking("user-1", st, at(i))
		b.Status = boxoffice.BookingConfirmed
		want = append(want, mustBooking(t, s, b).ID)
	}
	got := allPages(t, 3, func(cursor string) ([]*boxoffice.Booking, string, error) {
		page, next, err := s.Bookings.BookingsByShowtime(ctx, st, boxoffice.Page{Limit: 3, Cursor: cursor},
			boxoffice.BookingConfirmed)
		for _, b := range page {
			cancelled := *b
			cancelled.Status = boxoffice.BookingCancelled
			require.NoError(t, s.Bookings.UpdateBooking(ctx, &cancelled))
		}
		return page, next, err
	})
	require.Equal(t, want, ids(got, bookingID))
	left, _, err := s.Bookings.BookingsByShowtime(ctx, st, boxoffice.Page{}, boxoffice.BookingConfirmed)
	require.NoError(t, err)
	require.Empty(t, left)
}

func testBookingsByStatus(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var pending []string
	for i := range 6 {
		b := newBooking("user-1", boxoffice.NewID(), at(10-i)) // created newest first
		if i%3 == 2 {
			b.Status = boxoffice.BookingConfirmed
		}
		mustBooking(t, s, b)
		if b.Status == boxoffice.BookingPending {
			pending = append(pending, b.ID)
		}
	}
	slices.Reverse(pending)
	got, err := s.Bookings.BookingsByStatus(ctx, 3, boxoffice.BookingPending, boxoffice.BookingCancelling)
	require.NoError(t, err)
	require.Equal(t, pending[:3], ids(got, bookingID), "oldest first, at most limit")
	got, err = s.Bookings.BookingsByStatus(ctx, 100, boxoffice.BookingPending)
	require.NoError(t, err)
	require.Equal(t, pending, ids(got, bookingID))
	got, err = s.Bookings.BookingsByStatus(ctx, 100, boxoffice.BookingCancelled)
	require.NoError(t, err)
	require.Empty(t, got)
}

// testPutIdempotency stores a key, then the same key with another body
// (which must get the first record back), then the key of another user.
func testPutIdempotency(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	r := &boxoffice.IdempotencyRecord{UserID: "user-1", Key: "key-1", RequestHash: "hash-a",
		BookingID: boxoffice.NewID(), CreatedAt: t0}
	stored, created, err := s.Bookings.PutIdempotency(ctx, r)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, r, stored)

	retry := *r
	retry.RequestHash, retry.BookingID, retry.CreatedAt = "hash-b", boxoffice.NewID(), at(1)
	stored, created, err = s.Bookings.PutIdempotency(ctx, &retry)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, r, stored)

	other := retry
	other.UserID = "user-2"
	stored, created, err = s.Bookings.PutIdempotency(ctx, &other)
	require.NoError(t, err)
	require.True(t, created, "keys are per user")
	require.Equal(t, &other, stored)
}

// testPutIdempotencyConcurrent puts one key from several goroutines at
// once: one creates, and every caller gets that one record.
func testPutIdempotencyConcurrent(t *testing.T, s *boxoffice.Stores) {
	const n = 4
	stored := make([]*boxoffice.IdempotencyRecord, n)
	created := make([]bool, n)
	var fns []func(ctx context.Context) error
	for i := range n {
		fns = append(fns, func(ctx context.Context) error {
			r := &boxoffice.IdempotencyRecord{UserID: "user-1", Key: "same", RequestHash: "h",
				BookingID: boxoffice.NewID(), CreatedAt: t0}
			var err error
			stored[i], created[i], err = s.Bookings.PutIdempotency(ctx, r)
			return err
		})
	}
	require.Equal(t, map[string]int{"": n}, countCodes(goTogether(t.Context(), fns...)))
	winners := 0
	for i := range n {
		if created[i] {
			winners++
		}
		require.Equal(t, stored[0], stored[i])
	}
	require.Equal(t, 1, winners)
}

// The saga inserts a new booking without reading it first: a second insert
// of the same ID (a retry) must be ECONFLICT and change nothing.
func testCreateBookingTwice(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	b := mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0))
	again := *b
	again.Status, again.UpdatedAt = boxoffice.BookingConfirmed, at(1)
	requireCode(t, boxoffice.ECONFLICT, s.Bookings.CreateBooking(ctx, &again))
	got, err := s.Bookings.Booking(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b, got)
}
