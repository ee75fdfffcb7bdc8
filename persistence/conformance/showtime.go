package conformance

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var showtimeTests = []test{
	{"CreateAndGetRoundTrip", testShowtimeRoundTrip},
	{"ShowtimeNotFound", testShowtimeNotFound},
	{"ShowtimesByStartAcrossPagesWithoutGapsOrDuplicates", testShowtimesPaged},
	{"ShowtimesFilterByMovieCinemaAndTime", testShowtimesFilter},
	{"CancelShowtimeIsIdempotent", testCancelShowtime},
	{"CancellingShowtimesListsCancellationsNotFinished", testCancellingShowtimes},
}

func showtimeID(st *boxoffice.Showtime) string { return st.ID }

func testShowtimeRoundTrip(t *testing.T, s *boxoffice.Stores) {
	c := mustCatalog(t, s)
	st := mustShowtime(t, s, c.movie.ID, c.hall, at(90))
	got, err := s.Catalog.Showtime(t.Context(), st.ID)
	require.NoError(t, err)
	require.Equal(t, st, got)
}

func testShowtimeNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Catalog.Showtime(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Catalog.CancelShowtime(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Catalog.StartCancelShowtime(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testShowtimesPaged lists 17 showtimes, several starting together, 5 at a
// time, and expects each once by start time.
func testShowtimesPaged(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	var want []*boxoffice.Showtime
	for i := range 17 {
		want = append(want, mustShowtime(t, s, c.movie.ID, c.hall, at(60*((17-i)%7))))
	}
	got := allPages(t, 5, func(cursor string) ([]*boxoffice.Showtime, string, error) {
		return s.Catalog.Showtimes(ctx, boxoffice.ShowtimeFilter{Page: boxoffice.Page{Limit: 5, Cursor: cursor}})
	})
	require.ElementsMatch(t, want, got)
	require.True(t, slices.IsSortedFunc(got, func(a, b *boxoffice.Showtime) int {
		return a.StartsAt.Compare(b.StartsAt)
	}), "showtimes not by start time")
}

// testShowtimesFilter combines movie, cinema and the [From, To) window.
func testShowtimesFilter(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c1 := mustCatalog(t, s)
	c2 := mustCatalog(t, s)
	a := mustShowtime(t, s, c1.movie.ID, c1.hall, at(0))
	b := mustShowtime(t, s, c1.movie.ID, c1.hall, at(60))
	other := mustShowtime(t, s, c2.movie.ID, c1.hall, at(30))
	elsewhere := mustShowtime(t, s, c1.movie.ID, c2.hall, at(90))

	list := func(f boxoffice.ShowtimeFilter) []string {
		t.Helper()
		got, next, err := s.Catalog.Showtimes(ctx, f)
		require.NoError(t, err)
		require.Empty(t, next)
		return ids(got, showtimeID)
	}
	require.Equal(t, []string{a.ID, other.ID, b.ID, elsewhere.ID}, list(boxoffice.ShowtimeFilter{}))
	require.Equal(t, []string{a.ID, b.ID, elsewhere.ID}, list(boxoffice.ShowtimeFilter{MovieID: c1.movie.ID}))
	require.Equal(t, []string{a.ID, other.ID, b.ID}, list(boxoffice.ShowtimeFilter{CinemaID: c1.cinema.ID}))
	require.Equal(t, []string{a.ID, b.ID},
		list(boxoffice.ShowtimeFilter{MovieID: c1.movie.ID, CinemaID: c1.cinema.ID}))
	require.Equal(t, []string{other.ID, b.ID}, list(boxoffice.ShowtimeFilter{From: at(30), To: at(90)}),
		"From is inclusive, To exclusive")
	require.Equal(t, []string{b.ID, elsewhere.ID}, list(boxoffice.ShowtimeFilter{From: at(31)}))
	require.Equal(t, []string{a.ID}, list(boxoffice.ShowtimeFilter{To: at(30)}))
	require.Empty(t, list(boxoffice.ShowtimeFilter{MovieID: boxoffice.NewID()}))
}

func testCancelShowtime(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	st := mustShowtime(t, s, c.movie.ID, c.hall, at(90))
	want := *st
	want.Status = boxoffice.ShowtimeCancelled
	for range 2 {
		got, err := s.Catalog.CancelShowtime(ctx, st.ID)
		require.NoError(t, err)
		require.Equal(t, &want, got)
	}
	got, err := s.Catalog.Showtime(ctx, st.ID)
	require.NoError(t, err)
	require.Equal(t, &want, got)
}

// testCancellingShowtimes starts the cancellation of two showtimes and
// finishes one: only the other is listed as cancelling, starting again
// changes nothing, and a cancelled showtime never goes back to cancelling.
func testCancellingShowtimes(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := mustCatalog(t, s)
	open := mustShowtime(t, s, c.movie.ID, c.hall, at(90))
	started := mustShowtime(t, s, c.movie.ID, c.hall, at(91))
	finished := mustShowtime(t, s, c.movie.ID, c.hall, at(92))
	status := func(id string) string {
		st, err := s.Catalog.Showtime(ctx, id)
		require.NoError(t, err)
		return st.Status
	}
	for range 2 {
		st, err := s.Catalog.StartCancelShowtime(ctx, started.ID)
		require.NoError(t, err)
		require.Equal(t, boxoffice.ShowtimeCancelling, st.Status)
	}
	_, err := s.Catalog.StartCancelShowtime(ctx, finished.ID)
	require.NoError(t, err)
	_, err = s.Catalog.CancelShowtime(ctx, finished.ID)
	require.NoError(t, err)
	st, err := s.Catalog.StartCancelShowtime(ctx, finished.ID)
	require.NoError(t, err)
	require.Equal(t, boxoffice.ShowtimeCancelled, st.Status)
	require.Equal(t, boxoffice.ShowtimeCancelled, status(finished.ID))
	require.Equal(t, boxoffice.ShowtimeScheduled, status(open.ID))

	ids, err := s.Catalog.CancellingShowtimes(ctx, 1000)
	require.NoError(t, err)
	require.True(t, slices.IsSorted(ids), "by ID: %v", ids)
	require.Contains(t, ids, started.ID)
	require.NotContains(t, ids, finished.ID)
	require.NotContains(t, ids, open.ID)
	one, err := s.Catalog.CancellingShowtimes(ctx, 1)
	require.NoError(t, err)
	require.Len(t, one, 1)
}
