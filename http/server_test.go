package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/bcrypt"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/leaktest"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

// TestMain fails the package if any test leaves a goroutine behind: servers
// and engines must stop everything they start when closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, leaktest.Options()...) }

var testSecret = []byte("test-secret-for-boxoffice-http-tests-0123456789")

const testPassword = "correct horse battery"

// TestServer is a server over the real engine and SQLite stores of its own
// (in a temporary directory, as in production without PostgreSQL), opened
// on 127.0.0.1:0, with an HTTP client of its own.
type TestServer struct {
	*boxhttp.Server
	Config  boxhttp.Config
	Stores  *boxoffice.Stores
	Users   boxoffice.UserStore
	Catalog boxoffice.CatalogStore
	Notes   boxoffice.NotificationStore
	Engine  *testEngine
	Clock   *clocktest.Clock
	Logs    *syncBuffer
	// Registry holds the server's series (cmd/boxoffice serves its own on
	// the ops listener); Metrics reads it.
	Registry *prometheus.Registry
	client   *http.Client
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NewTestServer builds the server without opening it.
func NewTestServer(tb testing.TB, opts ...func(*boxhttp.Config)) *TestServer {
	tb.Helper()
	ts := &TestServer{
		Clock:    clocktest.New(time.Now().UTC().Truncate(time.Second)),
		Logs:     &syncBuffer{},
		Registry: prometheus.NewRegistry(),
	}
	ts.Stores = openStores(tb)
	ts.Users, ts.Catalog, ts.Notes = ts.Stores.Users, ts.Stores.Catalog, ts.Stores.Notifications
	ts.Engine = newTestEngine(tb, ts.Stores, ts.Clock)
	ts.Config = boxhttp.Config{
		Addr: "127.0.0.1:0", Users: ts.Users, Catalog: ts.Catalog, Notifications: ts.Notes, Events: ts.Stores.Events,
		Showtimes: ts.Engine, Bookings: ts.Engine, JWTSecret: testSecret, Clock: ts.Clock,
		Logger:     slog.New(slog.NewTextHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BcryptCost: bcrypt.MinCost, Registry: ts.Registry,
	}
	for _, o := range opts {
		o(&ts.Config)
	}
	ts.Server = boxhttp.NewServer(ts.Config)
	return ts
}

// openStores opens SQLite stores in a temporary directory, closed when the
// test ends.
func openStores(tb testing.TB) *boxoffice.Stores {
	tb.Helper()
	stores, err := sqlite.Open(context.Background(), tb.TempDir())
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, stores.Close()) })
	return stores
}

// testLogger shows the engine's warnings and errors under -v only.
func testLogger() *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// MustOpenServer opens a test server and closes it when the test ends.
func MustOpenServer(tb testing.TB, opts ...func(*boxhttp.Config)) *TestServer {
	tb.Helper()
	ts := NewTestServer(tb, opts...)
	require.NoError(tb, ts.Open())
	ts.client = &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	tb.Cleanup(func() { ts.MustClose(tb) })
	return ts
}

