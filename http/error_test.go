package http_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// TestBadInput proves malformed requests of every kind get a JSON 4xx that
// names the problem, never a 5xx.
func TestBadInput(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	cases := []struct {
		name, body, contentType string
		status                  int
		code, message           string
	}{
		{"Malformed", `{"title": "X",`, "", 400, boxoffice.EINVALID, "malformed JSON"},
		{"SyntaxError", `{"title" "X"}`, "", 400, boxoffice.EINVALID, "malformed JSON at byte"},
		{"UnknownField", `{"title": "X", "duration_minutes": 90, "director": "Mann"}`, "", 400, boxoffice.EINVALID, `unknown field "director"`},
		{"WrongType", `{"title": "X", "duration_minutes": "90"}`, "", 400, boxoffice.EINVALID, "field duration_minutes must be an integer"},
		{"WrongNestedType", `{"title": "X", "duration_minutes": 90, "genres": [1]}`, "", 400, boxoffice.EINVALID, "field genres must be a string"},
		{"Float", `{"title": "X", "duration_minutes": 90.5}`, "", 400, boxoffice.EINVALID, "duration_minutes"},
		{"Overflow", `{"title": "X", "duration_minutes": 1e100}`, "", 400, boxoffice.EINVALID, "duration_minutes"},
		{"Empty", ``, "", 400, boxoffice.EINVALID, "empty"},
		{"Whitespace", "  \n ", "", 400, boxoffice.EINVALID, "empty"},
		{"Null", `null`, "", 400, boxoffice.EINVALID, "title is required"},
		{"Array", `[1, 2]`, "", 400, boxoffice.EINVALID, "must be a JSON object"},
		{"String", `"movie"`, "", 400, boxoffice.EINVALID, "must be a JSON object"},
		{"TrailingData", `{"title": "X", "duration_minutes": 90} {"x": 1}`, "", 400, boxoffice.EINVALID, "after the JSON value"},
		{"TrailingGarbage", `{"title": "X", "duration_minutes": 90}xyz`, "", 400, boxoffice.EINVALID, "after the JSON value"},
		{"TextPlain", `{"title": "X", "duration_minutes": 90}`, "text/plain", 415, boxoffice.EUNSUPPORTEDMEDIA, "application/json"},
		{"Form", `title=X`, "application/x-www-form-urlencoded", 415, boxoffice.EUNSUPPORTEDMEDIA, "application/json"},
		{"BadMediaType", `{}`, "application/json; =", 415, boxoffice.EUNSUPPORTEDMEDIA, "application/json"},
		{"JSONWithCharset", `{"title": "X", "duration_minutes": 90}`, "application/json; charset=utf-8", 201, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.contentType != "" {
				hdr = []string{"Content-Type", tc.contentType}
			}
			r := ts.Do(t, "POST", "/api/v1/movies", admin, tc.body, hdr...)
			if tc.code == "" {
				require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
				return
			}
			e := r.RequireError(t, tc.status, tc.code)
			assert.Contains(t, e.Message, tc.message)
		})
	}
	t.Run("MissingContentType", func(t *testing.T) {
		req := newRequest(t, "POST", ts.URL()+"/api/v1/movies", admin, `{"title": "X", "duration_minutes": 90}`)
		req.Header.Del("Content-Type")
		resp, err := ts.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		(&Response{Status: resp.StatusCode, Header: resp.Header, Body: body}).RequireError(t, 415, boxoffice.EUNSUPPORTEDMEDIA)
	})
}

