package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

func (s *Server) movieRoutes(g routeGroup) {
	g.GET("/movies", s.handleMovies)
	g.GET("/movies/:id", s.handleMovie)
	g.POST("/movies", s.handleCreateMovie, s.admin)
	g.PUT("/movies/:id", s.handleUpdateMovie, s.admin)
	g.DELETE("/movies/:id", s.handleDeleteMovie, s.admin)
}

// movieRequest is the body of POST and PUT /movies: every field a client
// may set, and nothing it may not (id, created_at).
type movieRequest struct {
	Title           string   `json:"title"`
	Description     string   `json:"description"`
	Genres          []string `json:"genres"`
	DurationMinutes int      `json:"duration_minutes"`
	Rating          string   `json:"rating"`
	ReleaseDate     string   `json:"release_date"`
}

func (r *movieRequest) movie() *boxoffice.Movie {
	return &boxoffice.Movie{
		Title:           r.Title,
		Description:     r.Description,
		Genres:          r.Genres,
		DurationMinutes: r.DurationMinutes,
		Rating:          r.Rating,
		ReleaseDate:     r.ReleaseDate,
	}
}

func (s *Server) handleMovies(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	q, err := queryText(c, "q")
	if err != nil {
		return err
	}
	genre, err := queryText(c, "genre")
	if err != nil {
		return err
	}
	movies, next, err := s.cfg.Catalog.Movies(c.Request().Context(), boxoffice.MovieFilter{Query: q, Genre: genre, Page: p})
	if err != nil {
		return err
	}
	return list(c, movies, next)
}

func (s *Server) handleMovie(c echo.Context) error {
	id, err := pathID(c, "movie")
	if err != nil {
		return err
	}
	m, err := s.cfg.Catalog.Movie(c.Request().Context(), id)
	if err != nil {
		return notFoundAs(err, "movie %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, m)
}

func (s *Server) handleCreateMovie(c echo.Context) error {
	var req movieRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m := req.movie()
	if err := m.Validate(); err != nil {
		return err
	}
	m.ID = boxoffice.NewID()
	m.CreatedAt = s.cfg.Clock.Now().UTC()
	if err := s.cfg.Catalog.CreateMovie(c.Request().Context(), m); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, m)
}

// handleUpdateMovie replaces every field a client may set (PUT semantics).
func (s *Server) handleUpdateMovie(c echo.Context) error {
	id, err := pathID(c, "movie")
	if err != nil {
		return err
	}
	var req movieRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m := req.movie()
	if err := m.Validate(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.cfg.Catalog.Movie(ctx, id)
	if err != nil {
		return notFoundAs(err, "movie %s not found", id)
	}
	m.ID, m.CreatedAt = id, old.CreatedAt
	if err := s.cfg.Catalog.UpdateMovie(ctx, m); err != nil {
		return notFoundAs(err, "movie %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, m)
}

// handleDeleteMovie refuses (409) while the movie has future showtimes.
func (s *Server) handleDeleteMovie(c echo.Context) error {
	id, err := pathID(c, "movie")
	if err != nil {
		return err
	}
	if err := s.cfg.Catalog.DeleteMovie(c.Request().Context(), id, s.cfg.Clock.Now().UTC()); err != nil {
		return notFoundAs(err, "movie %s not found", id)
	}
	return c.NoContent(nethttp.StatusNoContent)
}
