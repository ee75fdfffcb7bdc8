package http_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// strictSeats decodes a hold request as the server's strict decoder does:
// unknown fields and trailing data are errors.
func strictSeats(b []byte) ([]string, error) {
	var req struct {
		Seats []string `json:"seats"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the value")
	}
	return req.Seats, nil
}

var holdBodies = map[string]bool{ // body: parsed without encoding/json
	`{"seats":["A1"]}`: true,
	" { \"seats\" :\t[ \"A1\" ,\r\n\"B12\" ] } \n": true,
	`{"seats":[]}`:          true,
	`{"seats":[""]}`:        true,
	`{"seats":["A1","A1"]}`: true,
	`{"seats":["1","2","3","4","5","6","7","8","9","10","11"]}`:      true,
	`{"seats":["1","2","3","4","5","6","7","8","9","10","11","12"]}`: false,
	`{"SEATS":["A1"]}`:                false,
	`{"seats":["A\u0031"]}`:           false,
	`{"seats":["é"]}`:                 false,
	`{"seats":null}`:                  false,
	`{"seats":[1]}`:                   false,
	`{"seats":["A1",]}`:               false,
	`{"seats":["A1"],"x":1}`:          false,
	`{"seats":["A1"],"seats":["B1"]}`: false,
	`{"seats":["A1"]}x`:               false,
	`{"seats":["A1"]} {}`:             false,
	`{"seats":["A1"`:                  false,
	`{"seats":["A1]}`:                 false,
	`["A1"]`:                          false,
	``:                                false,
}

// TestParseHoldSeats proves the parser of the common hold request takes
// the shape clients send and leaves everything else to encoding/json,
// and that what it takes encoding/json decodes to the same seats.
func TestParseHoldSeats(t *testing.T) {
	for body, want := range holdBodies {
		seats, ok := boxhttp.ParseHoldSeats([]byte(body))
		require.Equal(t, want, ok, "%q", body)
		if ok {
			ref, err := strictSeats([]byte(body))
			require.NoError(t, err, "%q", body)
			assert.Equal(t, ref, seats, "%q", body)
		}
	}
}

// FuzzParseHoldSeats checks the same on any body.
func FuzzParseHoldSeats(f *testing.F) {
	for body := range holdBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		seats, ok := boxhttp.ParseHoldSeats(body)
		if !ok {
			return
		}
		ref, err := strictSeats(body)
		require.NoError(t, err)
		require.Equal(t, ref, seats)
	})
}

// TestHoldBodies proves a hold request gets the same answer whichever way
// its body is read: parsed whole, decoded by encoding/json, streamed
// without a length, or longer than the length it states.
func TestHoldBodies(t *testing.T) {
	st := boxoffice.NewID()
	ts := NewTestServer(t, rateLimitsOff, func(c *boxhttp.Config) {
		c.Showtimes = &instantShowtimes{holdID: boxoffice.NewHoldID(st), taken: "A1"}
	})
	_, tok := ts.Register(t, "ann")
	holds := path("/showtimes/%s/holds", st)
	send := func(body io.Reader, length int64) *Response {
		r := httptest.NewRequest("POST", holds, body)
		r.ContentLength = length
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		w := httptest.NewRecorder()
		ts.Handler().ServeHTTP(w, r)
		return &Response{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	}
	cases := map[string]struct {
		status  int
		message string
	}{
		`{"seats":["B2"]}`:               {http.StatusCreated, ""},
		`{"SEATS":["B2"]}`:               {http.StatusCreated, ""},
		`{"seats":["\u0042\u0032"]}`:     {http.StatusCreated, ""},
		`{"seats":["A1"]}`:               {http.StatusConflict, "seat A1 is not available"},
		`{"seats":[]}`:                   {http.StatusBadRequest, "seats: at least one seat is required"},
		`{"seats":["B2","B2"]}`:          {http.StatusBadRequest, "seats: B2 appears twice"},
		`{"seats":[""]}`:                 {http.StatusBadRequest, `seats: "" is not a seat label such as A1`},
		`{"seats":["B2"]}x`:              {http.StatusBadRequest, "request body has data after the JSON value"},
		`{"seats":["B2"],"x":1}`:         {http.StatusBadRequest, `unknown field "x"`},
		`{"seats":[1]}`:                  {http.StatusBadRequest, "field seats must be a string"},
		`{"seats":["B2"`:                 {http.StatusBadRequest, "malformed JSON: unexpected end of body"},
		`{"seats":["B2"]]`:               {http.StatusBadRequest, "malformed JSON at byte 16"},
		strings.Repeat(" ", 2000) + `{}`: {http.StatusBadRequest, "seats: at least one seat is required"},
	}
	for body, want := range cases {
		for name, r := range map[string]*Response{
			"Sized":   send(strings.NewReader(body), int64(len(body))),
			"Chunked": send(io.MultiReader(strings.NewReader(body)), -1),
		} {
			if want.status == http.StatusCreated {
				r.Decode(t, want.status, nil)
				continue
			}
			code := boxoffice.EINVALID
			if want.status == http.StatusConflict {
				code = boxoffice.ECONFLICT
			}
			e := r.RequireError(t, want.status, code)
			assert.Equal(t, want.message, e.Message, "%s %q", name, body)
		}
	}
	t.Run("LongerThanStated", func(t *testing.T) {
		body := `{"seats":["B2"]} {}`
		e := send(strings.NewReader(body), 16).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		assert.Equal(t, "request body has data after the JSON value", e.Message)
	})
	t.Run("CutShort", func(t *testing.T) {
		body := `{"seats":["B2"]}`
		e := send(strings.NewReader(body[:10]), int64(len(body))).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		assert.Equal(t, "malformed JSON: unexpected end of body", e.Message)
	})
}