// TestBodyLimit proves a body over 1 MiB is 413, whether its length is
// announced or it arrives chunked.
func TestBodyLimit(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	big := `{"title": "` + strings.Repeat("x", 2<<20) + `", "duration_minutes": 90}`
	t.Run("ContentLength", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/movies", admin, big).RequireError(t, http.StatusRequestEntityTooLarge, boxoffice.EPAYLOADTOOLARGE)
	})
	t.Run("Chunked", func(t *testing.T) {
		req := newRequest(t, "POST", ts.URL()+"/api/v1/movies", admin, nil, "Content-Type", "application/json")
		req.Body = io.NopCloser(io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		resp, err := ts.client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		(&Response{Status: resp.StatusCode, Header: resp.Header, Body: body}).
			RequireError(t, http.StatusRequestEntityTooLarge, boxoffice.EPAYLOADTOOLARGE)
	})
	t.Run("PublicRoute", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/login", "", big).RequireError(t, http.StatusRequestEntityTooLarge, boxoffice.EPAYLOADTOOLARGE)
	})
	t.Run("JustUnder", func(t *testing.T) {
		body := bytes.Repeat([]byte(" "), 1<<20-40)
		body = append(body, `{"title": "X", "duration_minutes": 90}`...)
		ts.Do(t, "POST", "/api/v1/movies", admin, body).Decode(t, http.StatusCreated, nil)
	})
}

