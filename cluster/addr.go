package cluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/asynkron/protoactor-go/remote"
)

// remoteConfig turns a bind address and an optional advertised host into
// protoactor's remote config.
//
// protoactor's remote listens on host:port and, unless told otherwise,
// advertises the listener's address, so port 0 works as is when the host is
// a concrete IP: the kernel picks the port and the actor system learns it.
// A wildcard host (":0", "0.0.0.0") cannot be advertised, so the caller must
// name the host others dial; then the port must be known before listening
// (the advertised address is a fixed string), and port 0 is resolved by
// listening on it and closing, which leaves a small window in which another
// process may take the port.
func remoteConfig(addr, advertiseHost string) (*remote.Config, error) {
	rc, err := remoteConfigFor(addr, advertiseHost)
	if err != nil {
		return nil, err
	}
	// The endpoint writer dials a peer up to MaxRetryCount times (default
	// 5), sleeping 2s after each failure with its mailbox blocked, and
	// overwrites the previous *grpc.ClientConn without closing it: every
	// failed attempt but the last leaks a connection that redials forever.
	// With one attempt there is a single connection, closed when the writer
	// stops; the failure dead-letters the pending messages (Request retries
	// those) and the next message dials afresh.
	rc.MaxRetryCount = 1
	return rc, nil
}

func remoteConfigFor(addr, advertiseHost string) (*remote.Config, error) {
	host, port, err := splitListenAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: remote address %q: %w", addr, err)
	}
	if !IsWildcard(host) {
		if advertiseHost == "" {
			return remote.Configure(host, port), nil
		}
	} else if advertiseHost == "" {
		return nil, fmt.Errorf("cluster: remote address %q binds every interface: set AdvertiseHost", addr)
	}
	if port == 0 {
		if port, err = freePort(host); err != nil {
			return nil, err
		}
	}
	adv := net.JoinHostPort(advertiseHost, strconv.Itoa(port))
	return remote.Configure(host, port, remote.WithAdvertisedHost(adv)), nil
}

// IsWildcard reports whether a listen address with this host binds every
// interface (empty, 0.0.0.0 or ::): such a host cannot be advertised, so
// the node must be told the one others reach it by.
func IsWildcard(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// splitHostPort splits an address others dial: its port is 1-65535.
func splitHostPort(addr string) (string, int, error) {
	host, port, err := splitListenAddr(addr)
	if err == nil && port == 0 {
		return "", 0, errors.New("bad port \"0\": others cannot dial it")
	}
	return host, port, err
}

// splitListenAddr splits an address to listen on: its port is 1-65535, or
// 0 for one the kernel picks.
func splitListenAddr(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := parsePort(ps)
	return host, port, err
}

// parsePort parses a port number, 0-65535, in plain decimal digits.
func parsePort(s string) (int, error) {
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("bad port %q", s)
	}
	return int(p), nil
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("cluster: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
