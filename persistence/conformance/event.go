package conformance

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var eventTests = []test{
	{"UpdateBookingWritesItsEventsOnce", testUpdateBookingWritesEvents},
	{"UpdateBookingOfNoBookingWritesNoEvent", testUpdateMissingBookingNoEvent},
	{"AppendEventsKeepsOrderAndSkipsKnownIDs", testAppendEvents},
	{"EventsPageByCursorAndRefuseABadOne", testEventsPaging},
	{"EventsWrittenAtOnceAreAllListedOnce", testEventsConcurrent},
	{"DeleteEventsBeforeTakesTheOldest", testDeleteEventsBefore},
	{"ClaimEventsTakesTheOldestForALease", testClaimEvents},
	{"ClaimEventsAtOnceOneClaimerTakesThem", testClaimEventsConcurrent},
	{"EventBacklogCountsWhatNoBrokerHas", testEventBacklog},
}

// eventsListWithin bounds the wait for an event to be listed: a store may
// hold events back for boxoffice.EventSettle (the suite's stores are opened
// with less).
const eventsListWithin = boxoffice.EventSettle + 5*time.Second

// allEvents follows the cursors from after until want events are listed
// (or the wait ends) and returns them with the last cursor.
func allEvents(t *testing.T, s *boxoffice.Stores, after string, want int) ([]boxoffice.Event, string) {
	t.Helper()
	var out []boxoffice.Event
	deadline := time.Now().Add(eventsListWithin)
	for {
		page, next, err := s.Events.Events(t.Context(), after, 7)
		require.NoError(t, err)
		if len(page) == 0 {
			require.Equal(t, after, next, "an empty page moves the cursor")
		}
		out, after = append(out, page...), next
		if len(out) >= want || time.Now().After(deadline) {
			return out, after
		}
		if len(page) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func eventTypes(events []boxoffice.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

func testUpdateBookingWritesEvents(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	b := mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0))
	b.Status, b.UpdatedAt = boxoffice.BookingConfirmed, at(1)
	b.Payment = &boxoffice.PaymentSummary{ID: "pay-1", Status: boxoffice.PaymentCaptured}
	require.NoError(t, s.Bookings.UpdateBooking(ctx, b))
	require.NoError(t, s.Bookings.UpdateBooking(ctx, b), "a retried step")

	got, cursor := allEvents(t, s, "", 2)
	require.Equal(t, []string{boxoffice.EventTypePaymentCaptured, boxoffice.EventTypeBookingConfirmed}, eventTypes(got))
	confirmed := got[1]
	require.Equal(t, "bookings/"+b.ID, confirmed.Subject)
	require.True(t, at(1).Equal(confirmed.Time), "event time %v", confirmed.Time)
	var data boxoffice.BookingEventData
	require.NoError(t, json.Unmarshal(confirmed.Data, &data))
	require.Equal(t, boxoffice.BookingEventData{BookingID: b.ID, UserID: "user-1", ShowtimeID: b.ShowtimeID,
		Seats: []string{"A1", "A2"}, TotalCents: 2500, Currency: "EUR", Status: boxoffice.BookingConfirmed, PaymentID: "pay-1"}, data)
	var pay boxoffice.PaymentEventData
	require.NoError(t, json.Unmarshal(got[0].Data, &pay))
	require.Equal(t, int64(2500), pay.AmountCents)
	require.Equal(t, "payments/pay-1", got[0].Subject)

	b.Status, b.UpdatedAt = boxoffice.BookingCancelling, at(2)
	require.NoError(t, s.Bookings.UpdateBooking(ctx, b))
	b.Status, b.UpdatedAt = boxoffice.BookingCancelled, at(3)
	b.Payment.Status = boxoffice.PaymentRefunded
	require.NoError(t, s.Bookings.UpdateBooking(ctx, b))
	more, _ := allEvents(t, s, cursor, 2)
	require.Equal(t, []string{boxoffice.EventTypeBookingCancelled, boxoffice.EventTypePaymentRefunded}, eventTypes(more),
		"the capture is not written again")
}

func testUpdateMissingBookingNoEvent(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	ghost := newBooking("user-1", boxoffice.NewID(), t0)
	ghost.Status = boxoffice.BookingConfirmed
	requireCode(t, boxoffice.ENOTFOUND, s.Bookings.UpdateBooking(ctx, ghost))

	real := mustBooking(t, s, newBooking("user-1", boxoffice.NewID(), t0))
	real.Status = boxoffice.BookingFailed
	require.NoError(t, s.Bookings.UpdateBooking(ctx, real))
	got, _ := allEvents(t, s, "", 1)
	require.Len(t, got, 1, "the missing booking wrote an event")
	require.Equal(t, eventIDOf(boxoffice.EventTypeBookingFailed, real.ID), got[0].ID)
}

func eventIDOf(typ, id string) string {
	for _, e := range boxoffice.BookingEvents(&boxoffice.Booking{ID: id, Status: statusOf(typ)}) {
		if e.Type == typ {
			return e.ID
		}
	}
	return ""
}

func statusOf(typ string) string {
	switch typ {
	case boxoffice.EventTypeBookingConfirmed:
		return boxoffice.BookingConfirmed
	case boxoffice.EventTypeBookingCancelled:
		return boxoffice.BookingCancelled
	}
	return boxoffice.BookingFailed
}

func newEvents(n int, prefix string) []boxoffice.Event {
	out := make([]boxoffice.Event, n)
	for i := range out {
		out[i] = boxoffice.Event{ID: fmt.Sprintf("%s-%03d", prefix, i), Type: boxoffice.EventTypeShowtimeCancelled,
			Subject: "showtimes/" + prefix, Time: at(i), Data: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))}
	}
	return out
}

