package http_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// TestHolds proves the hold routes: create (all or none), read and release
// by the owner only, and the contract's errors.
func TestHolds(t *testing.T) {
	ts := MustOpenServer(t, rateLimitsOff) // bob sends more bad holds than a client may
	f := ts.Fixture(t, ts.Admin(t))
	_, ann := ts.Register(t, "ann")
	_, bob := ts.Register(t, "bob")
	st := f.Showtime.ID

	h := ts.Hold(t, ann.AccessToken, st, "A1", "B2")
	assert.Equal(t, st, h.ShowtimeID)
	assert.Equal(t, []string{"A1", "B2"}, h.Seats)
	assert.EqualValues(t, 1200+1800, h.TotalCents)
	assert.Equal(t, "EUR", h.Currency)
	assert.Equal(t, ts.Clock.Now().Add(boxoffice.HoldTTLDefault), h.ExpiresAt)

	var got boxoffice.Hold
	ts.Do(t, "GET", path("/holds/%s", h.ID), ann.AccessToken, nil).Decode(t, http.StatusOK, &got)
	assert.Equal(t, h, got)

	t.Run("ErrSeatTaken", func(t *testing.T) {
		e := ts.Do(t, "POST", path("/showtimes/%s/holds", st), bob.AccessToken, map[string]any{"seats": []string{"A3", "A1"}}).
			RequireError(t, http.StatusConflict, boxoffice.ECONFLICT)
		assert.Equal(t, []any{"A1"}, e.Details["unavailable"])
		ts.Hold(t, bob.AccessToken, st, "A3") // all or none: A3 stayed free
	})
	t.Run("ErrInvalidSeats", func(t *testing.T) {
		for _, seats := range [][]string{{}, {"A4", "A4"}, {"Z1"}, {""}, {strings.Repeat("A", 100)},
			{"A4", "A5", "A6", "A7", "A8", "A9", "A10", "B3", "B4", "B5", "B6"}} {
			ts.Do(t, "POST", path("/showtimes/%s/holds", st), bob.AccessToken, map[string]any{"seats": seats}).
				RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		}
		ts.Do(t, "POST", path("/showtimes/%s/holds", st), bob.AccessToken, map[string]any{}).
			RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	})
	t.Run("ErrUnknownShowtime", func(t *testing.T) {
		ts.Do(t, "POST", path("/showtimes/%s/holds", boxoffice.NewID()), bob.AccessToken, map[string]any{"seats": []string{"A1"}}).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("ErrSomeoneElses", func(t *testing.T) {
		ts.Do(t, "GET", path("/holds/%s", h.ID), bob.AccessToken, nil).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
		ts.Do(t, "DELETE", path("/holds/%s", h.ID), bob.AccessToken, nil).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		ts.Do(t, "GET", path("/holds/%s", h.ID), "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("ErrGarbageID", func(t *testing.T) {
		for _, id := range []string{"x", boxoffice.NewID(), boxoffice.NewID() + ".x", "." + boxoffice.NewID()} {
			ts.Do(t, "GET", path("/holds/%s", id), ann.AccessToken, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		}
		ts.Do(t, "GET", path("/holds/%s", boxoffice.NewHoldID(st)), ann.AccessToken, nil).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("Release", func(t *testing.T) {
		ts.Do(t, "DELETE", path("/holds/%s", h.ID), ann.AccessToken, nil).Decode(t, http.StatusNoContent, nil)
		ts.Do(t, "DELETE", path("/holds/%s", h.ID), ann.AccessToken, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Hold(t, bob.AccessToken, st, "A1")
	})
	t.Run("Expired", func(t *testing.T) {
		h := ts.Hold(t, ann.AccessToken, st, "A9")
		ts.Clock.Advance(boxoffice.HoldTTLDefault)
		ts.Do(t, "GET", path("/holds/%s", h.ID), ann.AccessToken, nil).RequireError(t, http.StatusGone, boxoffice.EGONE)
	})
}

// TestBookings proves the booking flow end to end: book a hold, see it,
// replay it idempotently, list it, cancel it twice, and the errors.
func TestBookings(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	ann, annTok := ts.Register(t, "ann")
	_, bob := ts.Register(t, "bob")
	tok := annTok.AccessToken
	h := ts.Hold(t, tok, f.Showtime.ID, "A1", "A2")

	body := bookingBody(h.ID, "tok_visa")
	var b boxoffice.Booking
	ts.Do(t, "POST", "/api/v1/bookings", tok, body, "Idempotency-Key", "key-1").Decode(t, http.StatusCreated, &b)
	assert.Equal(t, boxoffice.BookingConfirmed, b.Status)
	assert.Equal(t, f.Showtime.ID, b.ShowtimeID)
	assert.Equal(t, []string{"A1", "A2"}, b.Seats)
	assert.EqualValues(t, 2400, b.TotalCents)
	assert.Equal(t, "EUR", b.Currency)
	require.NotNil(t, b.Payment)
	assert.Equal(t, boxoffice.PaymentCaptured, b.Payment.Status)
	assert.Equal(t, ann.ID, b.UserID)

	t.Run("IdempotentReplay", func(t *testing.T) {
		var again boxoffice.Booking
		reformatted := `{ "payment": {"token": "tok_visa", "method": "card"}, "hold_id": "` + h.ID + `" }`
		ts.Do(t, "POST", "/api/v1/bookings", tok, reformatted, "Idempotency-Key", "key-1").Decode(t, http.StatusCreated, &again)
		assert.Equal(t, b.ID, again.ID)
	})
	t.Run("ErrIdempotencyKeyOtherBody", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h.ID, "tok_other"), "Idempotency-Key", "key-1").
			RequireError(t, http.StatusConflict, boxoffice.ECONFLICT)
	})
	t.Run("ErrIdempotencyKeyTooLong", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/bookings", tok, body, "Idempotency-Key", strings.Repeat("k", 256)).
			RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	})
	t.Run("Get", func(t *testing.T) {
		var got boxoffice.Booking
		ts.Do(t, "GET", path("/bookings/%s", b.ID), tok, nil).Decode(t, http.StatusOK, &got)
		assert.Equal(t, b.ID, got.ID)
		ts.Do(t, "GET", path("/bookings/%s", b.ID), admin, nil).Decode(t, http.StatusOK, &got)
		ts.Do(t, "GET", path("/bookings/%s", b.ID), bob.AccessToken, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "GET", path("/bookings/%s", "nope"), tok, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		h2 := ts.Hold(t, tok, f.Showtime.ID, "B1")
		var b2 boxoffice.Booking
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h2.ID, "tok_visa")).Decode(t, http.StatusCreated, &b2)
		var l struct {
			Items      []boxoffice.Booking `json:"items"`
			NextCursor string              `json:"next_cursor"`
		}
		ts.Do(t, "GET", "/api/v1/bookings?limit=1", tok, nil).Decode(t, http.StatusOK, &l)
		require.Len(t, l.Items, 1)
		assert.Equal(t, b2.ID, l.Items[0].ID)
		require.NotEmpty(t, l.NextCursor)
		ts.Do(t, "GET", "/api/v1/bookings?limit=1&cursor="+l.NextCursor, tok, nil).Decode(t, http.StatusOK, &l)
		require.Len(t, l.Items, 1)
		assert.Equal(t, b.ID, l.Items[0].ID)
		ts.Do(t, "GET", "/api/v1/bookings", bob.AccessToken, nil).Decode(t, http.StatusOK, &l)
		assert.Empty(t, l.Items)
	})
	t.Run("CancelTwice", func(t *testing.T) {
		for range 2 {
			var c boxoffice.Booking
			ts.Do(t, "POST", path("/bookings/%s/cancel", b.ID), tok, nil).Decode(t, http.StatusOK, &c)
			assert.Equal(t, boxoffice.BookingCancelled, c.Status)
			assert.Equal(t, boxoffice.PaymentRefunded, c.Payment.Status)
		}
		ts.Do(t, "POST", path("/bookings/%s/cancel", b.ID), bob.AccessToken, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Hold(t, bob.AccessToken, f.Showtime.ID, "A1") // the seat is free again
	})
}

// TestBookingErrors proves the saga's failures come back with their codes.
func TestBookingErrors(t *testing.T) {
	ts := MustOpenServer(t)
	f := ts.Fixture(t, ts.Admin(t))
	_, ann := ts.Register(t, "ann")
	_, bob := ts.Register(t, "bob")
	tok := ann.AccessToken

	t.Run("ErrDeclined", func(t *testing.T) {
		h := ts.Hold(t, tok, f.Showtime.ID, "A1")
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h.ID, "tok_decline")).RequireError(t, http.StatusUnprocessableEntity, boxoffice.EUNPROCESSABLE)
		ts.Do(t, "GET", path("/holds/%s", h.ID), tok, nil).Decode(t, http.StatusOK, nil) // the hold stays
	})
	t.Run("ErrSomeoneElsesHold", func(t *testing.T) {
		h := ts.Hold(t, tok, f.Showtime.ID, "A2")
		ts.Do(t, "POST", "/api/v1/bookings", bob.AccessToken, bookingBody(h.ID, "tok_visa")).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	})
	t.Run("ErrHoldExpired", func(t *testing.T) {
		h := ts.Hold(t, tok, f.Showtime.ID, "A3")
		ts.Clock.Advance(boxoffice.HoldTTLDefault + time.Second)
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h.ID, "tok_visa")).RequireError(t, http.StatusGone, boxoffice.EGONE)
	})
	for name, body := range map[string]any{
		"ErrNoHold":      map[string]any{"payment": map[string]string{"method": "card", "token": "tok_visa"}},
		"ErrMethod":      bookingBody(boxoffice.NewHoldID(f.Showtime.ID), "tok_visa"),
		"ErrNoToken":     map[string]any{"hold_id": boxoffice.NewHoldID(f.Showtime.ID), "payment": map[string]string{"method": "card"}},
		"ErrPaymentType": map[string]any{"hold_id": boxoffice.NewHoldID(f.Showtime.ID), "payment": "card"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "ErrMethod" {
				body.(map[string]any)["payment"] = map[string]string{"method": "cash", "token": "x"}
			}
			ts.Do(t, "POST", "/api/v1/bookings", tok, body).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		})
	}
	t.Run("ErrUnknownHold", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody("garbage", "tok_visa")).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(boxoffice.NewHoldID(f.Showtime.ID), "tok_visa")).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("ErrCancelAfterStart", func(t *testing.T) {
		h := ts.Hold(t, tok, f.Showtime.ID, "B1")
		var b boxoffice.Booking
		ts.Do(t, "POST", "/api/v1/bookings", tok, bookingBody(h.ID, "tok_visa")).Decode(t, http.StatusCreated, &b)
		ts.Clock.Advance(3 * time.Hour)
		tok := ts.Login(t, "ann@example.com", testPassword).AccessToken // the old one expired
		ts.Do(t, "POST", path("/bookings/%s/cancel", b.ID), tok, nil).RequireError(t, http.StatusConflict, boxoffice.ECONFLICT)
	})
}

