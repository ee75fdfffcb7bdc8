package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/pprof"
	"time"

	"github.com/boxoffice/boxoffice"
)

// debugServer serves Go's runtime profiles (net/http/pprof) on their own
// listener, for an operator who needs to see where a node spends its time.
// It is off unless --debug-addr is given; bind it to loopback: profiles
// show the node's internals and need no credentials. The command line
// (pprof's /debug/pprof/cmdline) is not served: it is nobody's business but
// the operator's. With a debug clock (--debug-clock) it also serves
// /debug/clock (see debugClock); without one that path is not found.
type debugServer struct {
	srv *nethttp.Server
	ln  net.Listener
}

// startDebug listens on addr; clock is the node's debug clock, or nil.
func startDebug(addr string, clock *boxoffice.OffsetClock, log *slog.Logger) (*debugServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener: %w", err)
	}
	mux := nethttp.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if clock != nil {
		debugClock{clock: clock, log: log}.register(mux)
	}
	d := &debugServer{ln: ln, srv: &nethttp.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		// A CPU profile or trace streams for its ?seconds= (at most a few minutes).
		WriteTimeout: 5 * time.Minute,
	}}
	go d.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close
	return d, nil
}

// Addr is the address the debug listener bound (useful with port 0).
func (d *debugServer) Addr() string { return d.ln.Addr().String() }

func (d *debugServer) Close(ctx context.Context) error {
	err := d.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return d.srv.Close()
	}
	return err
}