func testAppendEvents(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	first := newEvents(5, "a")
	require.NoError(t, s.Events.AppendEvents(ctx, first))
	again := append(newEvents(3, "a")[1:], newEvents(2, "b")...) // a-001, a-002 known
	require.NoError(t, s.Events.AppendEvents(ctx, again))
	require.NoError(t, s.Events.AppendEvents(ctx, nil))

	got, _ := allEvents(t, s, "", 7)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	require.Equal(t, []string{"a-000", "a-001", "a-002", "a-003", "a-004", "b-000", "b-001"}, ids)
	require.JSONEq(t, `{"n": 3}`, string(got[3].Data))
	require.True(t, at(3).Equal(got[3].Time))
	require.Equal(t, time.UTC, got[3].Time.Location())
}

func testEventsPaging(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	require.NoError(t, s.Events.AppendEvents(ctx, newEvents(20, "p")))
	got, cursor := allEvents(t, s, "", 20)
	require.Len(t, got, 20)

	page, next, err := s.Events.Events(ctx, cursor, 5)
	require.NoError(t, err)
	require.Empty(t, page)
	require.Equal(t, cursor, next, "nothing new keeps the cursor")

	require.NoError(t, s.Events.AppendEvents(ctx, newEvents(1, "q")))
	more, _ := allEvents(t, s, cursor, 1)
	require.Len(t, more, 1)
	require.Equal(t, "q-000", more[0].ID)

	for _, bad := range []string{"x", "-1", "01", "1.5", "99999999999999999999"} {
		_, _, err := s.Events.Events(ctx, bad, 5)
		requireCode(t, boxoffice.EINVALID, err)
	}
}

// testEventsConcurrent: events written from many goroutines at once are
// each listed exactly once by a reader that follows the cursors.
func testEventsConcurrent(t *testing.T, s *boxoffice.Stores) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ev := newEvents(1, fmt.Sprintf("w%d-%d", w, i))
				assert.NoError(t, s.Events.AppendEvents(t.Context(), ev))
			}
		})
	}
	var seen []boxoffice.Event
	cursor := ""
	for len(seen) < writers*each {
		var page []boxoffice.Event
		page, cursor = allEvents(t, s, cursor, 1)
		require.NotEmpty(t, page, "listed %d of %d", len(seen), writers*each)
		seen = append(seen, page...)
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, e := range seen {
		require.False(t, ids[e.ID], "%s listed twice", e.ID)
		ids[e.ID] = true
	}
	require.Len(t, ids, writers*each)
}

