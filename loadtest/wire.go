package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// The harness shares the machine with the nodes it measures, so its client
// must cost little: net/http's Transport spends two goroutines per
// connection, a channel handoff each way and a timer per request, about as
// much CPU as the node spends answering. For plain-HTTP targets the harness
// instead writes each HTTP/1.1 request itself on a kept-alive connection and
// reads the answer with net/http's parser (http.ReadResponse), on the
// calling goroutine, with the connection's deadline as the one timer.
// HTTPS targets go through net/http.

const (
	// wireIdleMax is how long a connection may sit unused before it is
	// closed rather than reused: below any server's keep-alive timeout, so
	// a request is never written to a connection the server is closing.
	wireIdleMax     = 5 * time.Second
	wireDialTimeout = 5 * time.Second
	wireBufBytes    = 16 << 10
)

// wireTarget is one node reached over plain HTTP. Its idle connections
// are a stack: a request takes the one used last, so after a burst the
// connections it opened sink to the bottom, go unused, and are closed once
// idle for wireIdleMax. The node then holds as many connections as the
// load needs now, not as many as its busiest moment did (a FIFO queue kept
// every connection ever opened warm, and a long run's open files rose with
// each burst).
type wireTarget struct {
	addr string // host:port to dial
	host string // Host header
	max  int    // idle connections kept at most

	mu   sync.Mutex
	idle []*wireConn // least recently used first
}

type wireConn struct {
	nc       net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
}

func newWireTarget(host string, conns int) *wireTarget {
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		addr = net.JoinHostPort(host, "80")
	}
	return &wireTarget{addr: addr, host: host, max: conns}
}

// get returns the most recently used idle connection, or dials one.
func (t *wireTarget) get(ctx context.Context) (*wireConn, error) {
	t.mu.Lock()
	stale := t.pruneLocked(time.Now())
	var c *wireConn
	if n := len(t.idle); n > 0 {
		c = t.idle[n-1]
		t.idle[n-1] = nil
		t.idle = t.idle[:n-1]
	}
	t.mu.Unlock()
	closeAll(stale)
	if c != nil {
		return c, nil
	}
	d := net.Dialer{Timeout: wireDialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &wireConn{nc: nc, br: bufio.NewReaderSize(nc, wireBufBytes), bw: bufio.NewWriterSize(nc, wireBufBytes)}, nil
}

// put keeps c for the next request, or closes it when enough are kept.
// The stale ones are closed by the next get, which every request makes.
func (t *wireTarget) put(c *wireConn) {
	c.lastUsed = time.Now()
	t.mu.Lock()
	if len(t.idle) < t.max {
		t.idle = append(t.idle, c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.nc.Close()
	}
}

// pruneLocked removes the connections idle for wireIdleMax or longer from
// the bottom of the stack and returns them, to be closed outside the lock.
func (t *wireTarget) pruneLocked(now time.Time) []*wireConn {
	n := 0
	for n < len(t.idle) && now.Sub(t.idle[n].lastUsed) >= wireIdleMax {
		n++
	}
	if n == 0 {
		return nil
	}
	stale := slices.Clone(t.idle[:n])
	t.idle = slices.Delete(t.idle, 0, n)
	return stale
}

func closeAll(cs []*wireConn) {
	for _, c := range cs {
		c.nc.Close()
	}
}

// idleConns is how many connections wait for a request.
func (t *wireTarget) idleConns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.idle)
}

func (t *wireTarget) close() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	closeAll(idle)
}

var errBodyTooLong = fmt.Errorf("answer longer than %d bytes", bodyBytesMax)

// do sends req and reads the answer before the deadline; ctx ending
// earlier interrupts it. The connection is reused only after a complete,
// kept-alive exchange.
func (t *wireTarget) do(ctx context.Context, req Request, body []byte, deadline time.Time) Result {
	c, err := t.get(ctx)
	if err != nil {
		now := time.Now()
		return Result{Err: err, Sent: now, Done: now}
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		c.nc.Close()
		now := time.Now()
		return Result{Err: err, Sent: now, Done: now}
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	}
	res := Result{Sent: time.Now()}
	keep, err := c.exchange(t.host, req, body, &res)
	res.Done = time.Now()
	if stop != nil && !stop() {
		// ctx ended during the exchange and cut the deadline short.
		keep = false
		if err != nil {
			err = ctx.Err()
		}
	}
	res.Err = err
	if keep {
		t.put(c)
	} else {
		c.nc.Close()
	}
	return res
}

// exchange writes one request and reads its answer into res. keep reports
// whether the connection can carry the next one.
func (c *wireConn) exchange(host string, req Request, body []byte, res *Result) (keep bool, err error) {
	w := c.bw
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.Path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\nUser-Agent: boxoffice-loadtest\r\n")
	if req.Token != "" {
		w.WriteString("Authorization: Bearer ")
		w.WriteString(req.Token)
		w.WriteString("\r\n")
	}
	if req.Key != "" {
		w.WriteString("Idempotency-Key: ")
		w.WriteString(req.Key)
		w.WriteString("\r\n")
	}
	if body != nil {
		w.WriteString("Content-Type: application/json\r\n")
	}
	if body != nil || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
	if err := w.Flush(); err != nil {
		return false, err
	}
	hres, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false, err
	}
	b, err := io.ReadAll(io.LimitReader(hres.Body, bodyBytesMax+1))
	hres.Body.Close()
	if err != nil {
		return false, err
	}
	if len(b) > bodyBytesMax {
		return false, errBodyTooLong
	}
	res.Status, res.Body = hres.StatusCode, b
	return !hres.Close, nil
}
