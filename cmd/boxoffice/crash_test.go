package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

type bookingJSON struct {
	ID      string   `json:"id"`
	Status  string   `json:"status"`
	Seats   []string `json:"seats"`
	Payment struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"payment"`
}

// TestKillDuringBookingsLosesNothing proves that a crash loses no paid
// booking and sells no seat twice: buyers race for 40 seats, the process is
// killed with SIGKILL while requests are in flight, and a new process on the
// same data directory must show every booking that got a 201 as confirmed,
// every booked seat in exactly one confirmed booking, and no captured
// payment without a confirmed booking (interrupted sagas finished or
// refunded). The kill comes when about a third of the seats are sold, so
// bookings are mid-saga when it lands.
func TestKillDuringBookingsLosesNothing(t *testing.T) {
	dir := t.TempDir()
	// Twelve buyers from one address register and hold as fast as they can:
	// more than one client may.
	n := startNode(t, dir)
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	const rows, perRow = "ABCDEFGHIJ", 20
	st := setupShowtime(t, admin, rows, perRow)
	seats := seatIDs(rows, perRow)

	const buyers = 12
	users := make([]*client, buyers)
	for i := range users {
		users[i] = registerUser(t, n.URL, fmt.Sprintf("buyer%d@example.com", i))
	}
	var (
		mu       sync.Mutex
		acked    = map[string][]string{} // booking ID -> seats, for every 201
		inFlight atomic.Int64            // bookings between request and answer
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	for i, u := range users {
		wg.Add(1)
		go func(u *client, seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			for k := 0; k < 500 && !stop.Load(); k++ {
				want := []string{seats[rng.IntN(len(seats))]}
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				code, err := u.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": want}, &hold)
				if err != nil || code != 201 {
					continue
				}
				var b bookingJSON
				inFlight.Add(1)
				code, err = u.do("POST", "/api/v1/bookings", map[string]any{"hold_id": hold.HoldID,
					"payment": map[string]string{"method": "card", "token": "tok_visa"}}, &b, "Idempotency-Key", boxoffice.NewID())
				inFlight.Add(-1)
				if err == nil && code == 201 {
					mu.Lock()
					acked[b.ID] = b.Seats
					mu.Unlock()
				}
			}
		}(u, uint64(i))
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		sold := len(acked)
		mu.Unlock()
		if sold >= len(seats)/3 {
			break
		}
	}
	mu.Lock()
	t.Logf("killing the node with %d bookings in flight, %d acknowledged", inFlight.Load(), len(acked))
	mu.Unlock()
	n.Kill()
	stop.Store(true)
	wg.Wait()
	require.NotEmpty(t, acked, "no booking succeeded before the crash: the test proved nothing")

	n2 := startNode(t, dir)
	byID := waitSettled(t, n2.URL, users)
	for id, want := range acked {
		b, ok := byID[id]
		require.True(t, ok, "acknowledged booking %s is gone after the crash", id)
		require.Equal(t, boxoffice.BookingConfirmed, b.Status, "acknowledged booking %s", id)
		require.ElementsMatch(t, want, b.Seats)
	}
	owner := map[string]string{}
	for _, b := range byID {
		if b.Status != boxoffice.BookingConfirmed {
			continue
		}
		for _, s := range b.Seats {
			require.Empty(t, owner[s], "seat %s is in bookings %s and %s", s, owner[s], b.ID)
			owner[s] = b.ID
		}
	}
	var seatMap struct {
		Seats []struct{ ID, Status string } `json:"seats"`
	}
	admin.base = n2.URL
	admin.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
	for _, s := range seatMap.Seats {
		if s.Status == "booked" {
			require.NotEmpty(t, owner[s.ID], "seat %s shows booked without a confirmed booking", s.ID)
		} else {
			require.Empty(t, owner[s.ID], "seat %s of booking %s shows %s", s.ID, owner[s.ID], s.Status)
		}
	}
	require.NoError(t, n2.Stop(15*time.Second))
	checkMoney(t, dir, byID)
	t.Logf("after restart: %d bookings acknowledged before the crash, %d confirmed, %d seats booked", len(acked), countStatus(byID, "confirmed"), len(owner))
}

// waitSettled lists every user's bookings until none is pending any more
// (the restarted node finishes interrupted sagas).
func waitSettled(t *testing.T, base string, users []*client) map[string]bookingJSON {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := map[string]bookingJSON{}
		pending := 0
		for _, u := range users {
			u.base = base
			var page struct {
				Items []bookingJSON `json:"items"`
			}
			u.must(200, "GET", "/api/v1/bookings?limit=200", nil, &page)
			for _, b := range page.Items {
				all[b.ID] = b
				if b.Status == boxoffice.BookingPending || b.Status == boxoffice.BookingCancelling {
					pending++
				}
			}
		}
		if pending == 0 {
			return all
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bookings still pending 30s after restart", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkMoney opens the stopped node's payment store: every captured
// payment belongs to a confirmed booking; every other booking's payment is
// declined or refunded.
func checkMoney(t *testing.T, dir string, bookings map[string]bookingJSON) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := sqlite.Open(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	for _, status := range []string{boxoffice.PaymentCaptured, boxoffice.PaymentPending} {
		ps, err := s.Payments.PaymentsByStatus(ctx, status, 10000)
		require.NoError(t, err)
		for _, p := range ps {
			require.NotEqual(t, boxoffice.PaymentPending, p.Status, "payment %s still pending after recovery", p.ID)
			b, ok := bookings[p.BookingID]
			require.True(t, ok, "captured payment %s has no booking", p.ID)
			require.Equal(t, boxoffice.BookingConfirmed, b.Status, "captured payment %s belongs to a %s booking", p.ID, b.Status)
		}
	}
}

func countStatus(m map[string]bookingJSON, status string) int {
	n := 0
	for _, b := range m {
		if b.Status == status {
			n++
		}
	}
	return n
}

// TestKillDuringHoldsOverManyShowtimesLosesNothing kills the node with
// SIGKILL while 24 clients hold seats spread over 30 showtimes, so that
// the journal committer's writes in flight carry many showtimes each. A
// new process on the same data must show every hold that got a 201 (its
// seat held, the hold readable by its owner), and no seat may have been
// granted to two holds.
func TestKillDuringHoldsOverManyShowtimesLosesNothing(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "BOXOFFICE_HOLD_TTL=1h")
	admin := newClient(t, n.URL)
	admin.login(testAdminEmail, testAdminPassword)
	const rows, perRow, showtimes, clients = "AB", 10, 30, 24
	cat := newCatalog(t, admin, rows, perRow)
	ids := make([]string, showtimes)
	for i := range ids {
		ids[i] = cat.showtime()
	}
	seats := seatIDs(rows, perRow)
	users := make([]*client, clients)
	for i := range users {
		users[i] = registerUser(t, n.URL, fmt.Sprintf("holder%d@example.com", i))
	}
	type ackedHold struct {
		user           int
		showtime, seat string
	}
	var (
		mu      sync.Mutex
		acked   = map[string]ackedHold{} // hold ID -> what was granted
		granted = map[string]string{}    // showtime/seat -> hold ID
		doubled []string
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	for i, u := range users {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 13))
			for k := 0; k < 2000 && !stop.Load(); k++ {
				st, seat := ids[rng.IntN(len(ids))], seats[rng.IntN(len(seats))]
				var hold struct {
					HoldID string `json:"hold_id"`
				}
				code, err := u.do("POST", "/api/v1/showtimes/"+st+"/holds", map[string]any{"seats": []string{seat}}, &hold)
				if err != nil || code != 201 {
					continue
				}
				mu.Lock()
				if other, ok := granted[st+"/"+seat]; ok {
					doubled = append(doubled, fmt.Sprintf("%s/%s in holds %s and %s", st, seat, other, hold.HoldID))
				}
				granted[st+"/"+seat] = hold.HoldID
				acked[hold.HoldID] = ackedHold{user: i, showtime: st, seat: seat}
				mu.Unlock()
			}
		})
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		held := len(acked)
		mu.Unlock()
		if held >= showtimes*len(seats)/4 {
			break
		}
	}
	n.Kill()
	stop.Store(true)
	wg.Wait()
	require.Empty(t, doubled, "seats granted twice")
	require.NotEmpty(t, acked, "no hold succeeded before the crash: the test proved nothing")
	t.Logf("killed the node with %d holds acknowledged over %d showtimes", len(acked), showtimes)

	n2 := startNode(t, dir, "BOXOFFICE_HOLD_TTL=1h")
	admin.base = n2.URL
	for _, st := range ids {
		var seatMap struct {
			Seats []struct{ ID, Status string } `json:"seats"`
		}
		admin.must(200, "GET", "/api/v1/showtimes/"+st+"/seats", nil, &seatMap)
		for _, s := range seatMap.Seats {
			if _, ok := granted[st+"/"+s.ID]; ok {
				require.Equal(t, "held", s.Status, "seat %s of showtime %s was acknowledged held", s.ID, st)
			}
		}
	}
	for id, h := range acked {
		u := users[h.user]
		u.base = n2.URL
		var got struct {
			ShowtimeID string   `json:"showtime_id"`
			Seats      []string `json:"seats"`
		}
		u.must(200, "GET", "/api/v1/holds/"+id, nil, &got)
		require.Equal(t, h.showtime, got.ShowtimeID, "hold %s", id)
		require.Equal(t, []string{h.seat}, got.Seats, "hold %s", id)
	}
	require.NoError(t, n2.Stop(15*time.Second))
}

// TestKillDuringHoldsOverManyShowtimesOnPostgres is the same kill -9 test
// on PostgreSQL, where one statement of the journal committer carries the
// holds of many showtimes; the restarted node loads every showtime's
// journal (a gap or a doubled seat would fail the load).
func TestKillDuringHoldsOverManyShowtimesOnPostgres(t *testing.T) {
	usePostgres(t)
	TestKillDuringHoldsOverManyShowtimesLosesNothing(t)
}
