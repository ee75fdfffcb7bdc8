package http

import "github.com/labstack/echo/v4"

// routeGroup registers routes with their middleware (auth, rate limits)
// composed once, here: echo would compose a route's middleware again on
// every request, an allocation per layer.
type routeGroup struct{ g *echo.Group }

func (r routeGroup) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.g.GET(path, chain(h, m))
}

func (r routeGroup) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.g.POST(path, chain(h, m))
}

func (r routeGroup) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.g.PUT(path, chain(h, m))
}

func (r routeGroup) PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.g.PATCH(path, chain(h, m))
}

func (r routeGroup) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.g.DELETE(path, chain(h, m))
}

// chain wraps h in m, the first middleware outermost, as echo does.
func chain(h echo.HandlerFunc, m []echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return h
}
