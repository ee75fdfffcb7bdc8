package http

import (
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
	limit, err := limitParam(c)
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Events.Events(c.Request().Context(), after, limit)
	if err != nil {
		return err
	}
	return list(c, items, next)
}
