package http

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

func (s *Server) eventRoutes(g routeGroup) {
	g.GET("/admin/events", s.handleEvents, s.admin)
}

// handleEvents lists the events outbox after the cursor `after`, oldest
// first, as CloudEvents: the way events leave the product when no broker
// is configured. next_cursor is where to read on; with nothing new it is
// the cursor given, so that a reader polls with it until events come.
func (s *Server) handleEvents(c echo.Context) error {
	if s.cfg.Events == nil {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "this node has no events outbox")
	}
	after := c.QueryParam("after")
	if len(after) > cursorLenMax {
		return boxoffice.Errorf(boxoffice.EINVALID, "after is longer than %d bytes", cursorLenMax)
	}
	limit := boxoffice.PageLimitDefault
	if raw := c.QueryParam("limit"); raw != "" || c.QueryParams().Has("limit") {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > boxoffice.PageLimitMax {
			return boxoffice.Errorf(boxoffice.EINVALID, "limit must be a whole number from 1 to %d", boxoffice.PageLimitMax)
		}
		limit = n
	}
	items, next, err := s.cfg.Events.Events(c.Request().Context(), after, limit)
	if err != nil {
		return err
	}
	return list(c, items, next)
}
