package http_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// eventList is GET /api/v1/admin/events as a client reads it: raw
// CloudEvents, so that the test sees the wire form.
type eventList struct {
	Items      []map[string]any `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// TestAdminEvents: a booking's confirmation and cancellation reach the
// outbox as CloudEvents, in order; the cursor reads on from where the last
// read ended; only admins read it; bad input is refused.
func TestAdminEvents(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	_, ann := ts.Register(t, "ann")
	tok := ann.AccessToken

	var first eventList
	ts.Do(t, "GET", "/api/v1/admin/events", admin, nil).Decode(t, http.StatusOK, &first)
	assert.Empty(t, first.Items)

	h := ts.Hold(t, tok, f.Showtime.ID, "A1")
	var b boxoffice.Booking
	ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h.ID, "tok_visa"), nil...).Decode(t, http.StatusCreated, &b)

	var got eventList
	ts.Do(t, "GET", "/api/v1/admin/events?after="+first.NextCursor, admin, nil).Decode(t, http.StatusOK, &got)
	require.Len(t, got.Items, 2)
	assert.Equal(t, "payment.captured", got.Items[0]["type"])
	confirmed := got.Items[1]
	assert.Equal(t, "booking.confirmed", confirmed["type"])
	assert.Equal(t, "1.0", confirmed["specversion"])
	assert.Equal(t, "urn:boxoffice", confirmed["source"])
	assert.Equal(t, "bookings/"+b.ID, confirmed["subject"])
	assert.Equal(t, "application/json", confirmed["datacontenttype"])
	data := confirmed["data"].(map[string]any)
	assert.Equal(t, b.ID, data["booking_id"])
	assert.Equal(t, []any{"A1"}, data["seats"])
	assert.EqualValues(t, b.TotalCents, data["total_cents"])

	var none eventList
	ts.Do(t, "GET", "/api/v1/admin/events?after="+got.NextCursor, admin, nil).Decode(t, http.StatusOK, &none)
	assert.Empty(t, none.Items)
	assert.Equal(t, got.NextCursor, none.NextCursor, "nothing new keeps the cursor")

	ts.Do(t, "POST", path("/bookings/%s/cancel", b.ID), tok, nil).Decode(t, http.StatusOK, nil)
	var more eventList
	ts.Do(t, "GET", "/api/v1/admin/events?limit=1&after="+got.NextCursor, admin, nil).Decode(t, http.StatusOK, &more)
	require.Len(t, more.Items, 1, "limit")
	assert.Equal(t, "booking.cancelled", more.Items[0]["type"])
	ts.Do(t, "GET", "/api/v1/admin/events?after="+more.NextCursor, admin, nil).Decode(t, http.StatusOK, &more)
	require.Len(t, more.Items, 1)
	assert.Equal(t, "payment.refunded", more.Items[0]["type"])

	// Each item decodes as the product's event type.
	raw, err := json.Marshal(more.Items[0])
	require.NoError(t, err)
	var e boxoffice.Event
	require.NoError(t, json.Unmarshal(raw, &e))

	t.Run("OnlyAdmins", func(t *testing.T) {
		ts.Do(t, "GET", "/api/v1/admin/events", tok, nil).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
		ts.Do(t, "GET", "/api/v1/admin/events", "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("BadInput", func(t *testing.T) {
		for _, q := range []string{"after=abc", "after=-1", "after=01", "limit=0", "limit=201", "limit=x",
			"after=" + strings.Repeat("9", 300)} {
			ts.Do(t, "GET", "/api/v1/admin/events?"+q, admin, nil).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		}
	})
}

// TestAdminEventsShowtimeCancelled: cancelling a showtime writes its
// bookings' cancellations and refunds, then the showtime's own event,
// once, even when the admin cancels it again.
func TestAdminEventsShowtimeCancelled(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	_, ann := ts.Register(t, "ann")
	h := ts.Hold(t, ann.AccessToken, f.Showtime.ID, "A1")
	var b boxoffice.Booking
	ts.Do(t, "POST", "/api/v1/bookings", ann.AccessToken, bookingBody(h.ID, "tok_visa")).Decode(t, http.StatusCreated, &b)

	ts.Do(t, "DELETE", path("/showtimes/%s", f.Showtime.ID), admin, nil).Decode(t, http.StatusOK, nil)
	ts.Do(t, "DELETE", path("/showtimes/%s", f.Showtime.ID), admin, nil).Decode(t, http.StatusOK, nil)

	var got eventList
	ts.Do(t, "GET", "/api/v1/admin/events", admin, nil).Decode(t, http.StatusOK, &got)
	var types []any
	for _, e := range got.Items {
		types = append(types, e["type"])
	}
	require.Equal(t, []any{"payment.captured", "booking.confirmed", "booking.cancelled", "payment.refunded", "showtime.cancelled"}, types)
	last := got.Items[4]
	assert.Equal(t, "showtimes/"+f.Showtime.ID, last["subject"])
	data := last["data"].(map[string]any)
	assert.Equal(t, f.Showtime.ID, data["showtime_id"])
	assert.Equal(t, f.Showtime.MovieID, data["movie_id"])
}
