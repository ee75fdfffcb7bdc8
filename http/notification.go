package http

import (
	"github.com/labstack/echo/v4"
)

func (s *Server) notificationRoutes(g routeGroup) {
	g.GET("/notifications", s.handleNotifications, s.authn)
}

// handleNotifications lists the caller's notifications, newest first.
func (s *Server) handleNotifications(c echo.Context) error {
	p, err := page(c)
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Notifications.NotificationsByUser(c.Request().Context(), callerOf(c).UserID, p)
	if err != nil {
		return err
	}
	return list(c, items, next)
}
