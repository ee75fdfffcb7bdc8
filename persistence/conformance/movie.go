package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var movieTests = []test{
	{"CreateAndGetRoundTrip", testMovieRoundTrip},
	{"MovieNotFound", testMovieNotFound},
	{"UpdateMovieReplacesFields", testUpdateMovie},
	{"MoviesByTitleAcrossPagesWithoutGapsOrDuplicates", testMoviesPaged},
	{"MoviesQueryIsCaseInsensitiveSubstring", testMoviesQuery},
	{"MoviesGenreIsExact", testMoviesGenre},
	{"MoviesNoneIsEmpty", testMoviesNone},
	{"DeleteMovieThenNotFound", testDeleteMovie},
	{"DeleteMovieWithFutureShowtimeConflict", testDeleteMovieFutureShowtime},
	{"DeleteMovieWithPastOrCancelledShowtimes", testDeleteMoviePastShowtimes},
	{"DeleteMovieWhileShowtimeCancelling", testDeleteMovieCancelling},
}

func testMovieRoundTrip(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	m := newMovie("Metropolis", "drama", "sci-fi")
	require.NoError(t, s.Catalog.CreateMovie(ctx, m))
	got, err := s.Catalog.Movie(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, m, got)

	empty := newMovie("Untitled")
	empty.ReleaseDate, empty.Rating, empty.Description = "", "", ""
	require.NoError(t, s.Catalog.CreateMovie(ctx, empty))
	got, err = s.Catalog.Movie(ctx, empty.ID)
	require.NoError(t, err)
	require.Equal(t, empty, got, "empty genres and fields round-trip")
}

func testMovieNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Catalog.Movie(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	err = s.Catalog.UpdateMovie(ctx, newMovie("Ghost"))
	requireCode(t, boxoffice.ENOTFOUND, err)
	err = s.Catalog.DeleteMovie(ctx, boxoffice.NewID(), t0)
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testUpdateMovie replaces every field but ID and CreatedAt, and expects
// the title search to follow the new title.
func testUpdateMovie(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	m := newMovie("Metropolis", "drama")
	require.NoError(t, s.Catalog.CreateMovie(ctx, m))

	up := &boxoffice.Movie{ID: m.ID, Title: "Nosferatu", Description: "Count Orlok",
		Genres: []string{"horror"}, DurationMinutes: 94, Rating: "R", ReleaseDate: "1922-03-04",
		CreatedAt: m.CreatedAt}
	require.NoError(t, s.Catalog.UpdateMovie(ctx, up))
	got, err := s.Catalog.Movie(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, up, got)

	found, _, err := s.Catalog.Movies(ctx, boxoffice.MovieFilter{Query: "nosfer"})
	require.NoError(t, err)
	require.Equal(t, []string{m.ID}, ids(found, movieID))
	found, _, err = s.Catalog.Movies(ctx, boxoffice.MovieFilter{Query: "metro"})
	require.NoError(t, err)
	require.Empty(t, found)
}

func movieID(m *boxoffice.Movie) string { return m.ID }

// testMoviesPaged lists 23 movies, some with equal titles, 4 at a time, and
// expects each once, by title then ID.
func testMoviesPaged(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var want []*boxoffice.Movie
	for i := range 23 {
		m := newMovie(fmt.Sprintf("Movie %02d", i%17))
		require.NoError(t, s.Catalog.CreateMovie(ctx, m))
		want = append(want, m)
	}
	slices.SortFunc(want, func(a, b *boxoffice.Movie) int {
		if a.Title != b.Title {
			return strings.Compare(a.Title, b.Title)
		}
		return strings.Compare(a.ID, b.ID)
	})
	got := allPages(t, 4, func(cursor string) ([]*boxoffice.Movie, string, error) {
		return s.Catalog.Movies(ctx, boxoffice.MovieFilter{Page: boxoffice.Page{Limit: 4, Cursor: cursor}})
	})
	require.Equal(t, want, got)
}

func testMoviesQuery(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	titles := []string{"The Dark Knight", "DARKMAN", "Darker Than Amber", "Heat", "Into the Dark"}
	byTitle := map[string]string{}
	for _, title := range titles {
		m := newMovie(title)
		require.NoError(t, s.Catalog.CreateMovie(ctx, m))
		byTitle[title] = m.ID
	}
	got := allPages(t, 2, func(cursor string) ([]*boxoffice.Movie, string, error) {
		return s.Catalog.Movies(ctx, boxoffice.MovieFilter{Query: "dArK",
			Page: boxoffice.Page{Limit: 2, Cursor: cursor}})
	})
	// Set, not order: how mixed case sorts depends on the database's collation.
	require.ElementsMatch(t, []string{byTitle["DARKMAN"], byTitle["Darker Than Amber"],
		byTitle["Into the Dark"], byTitle["The Dark Knight"]}, ids(got, movieID))
}

// testMoviesGenre expects "drama" to match the genre drama only, not
// melodrama, alone and together with a title query.
func testMoviesGenre(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	a := newMovie("Alpha", "drama", "war")
	b := newMovie("Beta", "melodrama")
	c := newMovie("Gamma", "comedy", "drama")
	d := newMovie("Alphaville", "sci-fi")
	for _, m := range []*boxoffice.Movie{a, b, c, d} {
		require.NoError(t, s.Catalog.CreateMovie(ctx, m))
	}
	got, next, err := s.Catalog.Movies(ctx, boxoffice.MovieFilter{Genre: "drama"})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Equal(t, []string{a.ID, c.ID}, ids(got, movieID))

	got, _, err = s.Catalog.Movies(ctx, boxoffice.MovieFilter{Genre: "drama", Query: "alpha"})
	require.NoError(t, err)
	require.Equal(t, []string{a.ID}, ids(got, movieID))
}

func testMoviesNone(t *testing.T, s *boxoffice.Stores) {
	got, next, err := s.Catalog.Movies(t.Context(), boxoffice.MovieFilter{})
	require.NoError(t, err)
	require.Empty(t, got)
	require.Empty(t, next)
}

func testDeleteMovie(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	m := newMovie("Metropolis")
	require.NoError(t, s.Catalog.CreateMovie(ctx, m))
	require.NoError(t, s.Catalog.DeleteMovie(ctx, m.ID, t0))
	_, err := s.Catalog.Movie(ctx, m.ID)
	requireCode(t, boxoffice.ENOTFOUND, err)
	err = s.Catalog.DeleteMovie(ctx, m.ID, t0)
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testDeleteMovieFutureShowtime keeps a movie that has a scheduled showtime
// after now, and lets it go once that showtime is cancelled.
func testDeleteMovieFutureShowtime(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	st := mustShowtime(t, s, c.movie.ID, c.hall, at(60))

	err := s.Catalog.DeleteMovie(ctx, c.movie.ID, at(0))
	requireCode(t, boxoffice.ECONFLICT, err)
	got, err := s.Catalog.Movie(ctx, c.movie.ID)
	require.NoError(t, err, "a refused delete keeps the movie")
	require.Equal(t, c.movie, got)

	_, err = s.Catalog.CancelShowtime(ctx, st.ID)
	require.NoError(t, err)
	require.NoError(t, s.Catalog.DeleteMovie(ctx, c.movie.ID, at(0)))
}

// testDeleteMovieCancelling keeps a movie while one of its showtimes is
// still cancelling (its bookings are not all refunded yet): the delete is
// allowed once the cancellation has finished.
func testDeleteMovieCancelling(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	st := mustShowtime(t, s, c.movie.ID, c.hall, at(60))
	_, err := s.Catalog.StartCancelShowtime(ctx, st.ID)
	require.NoError(t, err)

	err = s.Catalog.DeleteMovie(ctx, c.movie.ID, at(0))
	requireCode(t, boxoffice.ECONFLICT, err)

	_, err = s.Catalog.CancelShowtime(ctx, st.ID)
	require.NoError(t, err)
	require.NoError(t, s.Catalog.DeleteMovie(ctx, c.movie.ID, at(0)))
}

// testDeleteMoviePastShowtimes allows the delete when the only showtimes
// started at or before now, or are cancelled; they stay.
func testDeleteMoviePastShowtimes(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	past := mustShowtime(t, s, c.movie.ID, c.hall, at(-60))
	now := mustShowtime(t, s, c.movie.ID, c.hall, at(0))
	cancelled := mustShowtime(t, s, c.movie.ID, c.hall, at(120))
	_, err := s.Catalog.CancelShowtime(ctx, cancelled.ID)
	require.NoError(t, err)

	require.NoError(t, s.Catalog.DeleteMovie(ctx, c.movie.ID, at(0)))
	for _, st := range []*boxoffice.Showtime{past, now} {
		got, err := s.Catalog.Showtime(ctx, st.ID)
		require.NoError(t, err)
		require.Equal(t, st, got)
	}
}
