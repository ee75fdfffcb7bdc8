package http

import (
	"encoding/json"
	"errors"
	"io"
	nethttp "net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// Bounds on query parameters.
const (
	cursorLenMax = 256
	queryLenMax  = 300
)

// decodeJSON reads exactly one JSON value into v. It is strict: unknown
// fields, wrong types, malformed or empty bodies and trailing data are all
// EINVALID with a message that names the problem; a body over the limit is
// EPAYLOADTOOLARGE.
func decodeJSON(c echo.Context, v any) error { return decodeJSONFrom(c.Request().Body, v) }

// decodeJSONFrom is decodeJSON from any reader.
func decodeJSONFrom(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *nethttp.MaxBytesError
		if errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return boxoffice.Errorf(boxoffice.EINVALID, "request body has data after the JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var (
		tooLarge  *nethttp.MaxBytesError
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		timeParse *time.ParseError
	)
	switch {
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case errors.Is(err, io.EOF):
		return boxoffice.Errorf(boxoffice.EINVALID, "request body is empty; expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return boxoffice.Errorf(boxoffice.EINVALID, "malformed JSON: unexpected end of body")
	case errors.As(err, &syntax):
		return boxoffice.Errorf(boxoffice.EINVALID, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return boxoffice.Errorf(boxoffice.EINVALID, "request body must be a JSON object")
		}
		return boxoffice.Errorf(boxoffice.EINVALID, "field %s must be %s", typeErr.Field, jsonKind(typeErr.Type)).
			WithDetail("field", typeErr.Field)
	case errors.As(err, &timeParse):
		return boxoffice.Errorf(boxoffice.EINVALID, "times must be RFC 3339, e.g. 2026-01-01T20:00:00Z")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return boxoffice.Errorf(boxoffice.EINVALID, "unknown field %q", truncate(field, 100)).
			WithDetail("field", truncate(field, 100))
	}
	return boxoffice.Errorf(boxoffice.EINVALID, "invalid JSON body")
}

// jsonKind names the JSON type that a Go type expects, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of another type"
}

// page reads ?limit= and ?cursor=. An absent limit is the default; one that
// is not a whole number from 1 to 200 is EINVALID.
func page(c echo.Context) (boxoffice.Page, error) {
	p := boxoffice.Page{Cursor: c.QueryParam("cursor")}
	var err error
	if p.Limit, err = limitParam(c); err != nil {
		return p, err
	}
	if len(p.Cursor) > cursorLenMax {
		return p, boxoffice.Errorf(boxoffice.EINVALID, "cursor is longer than %d bytes", cursorLenMax)
	}
	return p, nil
}

// limitParam is the limit query parameter of a list: PageLimitDefault when
// absent, else a whole number from 1 to PageLimitMax.
func limitParam(c echo.Context) (int, error) {
	raw := c.QueryParam("limit")
	if raw == "" && !c.QueryParams().Has("limit") {
		return boxoffice.PageLimitDefault, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > boxoffice.PageLimitMax {
		return 0, boxoffice.Errorf(boxoffice.EINVALID, "limit must be a whole number from 1 to %d", boxoffice.PageLimitMax)
	}
	return n, nil
}

// listResponse is the body of every list: items and the cursor of the next
// page ("" on the last page).
type listResponse[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func list[T any](c echo.Context, items []T, next string) error {
	if items == nil {
		items = []T{}
	}
	return c.JSON(nethttp.StatusOK, listResponse[T]{Items: items, NextCursor: next})
}

// pathID returns the ID path parameter; anything that is not an ID made by
// boxoffice.NewID is ENOTFOUND without a store lookup.
func pathID(c echo.Context, what string) (string, error) {
	id := c.Param("id")
	if !boxoffice.ValidID(id) {
		return "", boxoffice.Errorf(boxoffice.ENOTFOUND, "%s not found", what)
	}
	return id, nil
}

// queryID reads an optional ID filter; a malformed one is EINVALID.
func queryID(c echo.Context, name string) (string, error) {
	id := c.QueryParam(name)
	if id != "" && !boxoffice.ValidID(id) {
		return "", boxoffice.Errorf(boxoffice.EINVALID, "%s is not a valid id", name)
	}
	return id, nil
}

// queryText reads an optional free-text filter of bounded length.
func queryText(c echo.Context, name string) (string, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if len(v) > queryLenMax {
		return "", boxoffice.Errorf(boxoffice.EINVALID, "%s is longer than %d bytes", name, queryLenMax)
	}
	return v, nil
}

// queryTime reads an optional RFC 3339 time filter, in UTC.
func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, boxoffice.Errorf(boxoffice.EINVALID, "%s must be an RFC 3339 time, e.g. 2026-01-01T20:00:00Z", name)
	}
	return t.UTC(), nil
}

// notFoundAs rewords ENOTFOUND from a store so that the client learns which
// field of its request named something that does not exist.
func notFoundAs(err error, format string, args ...any) error {
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, format, args...)
	}
	return err
}

// callerOf returns who makes the request; auth middleware put it there.
func callerOf(c echo.Context) boxoffice.Caller {
	if cc, ok := c.(*callerContext); ok {
		return cc.caller
	}
	return boxoffice.Caller{}
}

// callerContext is the echo context of a signed-in request with its
// caller, in a field rather than in echo's map of values, which costs a
// map per request.
type callerContext struct {
	echo.Context
	caller boxoffice.Caller
}
