package main_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

type errorJSON struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// TestBookingFlow walks the README's booking flow against the real binary
// on the embedded store: register, browse, hold, pay, confirm, notify,
// cancel with refund, and a clean SIGTERM stop.
func TestBookingFlow(t *testing.T) {
	n := startNode(t, t.TempDir())
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "AB", 5)

	alice := registerUser(t, n.URL, "alice@example.com")
	bob := registerUser(t, n.URL, "bob@example.com")

	var seatMap struct {
		ShowtimeID string `json:"showtime_id"`
		Seats      []struct {
			ID, Status string
		} `json:"seats"`
	}
	anon := newClient(t, n.URL)
	anon.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
	require.Len(t, seatMap.Seats, 10)

	var hold struct {
		HoldID     string    `json:"hold_id"`
		Seats      []string  `json:"seats"`
		ExpiresAt  time.Time `json:"expires_at"`
		TotalCents int64     `json:"total_cents"`
		Currency   string    `json:"currency"`
	}
	alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1", "A2"}}, &hold)
	require.Equal(t, int64(2000), hold.TotalCents)
	require.Equal(t, "EUR", hold.Currency)
	require.True(t, hold.ExpiresAt.After(time.Now()))

	t.Run("ErrSeatTaken", func(t *testing.T) {
		var e errorJSON
		bob.must(409, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A2", "A3"}}, &e)
		require.Equal(t, "conflict", e.Error.Code)
		require.Equal(t, []any{"A2"}, e.Error.Details["unavailable"])
	})
	t.Run("SomeoneElsesHold", func(t *testing.T) {
		code, err := bob.do("GET", "/api/v1/holds/"+hold.HoldID, nil, nil)
		require.NoError(t, err)
		require.Contains(t, []int{403, 404}, code)
	})
	t.Run("PaymentDeclinedKeepsHold", func(t *testing.T) {
		var e errorJSON
		alice.must(422, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
			"payment": map[string]string{"method": "card", "token": "tok_decline"}}, &e)
		require.Equal(t, "unprocessable", e.Error.Code)
		alice.must(200, "GET", "/api/v1/holds/"+hold.HoldID, nil, nil)
	})

	var booking bookingJSON
	key := boxoffice.NewID()
	body := map[string]any{"hold_id": hold.HoldID, "payment": map[string]string{"method": "card", "token": "tok_visa"}}
	alice.must(201, "POST", "/api/v1/bookings", body, &booking, "Idempotency-Key", key)
	require.Equal(t, "confirmed", booking.Status)
	require.Equal(t, "captured", booking.Payment.Status)
	require.ElementsMatch(t, []string{"A1", "A2"}, booking.Seats)

	t.Run("IdempotentRetry", func(t *testing.T) {
		var again bookingJSON
		code, err := alice.do("POST", "/api/v1/bookings", body, &again, "Idempotency-Key", key)
		require.NoError(t, err)
		require.Contains(t, []int{200, 201}, code)
		require.Equal(t, booking.ID, again.ID)
		var e errorJSON
		other := map[string]any{"hold_id": hold.HoldID, "payment": map[string]string{"method": "card", "token": "tok_decline"}}
		alice.must(409, "POST", "/api/v1/bookings", other, &e, "Idempotency-Key", key)
	})
	t.Run("SeatsBooked", func(t *testing.T) {
		anon.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
		for _, s := range seatMap.Seats {
			if s.ID == "A1" || s.ID == "A2" {
				require.Equal(t, "booked", s.Status, s.ID)
			}
		}
	})
	t.Run("OthersCannotSeeBooking", func(t *testing.T) {
		code, err := bob.do("GET", "/api/v1/bookings/"+booking.ID, nil, nil)
		require.NoError(t, err)
		require.Contains(t, []int{403, 404}, code)
		admin.must(200, "GET", "/api/v1/bookings/"+booking.ID, nil, nil)
	})
	t.Run("ConfirmationNotified", func(t *testing.T) {
		waitNotification(t, alice, "booking_confirmed", booking.ID)
	})

	var cancelled bookingJSON
	alice.must(200, "POST", "/api/v1/bookings/"+booking.ID+"/cancel", nil, &cancelled)
	require.Equal(t, "cancelled", cancelled.Status)
	require.Equal(t, "refunded", cancelled.Payment.Status)
	alice.must(200, "POST", "/api/v1/bookings/"+booking.ID+"/cancel", nil, &cancelled)
	require.Equal(t, "cancelled", cancelled.Status)
	anon.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
	for _, s := range seatMap.Seats {
		require.Equal(t, "free", s.Status, s.ID)
	}
	waitNotification(t, alice, "booking_cancelled", booking.ID)

	require.NoError(t, n.Stop(10*time.Second), "clean stop on SIGTERM:\n%s", n.Output())
}

func waitNotification(t *testing.T, c *client, kind, bookingID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var page struct {
			Items []struct {
				Kind        string     `json:"kind"`
				BookingID   string     `json:"booking_id"`
				DeliveredAt *time.Time `json:"delivered_at"`
			} `json:"items"`
		}
		c.must(200, "GET", "/api/v1/notifications", nil, &page)
		for _, n := range page.Items {
			if n.Kind == kind && n.BookingID == bookingID && n.DeliveredAt != nil {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no delivered %s notification for booking %s", kind, bookingID)
}
