package conformance

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var cinemaTests = []test{
	{"CreateAndGetWithHallsAndRowsInOrder", testCinemaRoundTrip},
	{"CinemaAndHallNotFound", testCinemaNotFound},
	{"HallKnowsItsCinema", testHall},
	{"CinemasAcrossPagesWithHalls", testCinemasPaged},
}

// testCinemaRoundTrip stores halls whose rows are not in alphabetical order
// and expects halls in creation order and rows as given.
func testCinemaRoundTrip(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := newCinema("Lumière", 3)
	c.Halls[0], c.Halls[2] = c.Halls[2], c.Halls[0] // IDs no longer in creation order
	require.NoError(t, s.Catalog.CreateCinema(ctx, c))

	got, err := s.Catalog.Cinema(ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)
}

func testCinemaNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Catalog.Cinema(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Catalog.Hall(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
}

func testHall(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	c := newCinema("Lumière", 2)
	require.NoError(t, s.Catalog.CreateCinema(ctx, c))
	for _, h := range c.Halls {
		got, err := s.Catalog.Hall(ctx, h.ID)
		require.NoError(t, err)
		require.Equal(t, &h, got)
		require.Equal(t, c.ID, got.CinemaID)
	}
}

// testCinemasPaged lists 11 cinemas 3 at a time and expects each once, with
// its halls.
func testCinemasPaged(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	want := map[string]*boxoffice.Cinema{}
	for i := range 11 {
		c := newCinema(fmt.Sprintf("Cinema %02d", i), 1+i%3)
		require.NoError(t, s.Catalog.CreateCinema(ctx, c))
		want[c.ID] = c
	}
	got := allPages(t, 3, func(cursor string) ([]*boxoffice.Cinema, string, error) {
		return s.Catalog.Cinemas(ctx, boxoffice.Page{Limit: 3, Cursor: cursor})
	})
	require.Len(t, got, len(want))
	seen := map[string]bool{}
	for _, c := range got {
		require.False(t, seen[c.ID], "cinema %s listed twice", c.ID)
		seen[c.ID] = true
		require.Equal(t, want[c.ID], c)
	}
}
