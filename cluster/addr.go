package cluster

import (
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
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: remote address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("cluster: remote address %q: bad port", addr)
	}
	if !isWildcard(host) {
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

func isWildcard(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
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
