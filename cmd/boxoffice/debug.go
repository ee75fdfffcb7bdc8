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

// startDebug serves Go's runtime profiles (net/http/pprof) on their own
// listener, for an operator who needs to see where a node spends its time.
// It is off unless --debug-addr is given; bind it to loopback: profiles
// show the node's internals and need no credentials. With a debug clock
// (--debug-clock) it also serves /debug/clock (see debugClock); without one
// that path is not found. clock is the node's debug clock, or nil. The
// ops listener serves the same profiles with --ops-pprof.
func startDebug(addr string, clock *boxoffice.OffsetClock, log *slog.Logger) (*sideServer, error) {
	mux := nethttp.NewServeMux()
	registerPprof(mux)
	if clock != nil {
		debugClock{clock: clock, log: log}.register(mux)
	}
	return serveSide("debug", addr, mux)
}

// registerPprof adds Go's profiles under /debug/pprof/. The command line
// (pprof's /debug/pprof/cmdline) is not served: it is nobody's business
// but the operator's.
func registerPprof(mux *nethttp.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// sideServer is a listener of the node's beside the API (the debug and the
// ops listeners), for operators and tools only.
type sideServer struct {
	srv *nethttp.Server
	ln  net.Listener
}

// serveSide listens on addr and serves h in the background until Close;
// name says which listener failed to listen.
func serveSide(name, addr string, h nethttp.Handler) (*sideServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener: %w", name, err)
	}
	s := &sideServer{ln: ln, srv: &nethttp.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// A CPU profile or trace streams for its ?seconds= (at most a few minutes).
		WriteTimeout: 5 * time.Minute,
		IdleTimeout:  time.Minute,
	}}
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close
	return s, nil
}

// Addr is the address the listener bound (useful with port 0).
func (s *sideServer) Addr() string { return s.ln.Addr().String() }

func (s *sideServer) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}
