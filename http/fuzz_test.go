package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hangUp is a recorder whose client hangs up as soon as the handler has
// written something: a seat stream ends only with its client, and this
// ends it once it has answered, however long the answer took.
type hangUp struct {
	*httptest.ResponseRecorder
	cancel context.CancelFunc
}

func (w hangUp) Write(p []byte) (int, error) {
	defer w.cancel()
	return w.ResponseRecorder.Write(p)
}

func (w hangUp) Flush() {
	w.ResponseRecorder.Flush()
	w.cancel()
}

// serve sends one request straight to the handler, without a network.
// Streams are cut off once they have answered.
func serve(ctx context.Context, h http.Handler, method, target, token, body, contentType string) (*httptest.ResponseRecorder, bool) {
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://boxoffice.test"+target, strings.NewReader(body))
	if err != nil {
		return nil, false // not a request a client could send
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := hangUp{ResponseRecorder: httptest.NewRecorder(), cancel: cancel}
	h.ServeHTTP(w, req.WithContext(ctx))
	return w.ResponseRecorder, true
}

// FuzzHandlers sends random methods, paths and bodies, as nobody, a user or
// an admin, and asserts the server never answers 5xx and every error has
// the JSON error shape. The server runs on the real engine and SQLite
// stores, so the claim holds for the product, not for a stand-in. The
// seeds cover every route with real IDs so that mutations reach deep into
// the handlers and the grains.
func FuzzHandlers(f *testing.F) {
	ts := NewTestServer(f) // not opened: requests go straight to the handler
	h := ts.Handler()
	admin := ts.Admin(f)
	_, tok := ts.Register(f, "fuzz")
	tokens := []string{"", tok.AccessToken, admin, "garbage"}
	fx := ts.Fixture(f, admin)
	movie, cinema, st := fx.Movie, fx.Cinema, fx.Showtime
	hold := ts.Hold(f, tok.AccessToken, st.ID, "A1")

	seeds := []struct{ method, path, body string }{
		{"POST", "/api/v1/auth/register", `{"email":"a@b.co","password":"12345678","name":"n"}`},
		{"POST", "/api/v1/auth/login", `{"email":"fuzz@example.com","password":"x"}`},
		{"POST", "/api/v1/auth/refresh", `{"refresh_token":"` + tok.RefreshToken + `"}`},
		{"GET", "/api/v1/users/me", ``},
		{"PATCH", "/api/v1/users/me", `{"name":"x"}`},
		{"PUT", "/api/v1/admin/users/" + movie.ID + "/role", `{"role":"admin"}`},
		{"GET", "/api/v1/movies?q=m&genre=x&limit=2&cursor=" + movie.ID, ``},
		{"GET", "/api/v1/movies/" + movie.ID, ``},
		{"POST", "/api/v1/movies", `{"title":"t","duration_minutes":1,"genres":["a"],"release_date":"2026-01-01"}`},
		{"PUT", "/api/v1/movies/" + movie.ID, `{"title":"t","duration_minutes":1}`},
		{"DELETE", "/api/v1/movies/" + movie.ID, ``},
		{"GET", "/api/v1/cinemas?limit=1", ``},
		{"GET", "/api/v1/cinemas/" + cinema.ID, ``},
		{"POST", "/api/v1/cinemas", `{"name":"c","city":"x","halls":[{"name":"h","rows":[{"row":"A","seats":1,"category":"s"}]}]}`},
		{"GET", "/api/v1/showtimes?movie_id=" + movie.ID + "&from=2026-01-01T00:00:00Z", ``},
		{"GET", "/api/v1/showtimes/" + st.ID, ``},
		{"POST", "/api/v1/showtimes", `{"movie_id":"` + movie.ID + `","hall_id":"` + cinema.Halls[0].ID + `","starts_at":"2099-01-01T00:00:00Z","prices":{"standard":1,"premium":2},"currency":"EUR"}`},
		{"DELETE", "/api/v1/showtimes/" + st.ID, ``},
		{"GET", "/api/v1/showtimes/" + st.ID + "/seats", ``},
		{"GET", "/api/v1/showtimes/" + st.ID + "/seats/events", ``},
		{"POST", "/api/v1/showtimes/" + st.ID + "/holds", `{"seats":["A2","A3"]}`},
		{"GET", "/api/v1/holds/" + hold.ID, ``},
		{"DELETE", "/api/v1/holds/" + hold.ID, ``},
		{"POST", "/api/v1/bookings", `{"hold_id":"` + hold.ID + `","payment":{"method":"card","token":"tok_visa"}}`},
		{"GET", "/api/v1/bookings?limit=5", ``},
		{"GET", "/api/v1/bookings/" + movie.ID, ``},
		{"POST", "/api/v1/bookings/" + movie.ID + "/cancel", ``},
		{"GET", "/api/v1/notifications", ``},
		{"GET", "/api/v1/cluster", ``},
		{"GET", "/healthz", ``}, {"GET", "/readyz", ``}, {"GET", "/metrics", ``}, {"GET", "/openapi.json", ``},
		{"GET", "/api/v1/../../etc/passwd", ``}, {"OPTIONS", "/api/v1/movies", ``}, {"HEAD", "/healthz", ``},
		{"POST", "/api/v1/movies", `{"title":{"$gt":""}}`}, {"POST", "/api/v1/movies", "\x00\xff"},
	}
	for _, s := range seeds {
		for i := range tokens {
			f.Add(s.method, s.path, s.body, uint8(i), true)
		}
	}
	f.Fuzz(func(t *testing.T, method, target, body string, who uint8, isJSON bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a bound, never reached
		defer cancel()
		contentType := "application/json"
		if !isJSON {
			contentType = "text/plain"
		}
		w, ok := serve(ctx, h, method, target, tokens[int(who)%len(tokens)], body, contentType)
		if !ok {
			return
		}
		require.Less(t, w.Code, 500, "%s %q %q: %s", method, target, body, w.Body)
		if w.Code >= 400 {
			mustErrorShape(t, w.Header(), w.Body.Bytes())
		}
	})
}
