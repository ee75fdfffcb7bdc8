package http

import (
	"context"
	"fmt"
	"mime"
	nethttp "net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// The middleware chain, outermost first: requestID, observe, answerErrors,
// recoverPanics, limitBody, requireJSON, timeout. answerErrors writes every
// error answer inside the chain so that observe sees the final status.

const (
	headerRequestID   = "X-Request-ID"
	requestIDLenMax   = 128
	ctxKeyRequestID   = "boxoffice.request_id"
	routeSeatEvents   = APIPrefix + "/showtimes/:id/seats/events"
	routeUnmatched    = "unmatched"
	contentTypeJSON   = "application/json"
	contentTypeStream = "text/event-stream"
)

// requestID keeps a sane X-Request-ID from the client or makes one, and
// echoes it in the answer so that a client's report can be found in logs.
// It also tells browsers not to guess content types.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = boxoffice.NewID()
		}
		c.Set(ctxKeyRequestID, id)
		h := c.Response().Header()
		h.Set(headerRequestID, id)
		h.Set(echo.HeaderXContentTypeOptions, "nosniff")
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > requestIDLenMax {
		return false
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			b == '-' || b == '_' || b == '.' || b == ':'
		if !ok {
			return false
		}
	}
	return true
}

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(ctxKeyRequestID).(string)
	return id
}

// observe counts requests by route template and status, and times them.
// Unknown paths share one label so that scanners cannot grow the series.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if !s.routeSet[route] {
			route = routeUnmatched
		}
		s.metrics.observe(c.Request().Method, route, c.Response().Status, time.Since(start), route != routeSeatEvents)
		return err
	}
}

// answerErrors writes the JSON answer of an error right away, inside the chain.
func (s *Server) answerErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			s.writeError(err, c)
		}
		return nil
	}
}

// recoverPanics turns a handler panic into a logged, counted internal error; the
// process and the other requests carry on.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == nethttp.ErrAbortHandler {
				panic(r) // the handler asked net/http to drop the connection
			}
			s.metrics.panics.Inc()
			s.log.Error("http: handler panic", "request_id", requestIDOf(c),
				"method", c.Request().Method, "path", c.Request().URL.Path,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = errPanic
		}()
		return next(c)
	}
}

// limitBody refuses bodies over 1 MiB: at once when Content-Length says so,
// otherwise when a handler reads past the limit (see decodeJSON).
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > bodyLimitBytes {
			return errBodyTooLarge
		}
		if r.Body != nil && r.Body != nethttp.NoBody {
			r.Body = nethttp.MaxBytesReader(c.Response(), r.Body, bodyLimitBytes)
		}
		return next(c)
	}
}

// requireJSON refuses writes whose body is not JSON.
func (s *Server) requireJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case nethttp.MethodPost, nethttp.MethodPut, nethttp.MethodPatch:
		default:
			return next(c)
		}
		if r.ContentLength == 0 || r.Body == nil || r.Body == nethttp.NoBody {
			return next(c) // nothing to read; handlers that need a body say so
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if err != nil || mt != contentTypeJSON {
			return boxoffice.Errorf(boxoffice.EUNSUPPORTEDMEDIA, "request body must be %s", contentTypeJSON)
		}
		return next(c)
	}
}

// timeout bounds every handler but the seat event stream, which ends when
// its client leaves or the server closes.
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() == routeSeatEvents {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}
