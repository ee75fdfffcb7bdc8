package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
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

func (s *Server) seatRoutes(g routeGroup) {
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
// server closes, the stream's lifetime ends or the seat service fails (the
// client then reconnects with Last-Event-ID and misses nothing).
// The first event is the whole map as changes, unless Last-Event-ID names
// a version this server can continue from.
func (s *Server) handleSeatEvents(c echo.Context) error {
	id, err := pathID(c, "showtime")
	if err != nil {
		return err
	}
	release, err := s.streams.acquire(clientIP(c))
	if err != nil {
		return err
	}
	defer release()
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
	// The lifetime counts from the first event, so that a slow start
	// never turns into an error answer.
	ctx, cancelLife := s.streams.lifetime(ctx)
	defer cancelLife()
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

// SeatStreamLimits bounds the live seat feed of one node: each open stream
// holds a connection, a goroutine and a watch on a showtime grain, so that
// without a bound one client could hold them all.
type SeatStreamLimits struct {
	Off      bool          // no limits at all (load tests)
	Total    int           // streams open at once on this node; 0: the default
	PerIP    int           // streams open at once per client IP; 0: the default
	Lifetime time.Duration // after this long a stream ends and the client reconnects; 0: the default
}

// The defaults. A node serves some ten thousand streams at a few tens of
// kilobytes each without strain, well under a usual limit of open files.
// A household or an office behind one address has a few tabs open, a
// venue's Wi-Fi more: a hundred per address leaves room for them while a
// single client cannot take a tenth of the node. A stream ends after half
// an hour so that no connection is held for ever (it reconnects in
// seconds with Last-Event-ID, missing nothing) and streams spread again
// over the nodes after a node joins.
const (
	SeatStreamsTotalDefault    = 10000
	SeatStreamsPerIPDefault    = 100
	SeatStreamLifetimeDefault  = 30 * time.Minute
	seatStreamsFullRetry       = 5  // seconds a client waits when the node is full
	seatStreamsPerIPFullRetry  = 30 // seconds a client waits when its address is at its cap
	seatStreamLimitsSpecFormat = "on, off, or total=N,per-ip=N,lifetime=DURATION"
)

// ParseSeatStreamLimits reads the --seat-streams setting: "on" (the
// defaults), "off", or overrides such as "total=2000,per-ip=20,lifetime=10m"
// (the others keep their defaults).
func ParseSeatStreamLimits(spec string) (SeatStreamLimits, error) {
	var l SeatStreamLimits
	switch spec = strings.TrimSpace(spec); spec {
	case "", "on":
		return l.withDefaults(), nil
	case "off":
		return SeatStreamLimits{Off: true}, nil
	}
	for _, item := range strings.Split(spec, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(item), "=")
		var err error
		switch name {
		case "total":
			l.Total, err = positiveInt(value)
		case "per-ip":
			l.PerIP, err = positiveInt(value)
		case "lifetime":
			l.Lifetime, err = time.ParseDuration(value)
			if err == nil && l.Lifetime <= 0 {
				err = errors.New("not positive")
			}
		default:
			err = errors.New("unknown name")
		}
		if err != nil {
			return l, fmt.Errorf("seat streams %q: %v; want %s", item, err, seatStreamLimitsSpecFormat)
		}
	}
	return l.withDefaults(), nil
}

func positiveInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && n <= 0 {
		err = errors.New("not positive")
	}
	return n, err
}

func (l SeatStreamLimits) withDefaults() SeatStreamLimits {
	if l.Total <= 0 {
		l.Total = SeatStreamsTotalDefault
	}
	if l.PerIP <= 0 {
		l.PerIP = SeatStreamsPerIPDefault
	}
	if l.Lifetime <= 0 {
		l.Lifetime = SeatStreamLifetimeDefault
	}
	return l
}

// String prints the limits in effect, for the start-up log.
func (l SeatStreamLimits) String() string {
	if l.Off {
		return "off"
	}
	l = l.withDefaults()
	return fmt.Sprintf("total=%d,per-ip=%d,lifetime=%s", l.Total, l.PerIP, l.Lifetime)
}

// seatStreams counts the open streams, in total and per client IP. The
// per-IP map holds only addresses with an open stream, so it is bounded
// by the total.
type seatStreams struct {
	limits SeatStreamLimits
	mu     sync.Mutex
	total  int
	perIP  map[string]int
}

func newSeatStreams(l SeatStreamLimits) *seatStreams {
	if !l.Off {
		l = l.withDefaults()
	}
	return &seatStreams{limits: l, perIP: map[string]int{}}
}

// acquire takes a slot for a stream from ip, or answers why not: 503 when
// the node is full (another node may have room), 429 when the address is.
// The returned function gives the slot back.
func (ss *seatStreams) acquire(ip string) (func(), error) {
	if ss.limits.Off {
		return func() {}, nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.total >= ss.limits.Total:
		return nil, boxoffice.Errorf(boxoffice.EUNAVAILABLE, "this node serves %d live seat streams, its most; try again later", ss.limits.Total).
			WithDetail("reason", "streams_total").WithDetail("retry_after_seconds", seatStreamsFullRetry)
	case ss.perIP[ip] >= ss.limits.PerIP:
		return nil, boxoffice.Errorf(boxoffice.ETOOMANYREQUESTS, "your address has %d live seat streams open, its most; close one first", ss.limits.PerIP).
			WithDetail("reason", "streams_per_ip").WithDetail("retry_after_seconds", seatStreamsPerIPFullRetry)
	}
	ss.total++
	ss.perIP[ip]++
	var once sync.Once
	return func() { once.Do(func() { ss.release(ip) }) }, nil
}

func (ss *seatStreams) release(ip string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.total--
	if ss.perIP[ip]--; ss.perIP[ip] <= 0 {
		delete(ss.perIP, ip)
	}
}

// lifetime bounds a stream's context by the configured lifetime, less up
// to a tenth at random: streams opened together (a flash sale's start, a
// node's restart) then end, and reconnect, spread out rather than at once.
func (ss *seatStreams) lifetime(ctx context.Context) (context.Context, context.CancelFunc) {
	if ss.limits.Off {
		return context.WithCancel(ctx)
	}
	d := ss.limits.Lifetime
	d -= rand.N(d/10 + 1)
	return context.WithTimeout(ctx, d)
}
