package http

import (
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

func (s *Server) showtimeRoutes(g routeGroup) {
	g.GET("/showtimes", s.handleShowtimes)
	g.GET("/showtimes/:id", s.handleShowtime)
	g.POST("/showtimes", s.handleCreateShowtime, s.admin)
	g.DELETE("/showtimes/:id", s.handleCancelShowtime, s.admin)
}

// pricesMax bounds the categories priced by one showtime.
const pricesMax = 100

// showtimeRequest is the body of POST /showtimes.
type showtimeRequest struct {
	MovieID  string           `json:"movie_id"`
	HallID   string           `json:"hall_id"`
	StartsAt time.Time        `json:"starts_at"`
	Prices   map[string]int64 `json:"prices"`
	Currency string           `json:"currency"`
}

func (s *Server) handleShowtimes(c echo.Context) error {
	f, err := showtimeFilter(c)
	if err != nil {
		return err
	}
	showtimes, next, err := s.cfg.Catalog.Showtimes(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return list(c, showtimes, next)
}

// showtimeFilter reads ?movie_id=&cinema_id=&from=&to= and the page.
func showtimeFilter(c echo.Context) (f boxoffice.ShowtimeFilter, err error) {
	if f.Page, err = page(c); err != nil {
		return f, err
	}
	if f.MovieID, err = queryID(c, "movie_id"); err != nil {
		return f, err
	}
	if f.CinemaID, err = queryID(c, "cinema_id"); err != nil {
		return f, err
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, boxoffice.Errorf(boxoffice.EINVALID, "to must not be before from")
	}
	return f, nil
}

func (s *Server) handleShowtime(c echo.Context) error {
	id, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	st, err := s.cfg.Catalog.Showtime(c.Request().Context(), id)
	if err != nil {
		return notFoundAs(err, "showtime %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, st)
}

// handleCreateShowtime checks that the hall and the movie exist (404 naming
// the field), then the showtime against its hall (400), and takes the
// cinema from the hall.
func (s *Server) handleCreateShowtime(c echo.Context) error {
	var req showtimeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.MovieID == "":
		return boxoffice.Errorf(boxoffice.EINVALID, "movie_id is required")
	case req.HallID == "":
		return boxoffice.Errorf(boxoffice.EINVALID, "hall_id is required")
	case len(req.Prices) > pricesMax:
		return boxoffice.Errorf(boxoffice.EINVALID, "prices: at most %d categories", pricesMax)
	case !boxoffice.ValidID(req.HallID):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "hall_id: hall not found")
	case !boxoffice.ValidID(req.MovieID):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "movie_id: movie not found")
	}
	ctx := c.Request().Context()
	hall, err := s.cfg.Catalog.Hall(ctx, req.HallID)
	if err != nil {
		return notFoundAs(err, "hall_id: hall %s not found", req.HallID)
	}
	if _, err := s.cfg.Catalog.Movie(ctx, req.MovieID); err != nil {
		return notFoundAs(err, "movie_id: movie %s not found", req.MovieID)
	}
	now := s.cfg.Clock.Now().UTC()
	st := &boxoffice.Showtime{
		ID:        boxoffice.NewID(),
		MovieID:   req.MovieID,
		CinemaID:  hall.CinemaID,
		HallID:    hall.ID,
		StartsAt:  req.StartsAt.UTC(),
		Prices:    req.Prices,
		Currency:  req.Currency,
		Status:    boxoffice.ShowtimeScheduled,
		CreatedAt: now,
	}
	if err := st.Validate(hall, now); err != nil {
		return err
	}
	if st.Prices == nil {
		st.Prices = map[string]int64{}
	}
	if err := s.cfg.Catalog.CreateShowtime(ctx, st); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, st)
}

// handleCancelShowtime cancels a showtime: its confirmed bookings are
// cancelled, refunded and notified by the booking service.
func (s *Server) handleCancelShowtime(c echo.Context) error {
	id, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	st, err := s.cfg.Bookings.CancelShowtime(c.Request().Context(), id)
	if err != nil {
		return notFoundAs(err, "showtime %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, st)
}
