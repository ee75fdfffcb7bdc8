package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// bodyBytesMax bounds how much of an answer is read: the largest seat map
// (2,574 seats) is about 200 KB.
const bodyBytesMax = 4 << 20

// Outcomes that are not HTTP statuses.
const (
	OutcomeTimeout   = "timeout"    // no answer within --timeout
	OutcomeConnError = "conn_error" // connection refused, reset, ...
	OutcomeCancelled = "cancelled"  // the run was interrupted (SIGINT) while it waited
	OutcomeDropped   = "dropped"    // open loop: the backlog was full, never sent
	OutcomeBadBody   = "bad_body"   // 2xx whose body did not decode
)

// Client sends requests to the targets in turn: over its own lean
// HTTP/1.1 connections for http:// targets (wire.go), through net/http for
// https:// ones.
type Client struct {
	targets []string
	wire    []*wireTarget // per target; nil for one reached through net/http
	next    atomic.Uint64
	http    *http.Client
	timeout time.Duration
}

// NewClient makes a client that keeps conns idle connections per target,
// so a closed loop of conns workers never redials.
func NewClient(targets []string, conns int, timeout time.Duration) *Client {
	tr := &http.Transport{
		Proxy:               nil, // a load test talks to the nodes, never through a proxy
		DialContext:         (&net.Dialer{Timeout: wireDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * len(targets),
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	c := &Client{targets: targets, wire: make([]*wireTarget, len(targets)), http: &http.Client{Transport: tr}, timeout: timeout}
	for i, t := range targets {
		if u, err := url.Parse(t); err == nil && u.Scheme == "http" && u.Path == "" {
			c.wire[i] = newWireTarget(u.Host, conns)
		}
	}
	return c
}

// Close drops the idle connections.
func (c *Client) Close() {
	c.http.CloseIdleConnections()
	for _, w := range c.wire {
		if w != nil {
			w.close()
		}
	}
}

// Request is one API call.
type Request struct {
	Method, Path string // Path starts with / (e.g. /api/v1/bookings)
	Token        string // bearer token, if any
	Body         any    // JSON-encoded when not nil
	Key          string // Idempotency-Key, if any
}

// Result is what came back, with the times around the call.
type Result struct {
	Status     int    // 0 when there was no answer
	Err        error  // transport error or timeout
	Body       []byte // the answer, at most bodyBytesMax
	Sent, Done time.Time
}

// Outcome names the result for the report: the status, or an error kind.
func (r Result) Outcome() string {
	if r.Err == nil {
		return strconv.Itoa(r.Status)
	}
	var ne net.Error
	switch {
	case errors.Is(r.Err, context.DeadlineExceeded) || (errors.As(r.Err, &ne) && ne.Timeout()):
		return OutcomeTimeout
	case errors.Is(r.Err, context.Canceled):
		return OutcomeCancelled
	}
	return OutcomeConnError
}

// Unknown reports whether the result leaves the effect of the request
// unknown: no answer, or a 5xx that may come after a write.
func (r Result) Unknown() bool { return r.Err != nil || r.Status >= 500 }

// Do sends req to the next target. The request ends within the client's
// timeout whatever ctx says; ctx only cancels it earlier.
func (c *Client) Do(ctx context.Context, req Request) Result {
	var body []byte
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return Result{Err: err, Sent: time.Now(), Done: time.Now()}
		}
		body = b
	}
	i := c.next.Add(1) % uint64(len(c.targets))
	if w := c.wire[i]; w != nil {
		deadline := time.Now().Add(c.timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		return w.do(ctx, req, body, deadline)
	}
	return c.doAt(ctx, c.targets[i], req, body)
}

// doAt sends req with its encoded body through net/http.
func (c *Client) doAt(ctx context.Context, base string, req Request, body []byte) Result {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, req.Method, base+req.Path, r)
	if err != nil {
		return Result{Err: err, Sent: time.Now(), Done: time.Now()}
	}
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Token)
	}
	if req.Key != "" {
		hr.Header.Set("Idempotency-Key", req.Key)
	}
	res := Result{Sent: time.Now()}
	hres, err := c.http.Do(hr)
	if err != nil {
		res.Err, res.Done = err, time.Now()
		return res
	}
	res.Body, err = io.ReadAll(io.LimitReader(hres.Body, bodyBytesMax))
	hres.Body.Close()
	res.Status, res.Done = hres.StatusCode, time.Now()
	if err != nil {
		res.Err = err
	}
	return res
}

// decode unmarshals a 2xx body into out.
func (r Result) decode(out any) error {
	if r.Err != nil {
		return r.Err
	}
	if r.Status < 200 || r.Status > 299 {
		return fmt.Errorf("status %d: %s", r.Status, truncate(r.Body, 300))
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("decode %s: %w", truncate(r.Body, 300), err)
	}
	return nil
}

// expect returns an error unless the answer has the status want, decoding
// a 2xx body into out when out is not nil.
func (r Result) expect(want int, what string, out any) error {
	if r.Err != nil {
		return fmt.Errorf("%s: %w", what, r.Err)
	}
	if r.Status != want {
		return fmt.Errorf("%s: status %d, want %d: %s", what, r.Status, want, truncate(r.Body, 300))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Body, out); err != nil {
		return fmt.Errorf("%s: decode %s: %w", what, truncate(r.Body, 300), err)
	}
	return nil
}

// apiError is the body of every error answer (the Error schema of
// http/openapi.json).
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details struct {
			Unavailable []string `json:"unavailable"`
			Reason      string   `json:"reason"` // a hold cap's
		} `json:"details"`
	} `json:"error"`
}

// unavailableSeats returns details.unavailable of a 409 answer.
func (r Result) unavailableSeats() []string {
	var e apiError
	if r.Status != http.StatusConflict || json.Unmarshal(r.Body, &e) != nil {
		return nil
	}
	return e.Error.Details.Unavailable
}

// reason returns details.reason of an error answer: which hold cap
// refused a hold.
func (r Result) reason() string {
	var e apiError
	if r.Status < 400 || json.Unmarshal(r.Body, &e) != nil {
		return ""
	}
	return e.Error.Details.Reason
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
