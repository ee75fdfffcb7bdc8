package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestDeleteMovieRacesCreateShowtime runs DeleteMovie and CreateShowtime
// for one movie at the same moment, many times. The movie row lock orders
// them: either the showtime is created and the delete refused, or the
// movie is deleted and the showtime refused. Never both, which would leave
// a scheduled showtime of a deleted movie.
func TestDeleteMovieRacesCreateShowtime(t *testing.T) {
	t.Parallel()
	s := pgtest.MustOpen(t)
	ctx := t.Context()
	now := time.Now().UTC()
	cinema := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: "Rex", City: "Paris", CreatedAt: now,
		Halls: []boxoffice.Hall{{ID: boxoffice.NewID(), Name: "1", Rows: []boxoffice.Row{{Row: "A", Seats: 5, Category: "standard"}}}}}
	require.NoError(t, s.Catalog.CreateCinema(ctx, cinema))

	outcomes := map[[2]string]int{}
	for range 20 {
		m := &boxoffice.Movie{ID: boxoffice.NewID(), Title: "M", Genres: []string{}, DurationMinutes: 90, CreatedAt: now}
		require.NoError(t, s.Catalog.CreateMovie(ctx, m))
		st := &boxoffice.Showtime{ID: boxoffice.NewID(), MovieID: m.ID, CinemaID: cinema.ID,
			HallID: cinema.Halls[0].ID, StartsAt: now.Add(time.Hour), Prices: map[string]int64{"standard": 1},
			Currency: "EUR", Status: boxoffice.ShowtimeScheduled, CreatedAt: now}

		var del, create error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; del = s.Catalog.DeleteMovie(context.Background(), m.ID, now) })
		wg.Go(func() { <-start; create = s.Catalog.CreateShowtime(context.Background(), st) })
		close(start)
		wg.Wait()
		outcome := [2]string{boxoffice.ErrorCode(del), boxoffice.ErrorCode(create)}
		require.Contains(t, [][2]string{{"", boxoffice.ENOTFOUND}, {boxoffice.ECONFLICT, ""}}, outcome,
			"delete: %v, create showtime: %v", del, create)
		outcomes[outcome]++
	}
	t.Logf("outcomes (delete, create showtime): %v", outcomes)
}
