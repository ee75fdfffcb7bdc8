package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
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

// wireTarget is one node reached over plain HTTP.
type wireTarget struct {
	addr string // host:port to dial
	host string // Host header
	idle chan *wireConn
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
	return &wireTarget{addr: addr, host: host, idle: make(chan *wireConn, conns)}
}

// get returns an idle connection that is fresh enough, or dials one.
func (t *wireTarget) get(ctx context.Context) (*wireConn, error) {
	for {
		var c *wireConn
		select {
		case c = <-t.idle:
		default:
		}
		if c == nil {
			break
		}
		if time.Since(c.lastUsed) < wireIdleMax {
			return c, nil
		}
		c.nc.Close()
	}
	d := net.Dialer{Timeout: wireDialTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &wireConn{nc: nc, br: bufio.NewReaderSize(nc, wireBufBytes), bw: bufio.NewWriterSize(nc, wireBufBytes)}, nil
}

// put keeps c for the next request, or closes it when enough are kept.
func (t *wireTarget) put(c *wireConn) {
	c.lastUsed = time.Now()
	select {
	case t.idle <- c:
	default:
		c.nc.Close()
	}
}

func (t *wireTarget) close() {
	for {
		select {
		case c := <-t.idle:
			c.nc.Close()
		default:
			return
		}
	}
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
