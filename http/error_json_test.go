package http_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// encodingJSONError is what encoding/json's Encoder writes for an error
// answer: the bytes the server's own encoder must reproduce.
func encodingJSONError(tb testing.TB, code, message string, details map[string]any) ([]byte, error) {
	tb.Helper()
	if details == nil {
		details = map[string]any{}
	}
	var body struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message, body.Error.Details = code, message, details
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(body)
	return buf.Bytes(), err
}

// TestErrorJSON proves the error answers built without reflection are
// byte for byte what encoding/json writes, whatever the message and
// details hold, and that a detail encoding/json cannot encode is left to
// it.
func TestErrorJSON(t *testing.T) {
	many := map[string]any{}
	for _, k := range strings.Split("k j i h g f e d c b a", " ") {
		many[k] = k
	}
	cases := map[string]struct {
		code, message string
		details       map[string]any
	}{
		"NoDetails":        {boxoffice.ENOTFOUND, "hold not found", nil},
		"EmptyDetails":     {boxoffice.ENOTFOUND, "hold not found", map[string]any{}},
		"SeatTaken":        {boxoffice.ECONFLICT, "seat A1 is not available", map[string]any{"unavailable": []string{"A1", "B12"}}},
		"FromTheWire":      {boxoffice.ECONFLICT, "seat A1 is not available", map[string]any{"unavailable": []any{"A1"}}},
		"Numbers":          {boxoffice.ETOOMANYREQUESTS, "retry", map[string]any{"retry_after_seconds": 3, "limit": "hold-ip", "f": 2.5, "big": 1e21, "neg": -7}},
		"NilSeats":         {boxoffice.ECONFLICT, "x", map[string]any{"seats": []string(nil), "empty": []string{}}},
		"Nested":           {boxoffice.EINVALID, "x", map[string]any{"m": map[string]any{"b": true, "a": nil}, "t": true}},
		"HTML":             {boxoffice.EINVALID, `field "<b>&" is bad`, map[string]any{"field": "<script>&amp;</script>"}},
		"Escapes":          {boxoffice.EINVALID, "tab\tnew\nline\\ quote\" \x00 \x1f \x7f", map[string]any{"k\"ey<": "v\r"}},
		"Unicode":          {boxoffice.EINVALID, "Zoë wants café \u2028 \u2029 ☃", map[string]any{"name": "José"}},
		"InvalidUTF8":      {boxoffice.EINVALID, "bad \xff\xfe byte", map[string]any{"field": "\xc3"}},
		"ManyKeys":         {boxoffice.EINVALID, "many", many},
		"MethodNotAllowed": {"method_not_allowed", "method BREW is not allowed here", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := encodingJSONError(t, tc.code, tc.message, tc.details)
			require.NoError(t, err)
			got, ok := boxhttp.ErrorJSON(tc.code, tc.message, tc.details)
			require.True(t, ok)
			assert.Equal(t, string(want), string(got))
		})
	}
	t.Run("Unencodable", func(t *testing.T) {
		_, ok := boxhttp.ErrorJSON(boxoffice.EINVALID, "x", map[string]any{"nan": math.NaN()})
		assert.False(t, ok)
	})
}

// FuzzErrorJSON checks the same for any code, message and detail.
func FuzzErrorJSON(f *testing.F) {
	f.Add("conflict", "seat A1 is not available", "unavailable", "A1")
	f.Add("invalid", "<&>\u2028\xff", "k\x00", "\"\\")
	f.Fuzz(func(t *testing.T, code, message, key, value string) {
		for _, details := range []map[string]any{nil, {key: value}, {key: []string{value, key}}, {key: len(value), value: []any{key}}} {
			want, err := encodingJSONError(t, code, message, details)
			require.NoError(t, err)
			got, ok := boxhttp.ErrorJSON(code, message, details)
			require.True(t, ok)
			require.Equal(t, string(want), string(got))
		}
	})
}

// TestErrorAnswerQuery proves an error answer does not depend on the query
// string, except that echo indents it for ?pretty.
func TestErrorAnswerQuery(t *testing.T) {
	ts := NewTestServer(t)
	id := boxoffice.NewID()
	movie := path("/movies/%s", id)
	plain := ts.Do(t, "GET", movie, "", nil)
	plain.RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	assert.Equal(t, `{"error":{"code":"not_found","message":"movie `+id+` not found","details":{}}}`+"\n", string(plain.Body))
	assert.Equal(t, "application/json", plain.Header.Get("Content-Type"))
	other := ts.Do(t, "GET", movie+"?q=1", "", nil)
	assert.Equal(t, string(plain.Body), string(other.Body))
	assert.Equal(t, plain.Header.Get("Content-Type"), other.Header.Get("Content-Type"))
	pretty := ts.Do(t, "GET", movie+"?pretty", "", nil)
	pretty.RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	assert.Contains(t, string(pretty.Body), "{\n  \"error\": {\n    \"code\": \"not_found\"")
}
