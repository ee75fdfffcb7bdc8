package main_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

// TestKillDuringShowtimeCancelFinishedByRecovery kills the node with
// SIGKILL in the middle of an admin's DELETE /showtimes/{id} over 120
// confirmed bookings (some already cancelled, most not), restarts it on the
// same data directory and never repeats the request: recovery alone must
// end every booking cancelled with its payment refunded and exactly one
// showtime_cancelled notification, the showtime cancelled, every seat free,
// and no payment left captured.
func TestKillDuringShowtimeCancelFinishedByRecovery(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	const rows, perRow, buyers = "ABCDEF", 20, 12
	st := setupShowtime(t, admin, rows, perRow)
	seats := seatIDs(rows, perRow)

	users := make([]*client, buyers)
	for i := range users {
		users[i] = registerUser(t, n.URL, fmt.Sprintf("fan%d@example.com", i))
	}
	var (
		mu     sync.Mutex
		booked = map[string]int{} // booking ID -> buyer
		wg     sync.WaitGroup
	)
	for i, u := range users {
		wg.Go(func() {
			for k := i; k < len(seats); k += buyers {
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				u.must(201, "POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seats[k]}}, &hold)
				var b bookingJSON
				u.must(201, "POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
					"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &b)
				mu.Lock()
				booked[b.ID] = i
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, booked, len(seats))

	// The DELETE runs until the kill cuts it off; its answer is not awaited.
	go func() { _, _ = admin.do("DELETE", "/api/v1/showtimes/"+st, nil, nil) }()
	const done = `msg="booking cancelled"`
	var cancelledAtKill int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cancelledAtKill = strings.Count(n.Output(), done); cancelledAtKill >= 10 {
			break
		}
	}
	n.Kill()
	t.Logf("killed the node with %d of %d bookings cancelled", cancelledAtKill, len(booked))
	require.Positive(t, cancelledAtKill, "no booking was cancelled before the kill:\n%s", tail(n.Output(), 3000))
	require.Less(t, cancelledAtKill, len(booked), "the cancellation finished before the kill: the test proved nothing")

	n2 := startNode(t, dir)
	start := time.Now()
	admin.base = n2.URL
	var show struct {
		Status string `json:"status"`
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		admin.must(200, "GET", "/api/v1/showtimes/"+st, nil, &show)
		if show.Status == boxoffice.ShowtimeCancelled {
			break
		}
		require.True(t, time.Now().Before(deadline), "showtime still %s 60s after the restart:\n%s", show.Status, tail(n2.Output(), 3000))
	}
	t.Logf("recovery finished the cancellation %v after the restart", time.Since(start).Round(time.Millisecond))

	byID := waitSettled(t, n2.URL, users)
	for id, buyer := range booked {
		b, ok := byID[id]
		require.True(t, ok, "booking %s is gone", id)
		require.Equal(t, boxoffice.BookingCancelled, b.Status, "booking %s", id)
		require.Equal(t, boxoffice.PaymentRefunded, b.Payment.Status, "payment of booking %s", id)
		notes := notificationsOf(t, users[buyer])
		require.Equal(t, 1, notes[id+"/"+boxoffice.NotifyShowtimeCancelled], "showtime_cancelled notifications of booking %s", id)
	}
	var seatMap struct {
		Seats []struct{ ID, Status string } `json:"seats"`
	}
	admin.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
	for _, s := range seatMap.Seats {
		require.Equal(t, "free", s.Status, "seat %s", s.ID)
	}
	require.NoError(t, n2.Stop(15*time.Second))
	checkAllRefunded(t, dir, len(booked))
}

// notificationsOf counts a user's notifications by "booking ID/kind".
func notificationsOf(t *testing.T, c *client) map[string]int {
	t.Helper()
	var page struct {
		Items []struct {
			Kind      string `json:"kind"`
			BookingID string `json:"booking_id"`
		} `json:"items"`
		Next string `json:"next_cursor"`
	}
	c.must(200, "GET", "/api/v1/notifications?limit=200", nil, &page)
	require.Less(t, len(page.Items), 200, "more notifications than one page")
	out := map[string]int{}
	for _, n := range page.Items {
		out[n.BookingID+"/"+n.Kind]++
	}
	return out
}

// checkAllRefunded opens the stopped node's payment store: every one of
// the want payments is refunded, none is captured or pending.
func checkAllRefunded(t *testing.T, dir string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sqlite.Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	for _, status := range []string{boxoffice.PaymentCaptured, boxoffice.PaymentPending} {
		ps, err := s.Payments.PaymentsByStatus(ctx, status, 10000)
		require.NoError(t, err)
		require.Empty(t, ps, "%s payments after recovery", status)
	}
	ps, err := s.Payments.PaymentsByStatus(ctx, boxoffice.PaymentRefunded, 10000)
	require.NoError(t, err)
	require.Len(t, ps, want, "refunded payments")
}
