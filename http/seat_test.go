package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
	"github.com/boxoffice/boxoffice/internal/leaktest"
	"github.com/boxoffice/boxoffice/internal/testwait"
)

// TestSeatMap proves the public seat map shows statuses and prices, never
// who holds a seat.
func TestSeatMap(t *testing.T) {
	ts := MustOpenServer(t)
	f := ts.Fixture(t, ts.Admin(t))
	u, ann := ts.Register(t, "ann")
	ts.Hold(t, ann.AccessToken, f.Showtime.ID, "A1")

	r := ts.Do(t, "GET", path("/showtimes/%s/seats", f.Showtime.ID), "", nil)
	var m boxoffice.SeatMapView
	r.Decode(t, http.StatusOK, &m)
	assert.Equal(t, f.Showtime.ID, m.ShowtimeID)
	assert.EqualValues(t, 1, m.Version)
	require.Len(t, m.Seats, 20)
	assert.Equal(t, boxoffice.Seat{ID: "A1", Category: "standard", PriceCents: 1200, Status: boxoffice.SeatHeld}, m.Seats[0])
	assert.Equal(t, boxoffice.Seat{ID: "B10", Category: "premium", PriceCents: 1800, Status: boxoffice.SeatFree}, m.Seats[19])
	assert.NotContains(t, string(r.Body), u.ID)

	ts.Do(t, "GET", path("/showtimes/%s/seats", boxoffice.NewID()), "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	ts.Do(t, "GET", path("/showtimes/%s/seats", "nope"), "", nil).RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
}

type sseEvent struct {
	ID, Event string
	Data      boxoffice.SeatChanges
}

// openStream opens the seat event stream; the returned reader yields events.
func (ts *TestServer) openStream(t *testing.T, showtimeID string, headers ...string) (*http.Response, func() sseEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	req := newRequest(t, "GET", ts.URL()+path("/showtimes/%s/seats/events", showtimeID), "", nil, headers...)
	resp, err := ts.client.Transport.RoundTrip(req.WithContext(ctx))
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	br := bufio.NewReader(resp.Body)
	return resp, func() sseEvent { return readEvent(t, br) }
}

// readEvent reads blocks until one that carries an event; comments and the
// retry field are skipped.
func readEvent(t *testing.T, br *bufio.Reader) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && ev.Event != "":
			return ev
		case strings.HasPrefix(line, "id: "):
			ev.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data))
		}
	}
}

