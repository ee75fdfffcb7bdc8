package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

func (s *Server) cinemaRoutes(g routeGroup) {
	g.GET("/cinemas", s.handleCinemas)
	g.GET("/cinemas/:id", s.handleCinema)
	g.POST("/cinemas", s.handleCreateCinema, s.admin)
}

// cinemaRequest is the body of POST /cinemas; the server picks every ID.
type cinemaRequest struct {
	Name  string        `json:"name"`
	City  string        `json:"city"`
	Halls []hallRequest `json:"halls"`
}

type hallRequest struct {
	Name string          `json:"name"`
	Rows []boxoffice.Row `json:"rows"`
}

// cinema builds the cinema with new IDs for it and each of its halls.
func (r *cinemaRequest) cinema() *boxoffice.Cinema {
	c := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: r.Name, City: r.City, Halls: []boxoffice.Hall{}}
	for _, h := range r.Halls {
		c.Halls = append(c.Halls, boxoffice.Hall{ID: boxoffice.NewID(), CinemaID: c.ID, Name: h.Name, Rows: h.Rows})
	}
	return c
}

func (s *Server) handleCinemas(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	cinemas, next, err := s.cfg.Catalog.Cinemas(c.Request().Context(), p)
	if err != nil {
		return err
	}
	return list(c, cinemas, next)
}

func (s *Server) handleCinema(c echo.Context) error {
	id, err := pathID(c, "cinema")
	if err != nil {
		return err
	}
	cinema, err := s.cfg.Catalog.Cinema(c.Request().Context(), id)
	if err != nil {
		return notFoundAs(err, "cinema %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, cinema)
}

// handleCreateCinema answers 201 with the cinema, whose halls carry the
// IDs that POST /showtimes needs.
func (s *Server) handleCreateCinema(c echo.Context) error {
	var req cinemaRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cinema := req.cinema()
	if err := cinema.Validate(); err != nil {
		return err
	}
	cinema.CreatedAt = s.cfg.Clock.Now().UTC()
	if err := s.cfg.Catalog.CreateCinema(c.Request().Context(), cinema); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, cinema)
}