// TestNotifications proves a user sees their own notifications, newest
// first, including those of a showtime an admin cancelled.
func TestNotifications(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	_, ann := ts.Register(t, "ann")
	_, bob := ts.Register(t, "bob")
	h := ts.Hold(t, ann.AccessToken, f.Showtime.ID, "A1")
	var b boxoffice.Booking
	ts.Do(t, "POST", "/api/v1/bookings", ann.AccessToken, bookingBody(h.ID, "tok_visa")).Decode(t, http.StatusCreated, &b)
	ts.Clock.Advance(time.Second)
	ts.Do(t, "DELETE", path("/showtimes/%s", f.Showtime.ID), admin, nil).Decode(t, http.StatusOK, nil)

	var l struct {
		Items []boxoffice.Notification `json:"items"`
	}
	ts.Do(t, "GET", "/api/v1/notifications", ann.AccessToken, nil).Decode(t, http.StatusOK, &l)
	require.Len(t, l.Items, 2)
	assert.Equal(t, boxoffice.NotifyShowtimeCancelled, l.Items[0].Kind)
	assert.Equal(t, boxoffice.NotifyBookingConfirmed, l.Items[1].Kind)
	assert.Equal(t, b.ID, l.Items[1].BookingID)

	ts.Do(t, "GET", "/api/v1/bookings/"+b.ID, ann.AccessToken, nil).Decode(t, http.StatusOK, &b)
	assert.Equal(t, boxoffice.BookingCancelled, b.Status)
	ts.Do(t, "GET", "/api/v1/notifications", bob.AccessToken, nil).Decode(t, http.StatusOK, &l)
	assert.Empty(t, l.Items)
	ts.Do(t, "GET", "/api/v1/notifications?limit=abc", bob.AccessToken, nil).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	ts.Do(t, "GET", "/api/v1/notifications", "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Do(t, "POST", path("/showtimes/%s/holds", f.Showtime.ID), bob.AccessToken, map[string]any{"seats": []string{"A2"}}).
		RequireError(t, http.StatusConflict, boxoffice.ECONFLICT)
}
