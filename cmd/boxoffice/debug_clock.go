package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"time"

	"github.com/boxoffice/boxoffice"
)

// clockOffsetMax bounds the debug clock's offset either way: enough to
// step over any hold TTL (boxoffice.HoldTTLMax) or token lifetime a fault
// test looks at, not so much that a typo moves a node by years.
const clockOffsetMax = 24 * time.Hour

// debugClock serves /debug/clock on the debug listener of a node started
// with --debug-clock: GET reads the offset of the node's clock, POST
// ?offset=DURATION (absolute, may be negative) sets it. Fault tests use it
// to jump one node's time around hold expiry without touching the
// machine's clock.
type debugClock struct {
	clock *boxoffice.OffsetClock
	log   *slog.Logger
}

// clockBody is both answers of /debug/clock.
type clockBody struct {
	Offset string `json:"offset"` // a Go duration, such as "-1h30m0s"
	Now    string `json:"now"`    // the node's time, RFC 3339 with nanoseconds
}

func (d debugClock) register(mux *nethttp.ServeMux) {
	mux.HandleFunc("GET /debug/clock", d.get)
	mux.HandleFunc("POST /debug/clock", d.set)
}

func (d debugClock) get(w nethttp.ResponseWriter, _ *nethttp.Request) {
	d.write(w, nethttp.StatusOK, d.body())
}

func (d debugClock) set(w nethttp.ResponseWriter, r *nethttp.Request) {
	off, err := parseClockOffset(r.URL.Query().Get("offset"))
	if err != nil {
		d.write(w, nethttp.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	was := d.clock.Offset()
	d.clock.SetOffset(off)
	body := d.body()
	d.log.Warn("debug clock moved: this node's time is off the real time", "offset", off.String(), "was", was.String(), "now", body.Now)
	d.write(w, nethttp.StatusOK, body)
}

// parseClockOffset reads a Go duration within clockOffsetMax either way.
func parseClockOffset(v string) (time.Duration, error) {
	if v == "" {
		return 0, fmt.Errorf("offset is required: a Go duration such as 11m or -1h30m")
	}
	off, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("offset %q is not a Go duration such as 11m or -1h30m", v)
	}
	if off > clockOffsetMax || off < -clockOffsetMax {
		return 0, fmt.Errorf("offset %s is beyond %s either way", off, clockOffsetMax)
	}
	return off, nil
}

func (d debugClock) body() clockBody {
	return clockBody{Offset: d.clock.Offset().String(), Now: d.clock.Now().Format(time.RFC3339Nano)}
}

func (d debugClock) write(w nethttp.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		d.log.Debug("debug clock: write answer", "err", err)
	}
}
