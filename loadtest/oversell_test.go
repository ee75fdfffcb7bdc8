package loadtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/loadtest"
)

// TestAuditCatchesOverselling runs a flash sale against a fake server
// that speaks the API but grants every hold, so seats are sold twice, and
// checks that the whole harness (recording, collection, audit) fails the
// run on it: the planted double bookings are found both in the end state
// and in the seat histories.
func TestAuditCatchesOverselling(t *testing.T) {
	srv := httptest.NewServer(newOverseller())
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioFlashSale,
		Duration: time.Second, Connections: 8, Seats: 5, Users: 4, AdminEmail: "admin@example.com", AdminPassword: "x"})
	require.NoError(t, err)
	require.False(t, r.Invariants.OK)
	checks := checksByName(r.Invariants.Checks)
	t.Logf("%s: %s", loadtest.CheckNoSeatInTwoBookings, checks[loadtest.CheckNoSeatInTwoBookings].Detail)
	t.Logf("%s: %s", loadtest.CheckLinearizableSeats, checks[loadtest.CheckLinearizableSeats].Detail)
	require.False(t, checks[loadtest.CheckNoSeatInTwoBookings].OK, checks[loadtest.CheckNoSeatInTwoBookings].Detail)
	require.False(t, checks[loadtest.CheckLinearizableSeats].OK, checks[loadtest.CheckLinearizableSeats].Detail)
	// Every sale was paid for: the statuses agree. The API does not show
	// the amounts, so the sums are not compared and the check is not ok.
	money := checks[loadtest.CheckMoneyBalances]
	require.NotEqual(t, loadtest.StatusFailed, money.Status, "every sale was paid for: %s", money.Detail)
	require.Equal(t, loadtest.StatusInconclusive, money.Status, money.Detail)
}

// overseller is a fake boxoffice with a seat-map bug: a hold never checks
// whether its seats are taken. Tokens are the user IDs.
type overseller struct {
	mu       sync.Mutex
	n        int
	seats    []string
	booked   map[string]map[string]bool // showtime -> seat -> booked
	holds    map[string][]string        // hold -> showtime, seats...
	bookings map[string]map[string]any  // by ID
	byUser   map[string][]string
}

func newOverseller() http.Handler {
	o := &overseller{booked: map[string]map[string]bool{}, holds: map[string][]string{},
		bookings: map[string]map[string]any{}, byUser: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/register", func(w http.ResponseWriter, r *http.Request) { o.reply(w, 201, map[string]any{"id": o.id("u")}) })
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email string }
		json.NewDecoder(r.Body).Decode(&in)
		o.reply(w, 200, map[string]any{"access_token": in.Email, "refresh_token": "r", "expires_in": 900})
	})
	mux.HandleFunc("POST /api/v1/movies", func(w http.ResponseWriter, r *http.Request) { o.reply(w, 201, map[string]any{"id": o.id("m")}) })
	mux.HandleFunc("POST /api/v1/cinemas", o.cinema)
	mux.HandleFunc("POST /api/v1/showtimes", func(w http.ResponseWriter, r *http.Request) {
		id := o.id("st")
		o.mu.Lock()
		o.booked[id] = map[string]bool{}
		o.mu.Unlock()
		o.reply(w, 201, map[string]any{"id": id})
	})
	mux.HandleFunc("GET /api/v1/showtimes/{id}/seats", o.seatMap)
	mux.HandleFunc("POST /api/v1/showtimes/{id}/holds", o.hold)
	mux.HandleFunc("POST /api/v1/bookings", o.book)
	mux.HandleFunc("GET /api/v1/bookings", o.list)
	mux.HandleFunc("GET /api/v1/bookings/{id}", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		b := o.bookings[r.PathValue("id")]
		o.mu.Unlock()
		o.reply(w, 200, b)
	})
	return mux
}

func (o *overseller) id(prefix string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n++
	return fmt.Sprintf("%s%d", prefix, o.n)
}

func (o *overseller) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (o *overseller) cinema(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Halls []struct {
			Rows []struct {
				Row   string
				Seats int
			}
		}
	}
	json.NewDecoder(r.Body).Decode(&in)
	o.mu.Lock()
	for _, row := range in.Halls[0].Rows {
		for i := 1; i <= row.Seats; i++ {
			o.seats = append(o.seats, fmt.Sprintf("%s%d", row.Row, i))
		}
	}
	o.mu.Unlock()
	o.reply(w, 201, map[string]any{"halls": []any{map[string]any{"id": o.id("hall")}}})
}

func (o *overseller) seatMap(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	var seats []map[string]any
	for _, s := range o.seats {
		st := "free"
		if o.booked[r.PathValue("id")][s] {
			st = "booked"
		}
		seats = append(seats, map[string]any{"id": s, "status": st})
	}
	o.mu.Unlock()
	o.reply(w, 200, map[string]any{"seats": seats})
}

// hold grants every hold: the bug.
func (o *overseller) hold(w http.ResponseWriter, r *http.Request) {
	var in struct{ Seats []string }
	json.NewDecoder(r.Body).Decode(&in)
	id := o.id("h")
	o.mu.Lock()
	o.holds[id] = append([]string{r.PathValue("id")}, in.Seats...)
	o.mu.Unlock()
	o.reply(w, 201, map[string]any{"hold_id": id, "expires_at": time.Now().Add(time.Hour)})
}

func (o *overseller) book(w http.ResponseWriter, r *http.Request) {
	var in struct {
		HoldID string `json:"hold_id"`
	}
	json.NewDecoder(r.Body).Decode(&in)
	id, user := o.id("b"), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	o.mu.Lock()
	h := o.holds[in.HoldID]
	for _, s := range h[1:] {
		o.booked[h[0]][s] = true
	}
	b := map[string]any{"id": id, "status": "confirmed", "showtime_id": h[0], "seats": h[1:],
		"total_cents": 1200 * len(h[1:]), "payment": map[string]any{"status": "captured"}}
	o.bookings[id] = b
	o.byUser[user] = append(o.byUser[user], id)
	o.mu.Unlock()
	o.reply(w, 201, b)
}

func (o *overseller) list(w http.ResponseWriter, r *http.Request) {
	user := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	o.mu.Lock()
	items := []any{}
	for _, id := range o.byUser[user] {
		items = append(items, o.bookings[id])
	}
	o.mu.Unlock()
	o.reply(w, 200, map[string]any{"items": items, "next_cursor": ""})
}
