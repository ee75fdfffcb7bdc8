package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

type movieList struct {
	Items      []boxoffice.Movie `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// TestMovies proves the movie routes: public reads, admin writes, filters,
// pagination and the contract's errors.
func TestMovies(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	_, user := ts.Register(t, "viewer")
	f := ts.Fixture(t, admin)
	assert.Equal(t, []string{"crime"}, f.Movie.Genres, "genres are normalized")
	for i := range 3 {
		ts.Do(t, "POST", "/api/v1/movies", admin, map[string]any{"title": fmt.Sprintf("Alien %d", i), "duration_minutes": 100,
			"genres": []string{"sci-fi"}}).Decode(t, http.StatusCreated, nil)
	}

	t.Run("Get", func(t *testing.T) {
		var m boxoffice.Movie
		ts.Do(t, "GET", path("/movies/%s", f.Movie.ID), "", nil).Decode(t, http.StatusOK, &m)
		assert.Equal(t, f.Movie, m)
	})
	t.Run("ListFiltered", func(t *testing.T) {
		var l movieList
		ts.Do(t, "GET", "/api/v1/movies?genre=sci-fi&q=ALIEN", "", nil).Decode(t, http.StatusOK, &l)
		assert.Len(t, l.Items, 3)
		ts.Do(t, "GET", "/api/v1/movies?q=heat", "", nil).Decode(t, http.StatusOK, &l)
		require.Len(t, l.Items, 1)
		assert.Equal(t, f.Movie.ID, l.Items[0].ID)
	})
	t.Run("ListPaged", func(t *testing.T) {
		seen := map[string]bool{}
		cursor := ""
		for range 10 {
			var l movieList
			ts.Do(t, "GET", "/api/v1/movies?limit=3&cursor="+url.QueryEscape(cursor), "", nil).Decode(t, http.StatusOK, &l)
			assert.LessOrEqual(t, len(l.Items), 3)
			for _, m := range l.Items {
				seen[m.ID] = true
			}
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		assert.Len(t, seen, 4)
	})
	t.Run("Update", func(t *testing.T) {
		var m boxoffice.Movie
		ts.Do(t, "PUT", path("/movies/%s", f.Movie.ID), admin, map[string]any{"title": "Heat (1995)", "duration_minutes": 171}).
			Decode(t, http.StatusOK, &m)
		assert.Equal(t, "Heat (1995)", m.Title)
		assert.Equal(t, f.Movie.CreatedAt, m.CreatedAt)
		assert.Equal(t, []string{}, m.Genres)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ts.Do(t, "GET", path("/movies/%s", boxoffice.NewID()), "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "GET", "/api/v1/movies/..%2f..%2fetc", "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "PUT", path("/movies/%s", boxoffice.NewID()), admin, map[string]any{"title": "X", "duration_minutes": 1}).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "DELETE", path("/movies/%s", boxoffice.NewID()), admin, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"title": "", "duration_minutes": 90},
			{"title": "X", "duration_minutes": 0},
			{"title": "X", "duration_minutes": 90, "release_date": "01/01/2026"},
			{"title": "X", "duration_minutes": 90, "id": boxoffice.NewID()},
		} {
			ts.Do(t, "POST", "/api/v1/movies", admin, body).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		ts.Do(t, "DELETE", path("/movies/%s", f.Movie.ID), user.AccessToken, nil).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
		ts.Do(t, "DELETE", path("/movies/%s", f.Movie.ID), "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("DeleteConflictWhileScheduled", func(t *testing.T) {
		ts.Do(t, "DELETE", path("/movies/%s", f.Movie.ID), admin, nil).RequireError(t, http.StatusConflict, boxoffice.ECONFLICT)
		ts.Do(t, "DELETE", path("/showtimes/%s", f.Showtime.ID), admin, nil).Decode(t, http.StatusOK, nil)
		ts.Do(t, "DELETE", path("/movies/%s", f.Movie.ID), admin, nil).Decode(t, http.StatusNoContent, nil)
		ts.Do(t, "GET", path("/movies/%s", f.Movie.ID), "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}

// TestCinemas proves a cinema is created with server-chosen IDs for it and
// its halls, and read back publicly.
func TestCinemas(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	require.Len(t, f.Cinema.Halls, 1)
	h := f.Cinema.Halls[0]
	assert.True(t, boxoffice.ValidID(f.Cinema.ID))
	assert.True(t, boxoffice.ValidID(h.ID))
	assert.Equal(t, f.Cinema.ID, h.CinemaID)

	var c boxoffice.Cinema
	ts.Do(t, "GET", path("/cinemas/%s", f.Cinema.ID), "", nil).Decode(t, http.StatusOK, &c)
	assert.Equal(t, f.Cinema, c)
	var l struct{ Items []boxoffice.Cinema }
	ts.Do(t, "GET", "/api/v1/cinemas?limit=1", "", nil).Decode(t, http.StatusOK, &l)
	assert.Len(t, l.Items, 1)
	ts.Do(t, "GET", path("/cinemas/%s", boxoffice.NewID()), "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)

	for name, body := range map[string]any{
		"ErrNoHalls":     map[string]any{"name": "X", "city": "Y", "halls": []any{}},
		"ErrBadRow":      map[string]any{"name": "X", "city": "Y", "halls": []any{map[string]any{"name": "1", "rows": []any{map[string]any{"row": "AA", "seats": 1, "category": "s"}}}}},
		"ErrHallID":      map[string]any{"name": "X", "city": "Y", "halls": []any{map[string]any{"id": "x", "name": "1", "rows": []any{}}}},
		"ErrSeatsString": map[string]any{"name": "X", "city": "Y", "halls": []any{map[string]any{"name": "1", "rows": []any{map[string]any{"row": "A", "seats": "ten", "category": "s"}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			ts.Do(t, "POST", "/api/v1/cinemas", admin, body).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		})
	}
}

// TestShowtimes proves showtimes are validated against their hall and
// movie, filtered, and cancelled through the booking service.
func TestShowtimes(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	f := ts.Fixture(t, admin)
	st := f.Showtime
	assert.Equal(t, f.Cinema.ID, st.CinemaID, "cinema comes from the hall")
	assert.Equal(t, boxoffice.ShowtimeScheduled, st.Status)
	assert.Equal(t, time.UTC, st.StartsAt.Location())

	var got boxoffice.Showtime
	ts.Do(t, "GET", path("/showtimes/%s", st.ID), "", nil).Decode(t, http.StatusOK, &got)
	assert.Equal(t, st.ID, got.ID)

	var l struct{ Items []boxoffice.Showtime }
	from := url.QueryEscape(st.StartsAt.Add(-time.Minute).Format(time.RFC3339))
	ts.Do(t, "GET", path("/showtimes?movie_id=%s&cinema_id=%s&from=%s", f.Movie.ID, f.Cinema.ID, from), "", nil).Decode(t, http.StatusOK, &l)
	assert.Len(t, l.Items, 1)
	ts.Do(t, "GET", path("/showtimes?movie_id=%s", boxoffice.NewID()), "", nil).Decode(t, http.StatusOK, &l)
	assert.Empty(t, l.Items)

	valid := func() map[string]any {
		return map[string]any{"movie_id": f.Movie.ID, "hall_id": f.Cinema.Halls[0].ID, "currency": "EUR",
			"starts_at": ts.Clock.Now().Add(time.Hour).Format(time.RFC3339), "prices": map[string]int{"standard": 1, "premium": 2}}
	}
	cases := []struct {
		name   string
		change func(map[string]any)
		status int
		code   string
	}{
		{"ErrMissingPrice", func(b map[string]any) { b["prices"] = map[string]int{"standard": 1} }, 400, boxoffice.EINVALID},
		{"ErrInThePast", func(b map[string]any) { b["starts_at"] = ts.Clock.Now().Add(-time.Hour).Format(time.RFC3339) }, 400, boxoffice.EINVALID},
		{"ErrNotRFC3339", func(b map[string]any) { b["starts_at"] = "tomorrow" }, 400, boxoffice.EINVALID},
		{"ErrCurrency", func(b map[string]any) { b["currency"] = "euro" }, 400, boxoffice.EINVALID},
		{"ErrNoMovie", func(b map[string]any) { delete(b, "movie_id") }, 400, boxoffice.EINVALID},
		{"ErrUnknownMovie", func(b map[string]any) { b["movie_id"] = boxoffice.NewID() }, 404, boxoffice.ENOTFOUND},
		{"ErrUnknownHall", func(b map[string]any) { b["hall_id"] = boxoffice.NewID() }, 404, boxoffice.ENOTFOUND},
		{"ErrGarbageHall", func(b map[string]any) { b["hall_id"] = "hall-1" }, 404, boxoffice.ENOTFOUND},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.change(b)
			e := ts.Do(t, "POST", "/api/v1/showtimes", admin, b).RequireError(t, tc.status, tc.code)
			assert.NotEmpty(t, e.Message)
		})
	}
	t.Run("ErrBadFilters", func(t *testing.T) {
		for _, q := range []string{"movie_id=x", "from=yesterday", "to=2026-01-01", "limit=0"} {
			ts.Do(t, "GET", "/api/v1/showtimes?"+q, "", nil).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		ts.Do(t, "DELETE", path("/showtimes/%s", st.ID), admin, nil).Decode(t, http.StatusOK, &got)
		assert.Equal(t, boxoffice.ShowtimeCancelled, got.Status)
		ts.Do(t, "DELETE", path("/showtimes/%s", boxoffice.NewID()), admin, nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}