// TestRoutingErrors proves the router's own answers use the error shape.
func TestRoutingErrors(t *testing.T) {
	ts := MustOpenServer(t)
	for _, p := range []string{"/", "/nope", "/api/v1", "/api/v1/nope", "/api/v2/movies", "/api/v1/showtimes/x/y"} {
		e := ts.Do(t, "GET", p, "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		assert.Contains(t, e.Message, "no such route")
	}
	// echo lets a trailing parameter take the rest of the path; the ID
	// check still answers 404.
	ts.Do(t, "GET", "/api/v1/movies/x/y", "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	r := ts.Do(t, "PATCH", "/api/v1/movies", "", `{}`)
	r.RequireError(t, http.StatusMethodNotAllowed, "method_not_allowed")
	assert.Contains(t, r.Header.Get("Allow"), "GET")
	t.Run("AuthAfterRouting", func(t *testing.T) {
		// An unknown route under a protected prefix is 404, not 401.
		ts.Do(t, "GET", "/api/v1/bookings/x/y/z", "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}

// TestBadLimit proves ?limit= is a whole number from 1 to 200.
func TestBadLimit(t *testing.T) {
	ts := MustOpenServer(t)
	for _, q := range []string{"limit=abc", "limit=0", "limit=-1", "limit=201", "limit=1e2", "limit=", "limit=99999999999999999999",
		"cursor=" + strings.Repeat("c", 300)} {
		ts.Do(t, "GET", "/api/v1/movies?"+q, "", nil).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		ts.Do(t, "GET", "/api/v1/cinemas?"+q, "", nil).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	}
	for _, q := range []string{"limit=1", "limit=200"} {
		ts.Do(t, "GET", "/api/v1/movies?"+q, "", nil).Decode(t, http.StatusOK, nil)
	}
}

// TestFailures proves how the server answers its own failures: a panic and
// an unexpected error are a logged 500 that leaks nothing; an unavailable
// dependency and a handler past its deadline are 503 with Retry-After.
func TestFailures(t *testing.T) {
	cluster := func(fn func(ctx context.Context) (any, error)) func(*boxhttp.Config) {
		return func(c *boxhttp.Config) { c.ClusterInfo = fn }
	}
	t.Run("Panic", func(t *testing.T) {
		ts := MustOpenServer(t, cluster(func(context.Context) (any, error) { panic("boom: secret state") }))
		r := ts.Do(t, "GET", "/api/v1/cluster", ts.Admin(t), nil)
		e := r.RequireError(t, http.StatusInternalServerError, boxoffice.EINTERNAL)
		assert.Equal(t, "internal error", e.Message)
		assert.NotContains(t, string(r.Body), "secret")
		assert.Contains(t, ts.Logs.String(), "boom: secret state")
		assert.Contains(t, ts.Logs.String(), r.Header.Get("X-Request-ID"))
		assert.Contains(t, ts.Metrics(t), "boxoffice_http_panics_total 1")
		ts.Do(t, "GET", "/healthz", "", nil).Decode(t, http.StatusOK, nil) // still serving
	})
	t.Run("UnexpectedError", func(t *testing.T) {
		ts := MustOpenServer(t, cluster(func(context.Context) (any, error) { return nil, errors.New("dial db: password=hunter2") }))
		r := ts.Do(t, "GET", "/api/v1/cluster", ts.Admin(t), nil)
		e := r.RequireError(t, http.StatusInternalServerError, boxoffice.EINTERNAL)
		assert.Equal(t, "internal error", e.Message)
		assert.NotContains(t, string(r.Body), "hunter2")
		assert.Contains(t, ts.Logs.String(), "hunter2")
	})
	t.Run("Unavailable", func(t *testing.T) {
		ts := MustOpenServer(t, cluster(func(context.Context) (any, error) {
			return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "member down")
		}))
		r := ts.Do(t, "GET", "/api/v1/cluster", ts.Admin(t), nil)
		r.RequireError(t, http.StatusServiceUnavailable, boxoffice.EUNAVAILABLE)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
	})
	t.Run("Timeout", func(t *testing.T) {
		// Only the handler that waits for its deadline runs under the short
		// one: the admin's token is signed here rather than logged in for,
		// so no other request has to finish within 100ms.
		ts := MustOpenServer(t, cluster(func(ctx context.Context) (any, error) { <-ctx.Done(); return nil, ctx.Err() }),
			func(c *boxhttp.Config) { c.RequestTimeout = 100 * time.Millisecond })
		// Admin routes check the stored role too, so the account is stored.
		stored, err := ts.Users.UpsertAdmin(context.Background(), &boxoffice.User{ID: boxoffice.NewID(),
			Email: "admin@example.com", Name: "Admin", Role: boxoffice.RoleAdmin, PasswordHash: "x", CreatedAt: ts.Clock.Now()})
		require.NoError(t, err)
		admin := sign(t, jwt.SigningMethodHS256, testSecret, claimsFor(stored.ID, boxoffice.RoleAdmin, ts.Clock.Now()))
		r := ts.Do(t, "GET", "/api/v1/cluster", admin, nil)
		r.RequireError(t, http.StatusServiceUnavailable, boxoffice.EUNAVAILABLE)
		assert.Equal(t, "1", r.Header.Get("Retry-After"))
	})
}

// TestRequestID proves every answer carries a request ID: the client's if
// it is sane, a new one otherwise.
func TestRequestID(t *testing.T) {
	ts := MustOpenServer(t)
	r := ts.Do(t, "GET", "/healthz", "", nil)
	assert.True(t, boxoffice.ValidID(r.Header.Get("X-Request-ID")))
	r = ts.Do(t, "GET", "/nope", "", nil, "X-Request-ID", "client-req-42")
	assert.Equal(t, "client-req-42", r.Header.Get("X-Request-ID"))
	r = ts.Do(t, "GET", "/healthz", "", nil, "X-Request-ID", "bad id\twith spaces")
	assert.True(t, boxoffice.ValidID(r.Header.Get("X-Request-ID")))
}

// TestErrorStatus proves the one code-to-status map covers every code.
func TestErrorStatus(t *testing.T) {
	for code, status := range map[string]int{
		boxoffice.EINVALID: 400, boxoffice.EUNAUTHORIZED: 401, boxoffice.EFORBIDDEN: 403, boxoffice.ENOTFOUND: 404,
		boxoffice.ECONFLICT: 409, boxoffice.EGONE: 410, boxoffice.EPAYLOADTOOLARGE: 413, boxoffice.EUNSUPPORTEDMEDIA: 415,
		boxoffice.EUNPROCESSABLE: 422, boxoffice.ETOOMANYREQUESTS: 429, boxoffice.EINTERNAL: 500, boxoffice.EUNAVAILABLE: 503,
		"no-such-code": 500,
	} {
		assert.Equal(t, status, boxhttp.ErrorStatus(code), code)
	}
}