// TestSeatEvents proves the live feed: the full map first, then each
// change with the version as SSE id, and a reconnect with Last-Event-ID
// resumes with what changed since instead of the full map.
func TestSeatEvents(t *testing.T) {
	ts := MustOpenServer(t)
	f := ts.Fixture(t, ts.Admin(t))
	_, ann := ts.Register(t, "ann")
	st := f.Showtime.ID

	resp, next := ts.openStream(t, st)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	first := next()
	assert.Equal(t, "seats", first.Event)
	assert.Equal(t, "0", first.ID)
	require.Len(t, first.Data.Changes, 20)
	assert.Equal(t, boxoffice.SeatChange{ID: "A1", Status: boxoffice.SeatFree}, first.Data.Changes[0])

	h := ts.Hold(t, ann.AccessToken, st, "A1", "A2")
	ev := next()
	assert.Equal(t, "1", ev.ID)
	assert.EqualValues(t, 1, ev.Data.Version)
	assert.Equal(t, []boxoffice.SeatChange{{ID: "A1", Status: "held"}, {ID: "A2", Status: "held"}}, ev.Data.Changes)

	ts.Do(t, "DELETE", path("/holds/%s", h.ID), ann.AccessToken, nil).Decode(t, http.StatusNoContent, nil)
	ev = next()
	assert.Equal(t, "2", ev.ID)
	assert.Equal(t, []boxoffice.SeatChange{{ID: "A1", Status: "free"}, {ID: "A2", Status: "free"}}, ev.Data.Changes)

	t.Run("ResumeWithLastEventID", func(t *testing.T) {
		ts.Hold(t, ann.AccessToken, st, "B5")
		_, next := ts.openStream(t, st, "Last-Event-ID", "2")
		ev := next()
		assert.Equal(t, "3", ev.ID)
		assert.Equal(t, []boxoffice.SeatChange{{ID: "B5", Status: "held"}}, ev.Data.Changes)
	})
	t.Run("FutureLastEventIDGetsFullMap", func(t *testing.T) {
		_, next := ts.openStream(t, st, "Last-Event-ID", "999")
		ev := next()
		assert.Equal(t, "3", ev.ID)
		assert.Len(t, ev.Data.Changes, 20)
	})
	t.Run("ErrUnknownShowtime", func(t *testing.T) {
		r := ts.Do(t, "GET", path("/showtimes/%s/seats/events", boxoffice.NewID()), "", nil)
		r.RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}

// TestCloseEndsStreams proves Close ends open seat streams promptly and
// leaves no goroutine behind. The stream is parked in the engine, which
// would answer only after its keep-alive wait (15s): Close returning
// without error before its own 5s deadline proves it ended the stream
// rather than waiting for it.
func TestCloseEndsStreams(t *testing.T) {
	before := goleak.IgnoreCurrent()
	ts := NewTestServer(t)
	require.NoError(t, ts.Open())
	ts.client = &http.Client{Transport: &http.Transport{}}
	f := ts.Fixture(t, ts.Admin(t))
	resp, next := ts.openStream(t, f.Showtime.ID)
	next()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.Close(ctx), "Close ended the stream before its deadline")
	_, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the stream ended cleanly")
	resp.Body.Close()
	ts.client.CloseIdleConnections()
	require.NoError(t, ts.Close(ctx), "closing twice is fine")
	// The engine and the stores belong to the test and stop at its end
	// (TestMain checks); stop the engine now so that only what the server
	// started is left to check.
	ts.Engine.stop()
	goleak.VerifyNone(t, leaktest.Options(before, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"),
		goleak.IgnoreTopFunction("github.com/boxoffice/boxoffice/persistence/sqlite.(*committer).run"))...)
}

// TestSeatStreamCaps proves the live feed's bounds on a running server:
// streams open up to the cap per client IP, the next from that address is
// refused with 429, the next past the node's total with 503, each with
// Retry-After, and closing a stream frees its slot.
func TestSeatStreamCaps(t *testing.T) {
	_, loopback, err := net.ParseCIDR("127.0.0.1/32")
	require.NoError(t, err)
	ts := MustOpenServer(t, func(c *boxhttp.Config) {
		c.TrustedProxies = []*net.IPNet{loopback} // each X-Forwarded-For is a client of its own
		c.SeatStreams = boxhttp.SeatStreamLimits{Total: 3, PerIP: 2}
	})
	st := ts.Fixture(t, ts.Admin(t)).Showtime.ID
	open := func(client string) (*http.Response, func() sseEvent) {
		resp, next := ts.openStream(t, st, "X-Forwarded-For", client)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		next()
		return resp, next
	}
	refused := func(client string) *Response {
		return ts.Do(t, "GET", path("/showtimes/%s/seats/events", st), "", nil, "X-Forwarded-For", client)
	}

	first, _ := open("203.0.113.1")
	open("203.0.113.1")
	r := refused("203.0.113.1")
	e := r.RequireError(t, http.StatusTooManyRequests, boxoffice.ETOOMANYREQUESTS)
	assert.Equal(t, "streams_per_ip", e.Details["reason"])
	assert.Equal(t, "30", r.Header.Get("Retry-After"))

	open("203.0.113.2")
	r = refused("203.0.113.3")
	e = r.RequireError(t, http.StatusServiceUnavailable, boxoffice.EUNAVAILABLE)
	assert.Equal(t, "streams_total", e.Details["reason"])
	assert.Equal(t, "5", r.Header.Get("Retry-After"))

	require.NoError(t, first.Body.Close())
	testwait.Until(t, 5*time.Second, "a closed stream frees its slot", func() bool {
		resp, err := ts.client.Get(ts.URL() + path("/showtimes/%s/seats/events", st))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// TestSeatStreamLifetime proves a stream ends cleanly when its lifetime is
// over, and the client resumes where it was with Last-Event-ID: each
// stream is read to its end, and the next one starts from its last id.
func TestSeatStreamLifetime(t *testing.T) {
	ts := MustOpenServer(t, func(c *boxhttp.Config) {
		c.SeatStreams = boxhttp.SeatStreamLimits{Lifetime: 50 * time.Millisecond}
	})
	st := ts.Fixture(t, ts.Admin(t)).Showtime.ID
	_, ann := ts.Register(t, "ann")
	resp, next := ts.openStream(t, st)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	first := next()
	_, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the stream ended cleanly, well before the client's own deadline")

	ts.Hold(t, ann.AccessToken, st, "A1")
	last := first.ID
	for range 100 {
		resp, _ := ts.openStream(t, st, "Last-Event-ID", last)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if strings.Contains(string(b), "id: 1\n") {
			assert.Contains(t, string(b), `{"version":1,"changes":[{"id":"A1","status":"held"}]}`)
			assert.NotContains(t, string(b), "id: 0\n", "the resumed stream does not start over")
			return
		}
	}
	t.Fatal("no stream delivered the hold")
}

// TestSeatStreamLimitsParse proves the --seat-streams setting's forms.
func TestSeatStreamLimitsParse(t *testing.T) {
	l, err := boxhttp.ParseSeatStreamLimits("on")
	require.NoError(t, err)
	assert.Equal(t, "total=10000,per-ip=100,lifetime=30m0s", l.String())
	l, err = boxhttp.ParseSeatStreamLimits("off")
	require.NoError(t, err)
	assert.True(t, l.Off)
	l, err = boxhttp.ParseSeatStreamLimits("per-ip=5,lifetime=10m")
	require.NoError(t, err)
	assert.Equal(t, boxhttp.SeatStreamLimits{Total: 10000, PerIP: 5, Lifetime: 10 * time.Minute}, l)
	for _, bad := range []string{"per-ip=0", "total=x", "lifetime=-1s", "streams=3"} {
		_, err := boxhttp.ParseSeatStreamLimits(bad)
		assert.Error(t, err, bad)
	}
}
