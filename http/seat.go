package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boxoffice/boxoffice"
)

// The live seat feed is a Server-Sent Events stream. Each event carries the
// seat map version as its SSE id, so a reconnecting EventSource sends it
// back as Last-Event-ID and gets only what changed since.
const (
	sseKeepAlive     = 15 * time.Second // a comment at least this often keeps proxies from closing the stream
	sseWriteTimeout  = 10 * time.Second // a client that does not read for this long is dropped
	sseRetry         = 2 * time.Second  // how long a client waits before reconnecting
	sseWatchSpinMin  = 250 * time.Millisecond
	headerLastEvent  = "Last-Event-ID"
	sseEventSeats    = "seats"
	sseKeepAliveLine = ": keep-alive\n\n"
)

func (s *Server) seatRoutes(g *echo.Group) {
	g.GET("/showtimes/:id/seats", s.handleSeatMap)
	g.GET("/showtimes/:id/seats/events", s.handleSeatEvents)
}

// handleSeatMap answers the public seat map: statuses only, never owners.
func (s *Server) handleSeatMap(c echo.Context) error {
	id, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	view, err := s.cfg.Showtimes.SeatMap(c.Request().Context(), id)
	if err != nil {
		return notFoundAs(err, "showtime %s not found", id)
	}
	return c.JSON(nethttp.StatusOK, view)
}

// handleSeatEvents streams seat changes until the client leaves, the
// server closes or the seat service fails (the client then reconnects).
// The first event is the whole map as changes, unless Last-Event-ID names
// a version this server can continue from.
func (s *Server) handleSeatEvents(c echo.Context) error {
	id, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()

	view, err := s.cfg.Showtimes.SeatMap(ctx, id)
	if err != nil {
		return notFoundAs(err, "showtime %s not found", id)
	}
	st := newSSEStream(c)
	s.metrics.sseStreams.Inc()
	defer s.metrics.sseStreams.Dec()

	if err := st.write(fmt.Sprintf("retry: %d\n\n", sseRetry.Milliseconds())); err != nil {
		return nil // the client is gone
	}
	since, ok := lastEventID(c)
	if !ok || since > view.Version {
		since = view.Version
		if err := st.event(sseEventSeats, since, boxoffice.SeatChanges{Version: since, Changes: allSeats(view)}); err != nil {
			return nil
		}
	}
	s.watchSeats(ctx, st, id, since)
	return nil
}

// watchSeats loops over WatchSeats, writing each change and keep-alives.
func (s *Server) watchSeats(ctx context.Context, st *sseStream, id string, since uint64) {
	for ctx.Err() == nil {
		start := time.Now()
		wctx, cancel := context.WithTimeout(ctx, sseKeepAlive)
		ch, err := s.cfg.Showtimes.WatchSeats(wctx, id, since)
		watchExpired := wctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && watchExpired:
			// The watch outlived its own deadline, however the service
			// words that: nothing changed, keep the stream alive.
			err = st.keepAlive()
		case err != nil:
			s.log.Warn("http: seat events: watch failed", "showtime_id", id, "err", err)
			return
		case ch.Version > since || ch.Full:
			since = ch.Version
			err = st.event(sseEventSeats, since, ch)
		default:
			err = st.keepAlive()
			if time.Since(start) < sseWatchSpinMin {
				wait(ctx, sseWatchSpinMin) // a watcher that returns at once must not spin
			}
		}
		if err != nil {
			return // the client is gone or stopped reading
		}
	}
}

func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// lastEventID reads the version a reconnecting client has seen.
func lastEventID(c echo.Context) (uint64, bool) {
	raw := c.Request().Header.Get(headerLastEvent)
	if raw == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(raw, 10, 64)
	return v, err == nil
}

func allSeats(view *boxoffice.SeatMapView) []boxoffice.SeatChange {
	out := make([]boxoffice.SeatChange, len(view.Seats))
	for i, seat := range view.Seats {
		out[i] = boxoffice.SeatChange{ID: seat.ID, Status: seat.Status}
	}
	return out
}

// sseStream writes Server-Sent Events, each within its own write deadline.
type sseStream struct {
	w         io.Writer
	rc        *nethttp.ResponseController
	lastWrite time.Time
}

func newSSEStream(c echo.Context) *sseStream {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentTypeStream)
	h.Set(echo.HeaderCacheControl, "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Response().WriteHeader(nethttp.StatusOK)
	return &sseStream{w: c.Response(), rc: nethttp.NewResponseController(c.Response())}
}

func (st *sseStream) event(name string, id uint64, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return st.write(fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", id, name, b))
}

// keepAlive writes a comment if nothing was written for a while.
func (st *sseStream) keepAlive() error {
	if time.Since(st.lastWrite) < sseKeepAlive {
		return nil
	}
	return st.write(sseKeepAliveLine)
}

func (st *sseStream) write(s string) error {
	// Not every writer supports deadlines (httptest's recorder does not).
	_ = st.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	if _, err := io.WriteString(st.w, s); err != nil {
		return err
	}
	st.lastWrite = time.Now()
	if err := st.rc.Flush(); err != nil && !errors.Is(err, nethttp.ErrNotSupported) {
		return err
	}
	return nil
}
