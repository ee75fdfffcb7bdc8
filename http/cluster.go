package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

func (s *Server) clusterRoutes(g routeGroup) {
	g.GET("/cluster", s.handleCluster, s.admin)
}

// handleCluster answers what Config.ClusterInfo reports: this node, the
// members and the showtime grains active here. Without a cluster it is 404.
func (s *Server) handleCluster(c echo.Context) error {
	if s.cfg.ClusterInfo == nil {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "this node does not run in a cluster")
	}
	info, err := s.cfg.ClusterInfo(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, info)
}
