package main_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDebugClockJumpsAroundHoldExpiry is the fault harness's clock jump
// against the real binary: a node started with --debug-clock holds a seat,
// its clock is stepped past the hold's deadline through the debug
// listener, and the booking of that hold is refused; stepped back an hour,
// the hold stays expired and its seat goes to another buyer once.
func TestDebugClockJumpsAroundHoldExpiry(t *testing.T) {
	debugAddr := freeAddr(t)
	n := startNode(t, t.TempDir(), "BOXOFFICE_DEBUG_ADDR="+debugAddr, "BOXOFFICE_DEBUG_CLOCK=true", "BOXOFFICE_HOLD_TTL=10m")
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	st := setupShowtime(t, admin, "A", 3)
	alice := registerUser(t, n.URL, "alice@example.com")
	bob := registerUser(t, n.URL, "bob@example.com")
	debug := newClient(t, "http://"+debugAddr)
	jump := func(offset string) {
		t.Helper()
		var clock struct{ Offset, Now string }
		debug.must(200, "POST", "/debug/clock?offset="+offset, nil, &clock)
		require.NotEmpty(t, clock.Now)
		var again struct{ Offset string }
		debug.must(200, "GET", "/debug/clock", nil, &again)
		require.Equal(t, clock.Offset, again.Offset)
	}

	var hold struct {
		HoldID string `json:"hold_id"`
	}
	alice.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1"}}, &hold)

	jump("11m")
	var e errorJSON
	alice.must(410, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &e)
	require.Equal(t, "gone", e.Error.Code)

	jump("-1h")
	// Tokens issued an hour "later" than the node's time now are refused
	// (5 s of leeway), as they would be after a real step back: log in anew.
	bob.must(401, "GET", "/api/v1/holds/"+hold.HoldID, nil, nil)
	alice.login("alice@example.com", "password-123")
	bob.login("bob@example.com", "password-123")
	alice.must(410, "GET", "/api/v1/holds/"+hold.HoldID, nil, nil)
	var taken struct {
		HoldID string `json:"hold_id"`
	}
	bob.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1"}}, &taken)
	alice.must(409, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{"A1"}}, nil)
	var booking bookingJSON
	bob.must(201, "POST", "/api/v1/bookings", map[string]any{"hold_id": taken.HoldID,
		"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &booking)
	require.Equal(t, "confirmed", booking.Status)
	var seats struct {
		Seats []struct{ ID, Status string } `json:"seats"`
	}
	alice.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seats)
	for _, s := range seats.Seats {
		want := map[string]string{"A1": "booked"}[s.ID]
		if want == "" {
			want = "free"
		}
		require.Equal(t, want, s.Status, s.ID)
	}

	debug.must(400, "POST", "/debug/clock?offset=48h", nil, &map[string]string{})
	out := n.Output()
	require.Contains(t, out, "the debug clock is on")
	require.Contains(t, out, "Debug clock (development only)")
	require.Contains(t, out, `msg="debug clock moved`)
	require.Contains(t, out, "offset=-1h0m0s was=11m0s")
}
