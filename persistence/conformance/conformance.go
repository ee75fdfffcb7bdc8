// Package conformance is the one test suite that every implementation of
// the root package's stores must pass (SQLite, PostgreSQL): it pins down the
// behaviour the rest of the product relies on, error codes included, so that
// the two stores are interchangeable.
//
// Contract details the interfaces leave open and the suite fixes:
//   - times are stored to the microsecond at least and returned in UTC;
//   - lists return next cursor "" exactly when no item follows, and every
//     page but the last is full;
//   - ShowtimeFilter.From is inclusive and To exclusive;
//   - "newest first" and "oldest first" order by CreatedAt, then ID;
//   - UpsertAdmin on an existing email changes only role and password hash;
//   - a refresh token expires at ExpiresAt (usable strictly before it);
//   - DeleteMovie is blocked only by scheduled or cancelling showtimes strictly after now;
//   - the retention deletes take rows strictly before their bound.
package conformance

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// Run runs the suite. open must return fresh, empty stores on every call and
// release them itself (t.Cleanup): the suite never calls Close. Subtests do
// not run in parallel, so open may reuse and empty one database.
func Run(t *testing.T, open func(t *testing.T) *boxoffice.Stores) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Stores", storesTests},
		{"Users", userTests},
		{"Movies", movieTests},
		{"Cinemas", cinemaTests},
		{"Showtimes", showtimeTests},
		{"Seats", seatTests},
		{"Bookings", bookingTests},
		{"Payments", paymentTests},
		{"Notifications", notificationTests},
		{"Events", eventTests},
		{"Retention", retentionTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
			}
		})
	}
}

// test is one outcome, proved on fresh stores.
type test struct {
	name string
	fn   func(t *testing.T, s *boxoffice.Stores)
}

var storesTests = []test{
	{"PingAnswers", func(t *testing.T, s *boxoffice.Stores) {
		require.NoError(t, s.Ping(t.Context()))
	}},
}

// t0 is the suite's reference time: millisecond precision, in UTC, in the
// future so that showtimes at t0 have not started.
var t0 = time.Date(2031, time.May, 17, 18, 30, 15, 123_000_000, time.UTC)

// at returns t0 plus n minutes.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// requireCode asserts err's application error code.
func requireCode(t *testing.T, want string, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, boxoffice.ErrorCode(err), "error: %v", err)
}

// allPages reads a list page by page and checks the paging contract: no
// page is longer than limit, every page but the last is full, and the last
// page (and only it) returns cursor "", so no cursor leads to an empty page.
func allPages[T any](t *testing.T, limit int, list func(cursor string) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	cursor := ""
	for range 1000 {
		items, next, err := list(cursor)
		require.NoError(t, err)
		require.LessOrEqual(t, len(items), limit, "page longer than its limit")
		if cursor != "" {
			require.NotEmpty(t, items, "a cursor led to an empty page: it should have been \"\"")
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		require.Len(t, items, limit, "a page before the last is not full")
		cursor = next
	}
	t.Fatal("paging did not end after 1000 pages")
	return nil
}

// ids returns the IDs of items, for order and membership checks.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func newUser(email string) *boxoffice.User {
	return &boxoffice.User{
		ID:           boxoffice.NewID(),
		Email:        email,
		Name:         "Ada Lovelace",
		Role:         boxoffice.RoleUser,
		PasswordHash: "$2a$10$hash-of-" + email,
		CreatedAt:    t0,
	}
}

func newMovie(title string, genres ...string) *boxoffice.Movie {
	if genres == nil {
		genres = []string{}
	}
	return &boxoffice.Movie{
		ID:              boxoffice.NewID(),
		Title:           title,
		Description:     "A film about " + title,
		Genres:          genres,
		DurationMinutes: 121,
		Rating:          "PG-13",
		ReleaseDate:     "2031-04-01",
		CreatedAt:       t0,
	}
}

// newCinema returns a cinema with halls halls; rows are given out of
// alphabetical order so that keeping the given order is visible.
func newCinema(name string, halls int) *boxoffice.Cinema {
	c := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: name, City: "Lyon", CreatedAt: t0}
	for i := range halls {
		c.Halls = append(c.Halls, boxoffice.Hall{
			ID:       boxoffice.NewID(),
			CinemaID: c.ID,
			Name:     fmt.Sprintf("Hall %d", i+1),
			Rows: []boxoffice.Row{
				{Row: "C", Seats: 12, Category: "premium"},
				{Row: "A", Seats: 10, Category: "standard"},
				{Row: "B", Seats: 10 + i, Category: "standard"},
			},
		})
	}
	return c
}

func newShowtime(movieID string, hall *boxoffice.Hall, startsAt time.Time) *boxoffice.Showtime {
	return &boxoffice.Showtime{
		ID:        boxoffice.NewID(),
		MovieID:   movieID,
		CinemaID:  hall.CinemaID,
		HallID:    hall.ID,
		StartsAt:  startsAt,
		Prices:    map[string]int64{"standard": 1250, "premium": 1800},
		Currency:  "EUR",
		Status:    boxoffice.ShowtimeScheduled,
		CreatedAt: t0,
	}
}

// catalog is a movie and a cinema to hang showtimes on.
type catalog struct {
	movie  *boxoffice.Movie
	cinema *boxoffice.Cinema
	hall   *boxoffice.Hall
}

func mustCatalog(t *testing.T, s *boxoffice.Stores) catalog {
	t.Helper()
	ctx := t.Context()
	m := newMovie("Metropolis", "drama")
	require.NoError(t, s.Catalog.CreateMovie(ctx, m))
	c := newCinema("Lumière", 1)
	require.NoError(t, s.Catalog.CreateCinema(ctx, c))
	return catalog{movie: m, cinema: c, hall: &c.Halls[0]}
}

func mustShowtime(t *testing.T, s *boxoffice.Stores, movieID string, hall *boxoffice.Hall, startsAt time.Time) *boxoffice.Showtime {
	t.Helper()
	st := newShowtime(movieID, hall, startsAt)
	require.NoError(t, s.Catalog.CreateShowtime(t.Context(), st))
	return st
}

// goTogether runs fns at the same moment, as far as goroutines can, and
// returns their errors in order.
func goTogether(ctx context.Context, fns ...func(ctx context.Context) error) []error {
	start := make(chan struct{})
	errs := make([]error, len(fns))
	done := make(chan struct{}, len(fns))
	for i, fn := range fns {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(ctx)
		}()
	}
	close(start)
	for range fns {
		<-done
	}
	return errs
}

// countCodes counts errors by application code ("" for nil).
func countCodes(errs []error) map[string]int {
	m := map[string]int{}
	for _, err := range errs {
		m[boxoffice.ErrorCode(err)]++
	}
	return m
}
