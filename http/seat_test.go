package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/leaktest"
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
	goleak.VerifyNone(t, leaktest.Options(before, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))...)
}
