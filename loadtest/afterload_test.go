package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice/loadtest"
)

// TestAfterLoadAndSavedHistory: DuringLoad runs beside the load and is
// waited for; AfterLoad runs once, after the load and before the audit, which reads through the targets it returns; and the
// exported history, checked again, gives the run's linearizability verdict
// (the fake server oversells, so both find the seats sold twice).
func TestAfterLoadAndSavedHistory(t *testing.T) {
	srv := httptest.NewServer(newOverseller())
	defer srv.Close()
	audit := httptest.NewServer(newOverseller()) // knows nothing: an audit through it would see no booking
	defer audit.Close()
	var calls atomic.Int32
	var loadOver, duringOver time.Time
	start := time.Now()
	r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioFlashSale,
		Duration: time.Second, Connections: 4, Seats: 5, Users: 2, AdminEmail: "admin@example.com", AdminPassword: "x",
		DuringLoad: func(context.Context) {
			time.Sleep(1500 * time.Millisecond) // longer than the load
			duringOver = time.Now()
		},
		AfterLoad: func(context.Context) ([]string, error) {
			calls.Add(1)
			loadOver = time.Now()
			return []string{srv.URL}, nil
		}})
	require.NoError(t, err)
	require.EqualValues(t, 1, calls.Load())
	require.GreaterOrEqual(t, loadOver.Sub(start), time.Second, "AfterLoad ran before the load ended")
	require.False(t, duringOver.IsZero() || duringOver.After(loadOver), "AfterLoad ran before DuringLoad returned")
	checks := checksByName(r.Invariants.Checks)
	require.False(t, checks[loadtest.CheckNoSeatInTwoBookings].OK)

	seats, _, _ := r.History.Export()
	require.NotEmpty(t, seats)
	again := loadtest.LinearizableSeats(loadtest.ImportSeats(seats), 0, 0, nil)
	require.Equal(t, checks[loadtest.CheckLinearizableSeats].Status, again.Status)
	require.Equal(t, loadtest.StatusFailed, again.Status, again.Detail)

	// Audit targets that know nothing of the run: the acknowledged
	// bookings are missing there, so the audit did read through them.
	r, err = loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioFlashSale,
		Duration: 500 * time.Millisecond, Connections: 2, Seats: 5, Users: 2, AdminEmail: "admin@example.com", AdminPassword: "x",
		AfterLoad: func(context.Context) ([]string, error) { return []string{audit.URL}, nil }})
	require.NoError(t, err)
	require.False(t, checksByName(r.Invariants.Checks)[loadtest.CheckAcknowledgedConfirmed].OK)
}

// TestFlashSaleOutlivesAFailedShowtimeCreation: a node that answers 503
// when the next wave's showtime is created (a fault, a restart) does not
// end the run; the harness asks again.
func TestFlashSaleOutlivesAFailedShowtimeCreation(t *testing.T) {
	var creations atomic.Int32
	inner := newOverseller()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/showtimes" && creations.Add(1) == 3 {
			http.Error(w, `{"error":{"code":"unavailable","message":"request timed out"}}`, http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioFlashSale,
		Duration: 1500 * time.Millisecond, Connections: 4, Seats: 3, Users: 2, AdminEmail: "admin@example.com", AdminPassword: "x"})
	require.NoError(t, err)
	require.GreaterOrEqual(t, creations.Load(), int32(4), "the run never got past the failed creation")
	c := checksByName(r.Invariants.Checks)[loadtest.CheckRunCompleted]
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
}

// TestFlashSaleOutlivesAStoreOutage: while no showtime can be created for
// longer than the retries of one creation (the store stopped for a
// minute), the sold-out wave stays on sale and the run goes on; the next
// wave opens once creations work again.
func TestFlashSaleOutlivesAStoreOutage(t *testing.T) {
	var creations, after atomic.Int32
	var outageEnd atomic.Int64
	inner := newOverseller()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/api/v1/showtimes" {
			n := creations.Add(1)
			if n == 2 {
				outageEnd.Store(time.Now().Add(3 * time.Second).UnixNano())
			}
			if n >= 2 && time.Now().UnixNano() < outageEnd.Load() {
				http.Error(w, `{"error":{"code":"unavailable","message":"the catalog database is unavailable"}}`, http.StatusServiceUnavailable)
				return
			}
			if n >= 2 {
				after.Add(1)
			}
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	r, err := loadtest.Run(context.Background(), loadtest.Config{Targets: []string{srv.URL}, Scenario: loadtest.ScenarioFlashSale,
		Duration: 5 * time.Second, Connections: 4, Seats: 3, Users: 2, AdminEmail: "admin@example.com", AdminPassword: "x"})
	require.NoError(t, err)
	c := checksByName(r.Invariants.Checks)[loadtest.CheckRunCompleted]
	require.Equal(t, loadtest.StatusOK, c.Status, c.Detail)
	require.Positive(t, after.Load(), "no wave opened after the outage")
}
