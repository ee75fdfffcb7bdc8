package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// resolveTimeout bounds a host name lookup at start.
const resolveTimeout = 5 * time.Second

// bindAddr splits a gossip bind address. memberlist binds IPs only, so a
// host name is resolved (docker-compose style "node1:7946"); an empty host
// binds every interface.
func bindAddr(addr string) (string, int, error) {
	host, port, err := splitListenAddr(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "0.0.0.0", port, nil
	}
	ip, err := resolveIP(host)
	return ip, port, err
}

// advertiseAddr splits "host" or "host:port" and resolves host to an IP
// (memberlist gossips IPs); port is 0 when absent.
func advertiseAddr(addr string) (string, int, error) {
	host, port := addr, 0
	if h, ps, err := net.SplitHostPort(addr); err == nil {
		host = h
		if port, err = parsePort(ps); err != nil {
			return "", 0, err
		}
	}
	if IsWildcard(host) {
		return "", 0, errors.New("advertise a host others can reach, not every interface")
	}
	ip, err := resolveIP(host)
	return ip, port, err
}

// resolveIP returns host if it is an IP, else its first IPv4 address (or
// first address at all).
func resolveIP(host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip", host)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %w", host, err)
	}
	for _, ip := range ips {
		if ip.To4() != nil {
			return ip.String(), nil
		}
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("resolve %q: no address", host)
	}
	return ips[0].String(), nil
}
