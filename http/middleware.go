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

// Every request passes front, which does in turn, outermost first:
// requestID, observe, answerErrors, recoverPanics, limitBody, requireJSON,
// timeout. answerErrors writes every error answer inside the chain so that
// observe sees the final status. They are steps of one middleware rather
// than seven middlewares because echo composes middleware on every
// request, each layer an allocation; route middleware (auth, rate limits)
// is composed once when the route is registered (see routeGroup).

const (
	headerRequestID   = "X-Request-ID"
	requestIDLenMax   = 128
	routeSeatEvents   = APIPrefix + "/showtimes/:id/seats/events"
	routeUnmatched    = "unmatched"
	contentTypeJSON   = "application/json"
	contentTypeStream = "text/event-stream"
)

// Header keys in the canonical form net/http stores them under, so that
// the hot path reads and writes the header maps without canonicalizing.
const (
	keyRequestID          = "X-Request-Id"
	keyContentTypeOptions = "X-Content-Type-Options"
	keyCacheControl       = "Cache-Control"
	keyContentType        = "Content-Type"
)

// Header values every answer (or every signed-in answer) carries, shared
// rather than made per request. Their length equals their capacity, so a
// later Add copies instead of writing into them.
var (
	valueNosniff = []string{"nosniff"}
	valueNoStore = []string{"no-store"}
	valueJSON    = []string{contentTypeJSON}
)

// front runs the steps every request goes through (see above).
func (s *Server) front(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		s.requestID(c)
		start := time.Now()
		if err := s.guard(c, next); err != nil {
			s.writeError(err, c)
		}
		s.observe(c, start)
		return nil
	}
}

// guard runs the handler behind the body checks and the timeout, and turns
// a panic in any of them into an error.
func (s *Server) guard(c echo.Context, next echo.HandlerFunc) (err error) {
	defer s.recoverPanics(c, &err)
	if err := limitBody(c); err != nil {
		return err
	}
	if err := requireJSON(c); err != nil {
		return err
	}
	return s.timeout(c, next)
}

// requestID keeps a sane X-Request-ID from the client or makes one, and
// echoes it in the answer so that a client's report can be found in logs
// (requestIDOf reads it back from there). It also tells browsers not to
// guess content types.
func (s *Server) requestID(c echo.Context) {
	var id string
	if v := c.Request().Header[keyRequestID]; len(v) > 0 {
		id = v[0]
	}
	if !validRequestID(id) {
		id = s.requestIDs.next()
	}
	h := c.Response().Header()
	h[keyRequestID] = []string{id}
	h[keyContentTypeOptions] = valueNosniff
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
	if v := c.Response().Header()[keyRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// observe counts the request by route template and status, and times it.
// Unknown paths share one label so that scanners cannot grow the series.
func (s *Server) observe(c echo.Context, start time.Time) {
	route := c.Path()
	if !s.routeSet[route] {
		route = routeUnmatched
	}
	s.metrics.observe(c.Request().Method, route, c.Response().Status, time.Since(start), route != routeSeatEvents)
}

// recoverPanics, deferred, turns a handler panic into a logged, counted
// internal error; the process and the other requests carry on.
func (s *Server) recoverPanics(c echo.Context, err *error) {
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
	*err = errPanic
}

// limitBody refuses bodies over 1 MiB: at once when Content-Length says so,
// otherwise when a handler reads past the limit (see decodeJSON). A body
// of a stated length within the limit needs no reader of its own: net/http
// never reads more than the length stated.
func limitBody(c echo.Context) error {
	r := c.Request()
	if r.ContentLength > bodyLimitBytes {
		return errBodyTooLarge
	}
	if r.Body != nil && r.Body != nethttp.NoBody && r.ContentLength <= 0 {
		r.Body = nethttp.MaxBytesReader(c.Response(), r.Body, bodyLimitBytes)
	}
	return nil
}

// requireJSON refuses writes whose body is not JSON.
func requireJSON(c echo.Context) error {
	r := c.Request()
	switch r.Method {
	case nethttp.MethodPost, nethttp.MethodPut, nethttp.MethodPatch:
	default:
		return nil
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == nethttp.NoBody {
		return nil // nothing to read; handlers that need a body say so
	}
	var ct string
	if v := r.Header[keyContentType]; len(v) > 0 {
		ct = v[0]
	}
	if ct == contentTypeJSON {
		return nil // what clients send, without parameters to parse
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != contentTypeJSON {
		return boxoffice.Errorf(boxoffice.EUNSUPPORTEDMEDIA, "request body must be %s", contentTypeJSON)
	}
	return nil
}

// timeout bounds every handler but the seat event stream, which ends when
// its client leaves or the server closes.
func (s *Server) timeout(c echo.Context, next echo.HandlerFunc) error {
	if c.Path() == routeSeatEvents {
		return next(c)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetRequest(c.Request().WithContext(ctx))
	return next(c)
}