func testDeleteEventsBefore(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	require.NoError(t, s.Events.AppendEvents(ctx, newEvents(5, "old")))
	cut := time.Now().Add(time.Minute) // every event so far was stored before it
	n, err := s.Events.DeleteEventsBefore(ctx, cut, 3)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	got, _ := allEvents(t, s, "", 2)
	require.Len(t, got, 2)
	require.Equal(t, "old-003", got[0].ID, "the oldest go first")
	n, err = s.Events.DeleteEventsBefore(ctx, time.Now().Add(-time.Hour), 10)
	require.NoError(t, err)
	require.Zero(t, n, "nothing was stored an hour ago")
}

func eventIDs(events []boxoffice.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func testClaimEvents(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	require.NoError(t, s.Events.AppendEvents(ctx, newEvents(5, "c")))
	first, err := s.Events.ClaimEvents(ctx, at(0), at(1), 3)
	require.NoError(t, err)
	require.Equal(t, []string{"c-000", "c-001", "c-002"}, eventIDs(first), "oldest first, up to the limit")
	require.JSONEq(t, `{"n": 1}`, string(first[1].Data))

	none, err := s.Events.ClaimEvents(ctx, at(0), at(1), 10)
	require.NoError(t, err)
	require.Empty(t, none, "a claim lasts: nobody else publishes meanwhile")

	require.NoError(t, s.Events.MarkPublished(ctx, eventIDs(first[:2]), at(0)))
	again, err := s.Events.ClaimEvents(ctx, at(0), at(1), 10)
	require.NoError(t, err)
	require.Empty(t, again, "c-002 is still claimed")

	later, err := s.Events.ClaimEvents(ctx, at(2), at(3), 10)
	require.NoError(t, err)
	require.Equal(t, []string{"c-002", "c-003", "c-004"}, eventIDs(later), "after the lease: the unpublished ones, claimed or not")
	require.NoError(t, s.Events.MarkPublished(ctx, eventIDs(later), at(2)))
	done, err := s.Events.ClaimEvents(ctx, at(4), at(5), 10)
	require.NoError(t, err)
	require.Empty(t, done, "everything is published")

	// The outbox still lists the published events.
	all, _ := allEvents(t, s, "", 5)
	require.Len(t, all, 5)
}

// testClaimEventsConcurrent: claims at once take the backlog once, and all
// of it goes to one claimer (events leave in order from one node).
func testClaimEventsConcurrent(t *testing.T, s *boxoffice.Stores) {
	const events, claimers = 600, 8
	require.NoError(t, s.Events.AppendEvents(t.Context(), newEvents(events, "x")))
	got := make([][]boxoffice.Event, claimers)
	var wg sync.WaitGroup
	for i := range claimers {
		wg.Go(func() {
			var err error
			got[i], err = s.Events.ClaimEvents(t.Context(), at(0), at(1), 100)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	seen, takers := map[string]bool{}, 0
	for _, g := range got {
		if len(g) > 0 {
			takers++
		}
		for _, e := range g {
			require.False(t, seen[e.ID], "%s claimed twice", e.ID)
			seen[e.ID] = true
		}
	}
	require.Len(t, seen, 100, "one claim of the limit")
	require.Equal(t, 1, takers, "the backlog was split between claimers")
}

func testEventBacklog(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	n, oldest, err := s.Events.EventBacklog(ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.True(t, oldest.IsZero())

	before := time.Now().Add(-time.Minute)
	require.NoError(t, s.Events.AppendEvents(ctx, newEvents(3, "k")))
	n, oldest, err = s.Events.EventBacklog(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.True(t, oldest.After(before) && oldest.Before(time.Now().Add(time.Minute)), "oldest %v", oldest)
	require.NoError(t, s.Events.MarkPublished(ctx, []string{"k-000"}, time.Now()))
	n, _, err = s.Events.EventBacklog(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}