// Metrics is the server's series in Prometheus' text format, as the ops
// listener of cmd/boxoffice serves them.
func (ts *TestServer) Metrics(tb testing.TB) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(ts.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(tb, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func (ts *TestServer) MustClose(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.client.CloseIdleConnections()
	require.NoError(tb, ts.Close(ctx))
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request. body is nil (no body), a string or []byte (sent as
// is) or a value to encode as JSON. headers are name, value pairs; the
// Content-Type is application/json unless headers set another.
func (ts *TestServer) Do(tb testing.TB, method, path, token string, body any, headers ...string) *Response {
	tb.Helper()
	req := newRequest(tb, method, ts.URL()+path, token, body, headers...)
	if ts.client == nil { // not open: straight to the handler
		w := httptest.NewRecorder()
		ts.Handler().ServeHTTP(w, req)
		return &Response{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	}
	resp, err := ts.client.Do(req)
	require.NoError(tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func newRequest(tb testing.TB, method, url, token string, body any, headers ...string) *http.Request {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(tb, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(tb, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// Decode decodes a 2xx JSON body into v after checking the status.
func (r *Response) Decode(tb testing.TB, status int, v any) {
	tb.Helper()
	require.Equal(tb, status, r.Status, "body: %s", r.Body)
	if v != nil {
		require.NoError(tb, json.Unmarshal(r.Body, v), "body: %s", r.Body)
	}
}

// APIError is the error shape every error answer has.
type APIError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// RequireError checks the status, the JSON error shape and the code, and
// returns the error.
func (r *Response) RequireError(tb testing.TB, status int, code string) APIError {
	tb.Helper()
	require.Equal(tb, status, r.Status, "body: %s", r.Body)
	e := mustErrorShape(tb, r.Header, r.Body)
	require.Equal(tb, code, e.Code, "message: %s", e.Message)
	return e
}

func mustErrorShape(tb testing.TB, h http.Header, body []byte) APIError {
	tb.Helper()
	require.True(tb, strings.HasPrefix(h.Get("Content-Type"), "application/json"), "content type %q", h.Get("Content-Type"))
	var env struct {
		Error *APIError `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(tb, dec.Decode(&env), "body: %s", body)
	require.NotNil(tb, env.Error, "body: %s", body)
	require.NotEmpty(tb, env.Error.Code, "body: %s", body)
	require.NotEmpty(tb, env.Error.Message, "body: %s", body)
	require.NotNil(tb, env.Error.Details, "body: %s", body)
	return *env.Error
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// Register creates a user named name and logs in.
func (ts *TestServer) Register(tb testing.TB, name string) (boxoffice.User, tokenPair) {
	tb.Helper()
	var u boxoffice.User
	ts.Do(tb, "POST", "/api/v1/auth/register", "", map[string]string{
		"email": name + "@example.com", "password": testPassword, "name": name,
	}).Decode(tb, http.StatusCreated, &u)
	return u, ts.Login(tb, u.Email, testPassword)
}

func (ts *TestServer) Login(tb testing.TB, email, password string) tokenPair {
	tb.Helper()
	var tok tokenPair
	ts.Do(tb, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}).
		Decode(tb, http.StatusOK, &tok)
	return tok
}

// Admin creates an admin account in the store and logs in.
func (ts *TestServer) Admin(tb testing.TB) string {
	tb.Helper()
	hash, err := boxhttp.HashPassword(testPassword, bcrypt.MinCost)
	require.NoError(tb, err)
	_, err = ts.Users.UpsertAdmin(context.Background(), &boxoffice.User{ID: boxoffice.NewID(), Email: "admin@example.com",
		Name: "Admin", Role: boxoffice.RoleAdmin, PasswordHash: hash, CreatedAt: ts.Clock.Now()})
	require.NoError(tb, err)
	return ts.Login(tb, "admin@example.com", testPassword).AccessToken
}

// Fixture is a movie, a cinema with one hall (row A standard, row B
// premium, 10 seats each) and a showtime two hours from now.
type Fixture struct {
	Movie    boxoffice.Movie
	Cinema   boxoffice.Cinema
	Showtime boxoffice.Showtime
}

func (ts *TestServer) Fixture(tb testing.TB, admin string) Fixture {
	tb.Helper()
	var f Fixture
	ts.Do(tb, "POST", "/api/v1/movies", admin, map[string]any{
		"title": "Heat", "description": "LA crime", "genres": []string{"Crime"}, "duration_minutes": 170,
		"rating": "R", "release_date": "1995-12-15",
	}).Decode(tb, http.StatusCreated, &f.Movie)
	ts.Do(tb, "POST", "/api/v1/cinemas", admin, map[string]any{
		"name": "Odeon", "city": "Leeds", "halls": []map[string]any{{"name": "Screen 1", "rows": []map[string]any{
			{"row": "A", "seats": 10, "category": "standard"}, {"row": "B", "seats": 10, "category": "premium"},
		}}},
	}).Decode(tb, http.StatusCreated, &f.Cinema)
	ts.Do(tb, "POST", "/api/v1/showtimes", admin, map[string]any{
		"movie_id": f.Movie.ID, "hall_id": f.Cinema.Halls[0].ID, "currency": "EUR",
		"starts_at": ts.Clock.Now().Add(2 * time.Hour).Format(time.RFC3339),
		"prices":    map[string]int{"standard": 1200, "premium": 1800},
	}).Decode(tb, http.StatusCreated, &f.Showtime)
	return f
}

// Hold holds seats of a showtime for the token's user.
func (ts *TestServer) Hold(tb testing.TB, token, showtimeID string, seats ...string) boxoffice.Hold {
	tb.Helper()
	var h boxoffice.Hold
	ts.Do(tb, "POST", "/api/v1/showtimes/"+showtimeID+"/holds", token, map[string]any{"seats": seats}).
		Decode(tb, http.StatusCreated, &h)
	return h
}

func bookingBody(holdID, token string) map[string]any {
	return map[string]any{"hold_id": holdID, "payment": map[string]string{"method": "card", "token": token}}
}

func path(format string, args ...any) string { return fmt.Sprintf("/api/v1"+format, args...) }
