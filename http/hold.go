package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// seatIDLenMax bounds a seat label ("Z99").
const seatIDLenMax = 8

func (s *Server) holdRoutes(g routeGroup) {
	g.POST("/showtimes/:id/holds", s.handleHold, s.limitIP(LimitHoldIP), s.authn, s.limitCaller(LimitHoldAccount))
	g.GET("/holds/:id", s.handleHoldByID, s.authn)
	g.DELETE("/holds/:id", s.handleReleaseHold, s.authn)
}

type holdRequest struct {
	Seats []string `json:"seats"`
}

// validate checks what needs no seat map: the labels' length here (so no
// long string reaches a message or a grain), then the domain's rules for a
// seat list. The showtime grain checks the rest (unknown seats,
// availability).
func (r *holdRequest) validate() error {
	for _, seat := range r.Seats {
		if seat == "" || len(seat) > seatIDLenMax {
			return boxoffice.Errorf(boxoffice.EINVALID, "seats: %q is not a seat label such as A1", truncate(seat, seatIDLenMax))
		}
	}
	return boxoffice.CheckHoldSeats(r.Seats)
}

// handleHold holds all the seats or none: 409 lists the unavailable
// ones in details.unavailable.
func (s *Server) handleHold(c echo.Context) error {
	showtimeID, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	var req holdRequest
	if err := decodeHoldRequest(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	h, err := s.cfg.Showtimes.Hold(c.Request().Context(), showtimeID, callerOf(c).UserID, req.Seats)
	if err != nil {
		return notFoundAs(err, "showtime %s not found", showtimeID)
	}
	return c.JSON(nethttp.StatusCreated, h)
}

// holdID returns the hold ID path parameter: IDs that NewHoldID cannot
// have made are ENOTFOUND without asking a showtime grain.
func holdID(c echo.Context) (string, error) {
	id := c.Param("id")
	if _, err := boxoffice.HoldShowtimeID(id); err != nil {
		return "", boxoffice.Errorf(boxoffice.ENOTFOUND, "hold not found")
	}
	return id, nil
}

func (s *Server) handleHoldByID(c echo.Context) error {
	id, err := holdID(c)
	if err != nil {
		return err
	}
	h, err := s.cfg.Showtimes.HoldByID(c.Request().Context(), id, callerOf(c))
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, h)
}

// handleReleaseHold frees the seats: 204; a released hold is 404 and an
// expired one 410.
func (s *Server) handleReleaseHold(c echo.Context) error {
	id, err := holdID(c)
	if err != nil {
		return err
	}
	if err := s.cfg.Showtimes.ReleaseHold(c.Request().Context(), id, callerOf(c)); err != nil {
		return err
	}
	return c.NoContent(nethttp.StatusNoContent)
}
