package http

import (
	"context"
	"errors"
	"log/slog"
	"math"
	nethttp "net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// codeMethodNotAllowed is the one error code that only exists at the HTTP
// edge: a known path with a method it does not serve.
const codeMethodNotAllowed = "method_not_allowed"

// statuses is THE map from error codes to HTTP statuses (the responses of
// openapi.json).
var statuses = map[string]int{
	boxoffice.EINVALID:          nethttp.StatusBadRequest,
	boxoffice.EUNAUTHORIZED:     nethttp.StatusUnauthorized,
	boxoffice.EFORBIDDEN:        nethttp.StatusForbidden,
	boxoffice.ENOTFOUND:         nethttp.StatusNotFound,
	codeMethodNotAllowed:        nethttp.StatusMethodNotAllowed,
	boxoffice.ECONFLICT:         nethttp.StatusConflict,
	boxoffice.EGONE:             nethttp.StatusGone,
	boxoffice.EPAYLOADTOOLARGE:  nethttp.StatusRequestEntityTooLarge,
	boxoffice.EUNSUPPORTEDMEDIA: nethttp.StatusUnsupportedMediaType,
	boxoffice.EUNPROCESSABLE:    nethttp.StatusUnprocessableEntity,
	boxoffice.ETOOMANYREQUESTS:  nethttp.StatusTooManyRequests,
	boxoffice.EINTERNAL:         nethttp.StatusInternalServerError,
	boxoffice.EUNAVAILABLE:      nethttp.StatusServiceUnavailable,
}

// codes is statuses reversed, for errors that come from echo or net/http
// with a status only.
var codes = func() map[int]string {
	m := make(map[int]string, len(statuses))
	for code, status := range statuses {
		m[status] = code
	}
	return m
}()

// Errors the middleware returns.
var (
	errBodyTooLarge = boxoffice.Errorf(boxoffice.EPAYLOADTOOLARGE, "request body is larger than %d bytes", bodyLimitBytes)
	errPanic        = boxoffice.Errorf(boxoffice.EINTERNAL, "internal error")
)

// ErrorStatus returns the HTTP status of an error code; unknown codes are 500.
func ErrorStatus(code string) int {
	if status, ok := statuses[code]; ok {
		return status
	}
	return nethttp.StatusInternalServerError
}

// errorResponse is the body of every error answer.
type errorResponse struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// writeError answers err as JSON. Errors that are not application errors
// are logged in full and answered with a generic message; 503 tells the
// client when to retry.
func (s *Server) writeError(err error, c echo.Context) {
	body := s.errorBody(err, c)
	status := ErrorStatus(body.Code)
	if c.Response().Committed {
		s.log.Debug("http: error after the answer started", "request_id", requestIDOf(c), "err", err)
		return
	}
	if status == nethttp.StatusServiceUnavailable || status == nethttp.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", retryAfter(body.Details))
	}
	if err := writeErrorJSON(c, status, body); err != nil {
		s.log.Debug("http: write error answer", "request_id", requestIDOf(c), "err", err)
	}
}

// retryAfter is the Retry-After of a 503 or 429: the wait the error
// states in details["retry_after_seconds"] (a hold cool-down, a rate
// limit), or a second.
func retryAfter(details map[string]any) string {
	switch s := details["retry_after_seconds"].(type) {
	case int:
		return strconv.Itoa(max(1, s))
	case float64: // the details crossed the wire as JSON
		return strconv.Itoa(max(1, int(math.Ceil(s))))
	}
	return "1"
}

// errorBody classifies err: echo's own errors, body limits, deadlines,
// application errors, and everything else as internal.
func (s *Server) errorBody(err error, c echo.Context) errorBody {
	// Most answers are application errors returned as they are (a 409 on
	// a taken seat under a flash sale): no need to search a chain.
	if e, ok := err.(*boxoffice.Error); ok && e.Code != boxoffice.EINTERNAL && ErrorStatus(e.Code) != nethttp.StatusInternalServerError {
		return errorBody{Code: e.Code, Message: e.Message, Details: e.Details}
	}
	var he *echo.HTTPError
	var tooLarge *nethttp.MaxBytesError
	switch {
	case errors.As(err, &he):
		return echoErrorBody(he, c)
	case errors.As(err, &tooLarge):
		return errorBody{Code: boxoffice.EPAYLOADTOOLARGE, Message: errBodyTooLarge.Message}
	case errors.Is(err, context.DeadlineExceeded):
		s.logRequest(c, slog.LevelWarn, "http: request timed out", err)
		return errorBody{Code: boxoffice.EUNAVAILABLE, Message: "request timed out"}
	case errors.Is(err, context.Canceled):
		s.logRequest(c, slog.LevelInfo, "http: request cancelled", err)
		return errorBody{Code: boxoffice.EUNAVAILABLE, Message: "request cancelled"}
	}
	code := boxoffice.ErrorCode(err)
	if code == boxoffice.EINTERNAL || ErrorStatus(code) == nethttp.StatusInternalServerError {
		if err != errPanic { // the recover middleware logged it with its stack
			s.logRequest(c, slog.LevelError, "http: internal error", err)
		}
		return errorBody{Code: boxoffice.EINTERNAL, Message: "internal error"}
	}
	return errorBody{Code: code, Message: boxoffice.ErrorMessage(err), Details: boxoffice.ErrorDetails(err)}
}

// echoErrorBody translates the router's 404 and 405 (and any other status
// echo answers with) into the same JSON shape.
func echoErrorBody(he *echo.HTTPError, c echo.Context) errorBody {
	code, ok := codes[he.Code]
	if !ok {
		code = boxoffice.EINTERNAL
		if he.Code >= 400 && he.Code < 500 {
			code = boxoffice.EINVALID
		}
	}
	msg := "request failed"
	switch he.Code {
	case nethttp.StatusNotFound:
		msg = "no such route: " + c.Request().Method + " " + truncate(c.Request().URL.Path, 200)
	case nethttp.StatusMethodNotAllowed:
		msg = "method " + truncate(c.Request().Method, 20) + " is not allowed here"
	case nethttp.StatusRequestEntityTooLarge:
		msg = errBodyTooLarge.Message
	default:
		if text := nethttp.StatusText(he.Code); text != "" {
			msg = text
		}
	}
	return errorBody{Code: code, Message: msg}
}

func (s *Server) logRequest(c echo.Context, level slog.Level, msg string, err error) {
	r := c.Request()
	s.log.Log(r.Context(), level, msg, "request_id", requestIDOf(c),
		"method", r.Method, "path", r.URL.Path, "err", err)
}

// truncate cuts s to at most n bytes, for echoing client input in messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
