package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// holdAnswer is what POST /showtimes/{id}/holds answered.
type holdAnswer struct {
	code       int
	retryAfter string
	holdID     string
	err        errorJSON
}

// holdRaw posts a hold as c and keeps the status and Retry-After header
// with the body.
func holdRaw(t *testing.T, c *client, st string, seats ...string) holdAnswer {
	t.Helper()
	body, err := json.Marshal(map[string]any{"seats": seats})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), "POST", c.base+"/api/v1/showtimes/"+st+"/holds", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	a := holdAnswer{code: res.StatusCode, retryAfter: res.Header.Get("Retry-After")}
	if res.StatusCode >= 400 {
		require.NoError(t, json.NewDecoder(res.Body).Decode(&a.err))
		return a
	}
	var h struct {
		HoldID string `json:"hold_id"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&h))
	a.holdID = h.HoldID
	return a
}

// TestSeatSpinningRefused is the seat spinning attack against a running
// node with its default caps: one account tries to hold a whole showtime
// ten seats at a time, then a seat of every showtime, then to renew a hold
// by releasing and holding it again. It gets 10 seats of a showtime, 4
// open holds, and a cool-down answered 429 with Retry-After, while
// another account holds and buys the seats it let go.
func TestSeatSpinningRefused(t *testing.T) {
	n := startNode(t, t.TempDir(), "BOXOFFICE_HOLD_CAPS=on")
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	cat := newCatalog(t, admin, "ABCDE", 10)
	var shows []string
	for range 6 {
		shows = append(shows, cat.showtime())
	}
	bot := registerUser(t, n.URL, "bot@example.com")
	fan := registerUser(t, n.URL, "fan@example.com")

	var first string // the bot's hold in the first showtime
	held := 0
	for _, row := range "ABCDE" {
		a := holdRaw(t, bot, shows[0], seatIDs(string(row), 10)...)
		if a.code == 201 {
			first, held = a.holdID, held+10
			continue
		}
		require.Equal(t, 409, a.code, "hold of row %c: %+v", row, a.err)
		require.Equal(t, "seat_cap", a.err.Error.Details["reason"])
		require.EqualValues(t, 10, a.err.Error.Details["limit"])
	}
	require.Equal(t, 10, held, "one account holds at most 10 seats of a showtime")

	open := 1
	for _, st := range shows[1:] {
		a := holdRaw(t, bot, st, "A1")
		if a.code == 201 {
			open++
			continue
		}
		require.Equal(t, 409, a.code, "%+v", a.err)
		require.Equal(t, "hold_cap", a.err.Error.Details["reason"])
	}
	require.Equal(t, 4, open, "one account keeps at most 4 open holds")
	fan.must(201, "POST", "/api/v1/showtimes/"+shows[5]+"/holds", map[string]any{"seats": []string{"A1", "A2"}}, nil)

	bot.must(204, "DELETE", "/api/v1/holds/"+first, nil, nil)
	a := holdRaw(t, bot, shows[0], "A1", "A2")
	require.Equal(t, 429, a.code, "re-hold right after release: %+v", a.err)
	require.Equal(t, "cooldown", a.err.Error.Details["reason"])
	secs, err := strconv.Atoi(a.retryAfter)
	require.NoError(t, err, "Retry-After %q", a.retryAfter)
	require.True(t, secs >= 1 && secs <= 30, "Retry-After %d, want 1-30 (the default cool-down)", secs)
	require.EqualValues(t, secs, a.err.Error.Details["retry_after_seconds"])
	require.Equal(t, 201, holdRaw(t, bot, shows[0], "E1").code, "other seats are not cooling down")

	won := holdRaw(t, fan, shows[0], "A1", "A2")
	require.Equal(t, 201, won.code, "another account takes the released seats: %+v", won.err)
	var booking bookingJSON
	fan.must(201, "POST", "/api/v1/bookings", map[string]any{"hold_id": won.holdID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &booking, "Idempotency-Key", boxoffice.NewID())
	require.Equal(t, "confirmed", booking.Status)
}
