package http

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// errorJSONBufs are the buffers error answers are written from. A refused
// hold is the most common answer of a flash sale: its body is built here
// without reflection and from a reused buffer.
var errorJSONBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// errorJSONBufMax is the largest buffer kept for reuse; a larger answer's
// goes to the garbage collector.
const errorJSONBufMax = 16 << 10

// writeErrorJSON writes the error answer as c.JSON would, byte for byte.
// A request with a query string goes through c.JSON itself, since echo
// indents its answers when the query has "pretty".
func writeErrorJSON(c echo.Context, status int, body errorBody) error {
	if c.Request().URL.RawQuery != "" {
		return c.JSON(status, errorResponseOf(body))
	}
	bp := errorJSONBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= errorJSONBufMax {
			errorJSONBufs.Put(bp)
		}
	}()
	b, ok := appendErrorJSON((*bp)[:0], body)
	*bp = b
	if !ok {
		return c.JSON(status, errorResponseOf(body))
	}
	res := c.Response()
	if h := res.Header(); len(h[keyContentType]) == 0 || h[keyContentType][0] == "" {
		h[keyContentType] = valueJSON
	}
	res.WriteHeader(status)
	_, err := res.Write(b)
	return err
}

// errorResponseOf is the answer for encoding/json: details are always an
// object, empty rather than null.
func errorResponseOf(body errorBody) errorResponse {
	if body.Details == nil {
		body.Details = map[string]any{}
	}
	return errorResponse{Error: body}
}

// appendErrorJSON appends the JSON of an error answer exactly as
// encoding/json's Encoder writes errorResponse (details' keys sorted, HTML
// characters escaped, a newline at the end). It returns false if a detail
// cannot be encoded; the caller then leaves the answer to encoding/json.
func appendErrorJSON(b []byte, e errorBody) ([]byte, bool) {
	b = append(b, `{"error":{"code":`...)
	b = appendJSONString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message)
	b = append(b, `,"details":{`...)
	var keysArr [8]string
	keys := keysArr[:0]
	for k := range e.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var ok bool
		if b, ok = appendJSONValue(b, e.Details[k]); !ok {
			return b, false
		}
	}
	return append(b, "}}}\n"...), true
}

// appendJSONValue appends a detail: the kinds that details hold by hand,
// anything else through encoding/json.
func appendJSONValue(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v), true
	case int:
		return strconv.AppendInt(b, int64(v), 10), true
	case []string:
		if v == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']'), true
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}

// appendJSONString appends s as a JSON string. Plain printable ASCII,
// nearly every code, message and seat label, is copied as it is; anything
// that encoding/json would escape goes through it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always encodes
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
