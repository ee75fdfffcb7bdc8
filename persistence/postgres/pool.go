package postgres

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// MaxConnsDefault is each service's pool size when neither the service's
// URL (pool_max_conns) nor Config says otherwise: 30 connections a node,
// so that three nodes on one server (90) fit PostgreSQL's default
// max_connections of 100, less its 3 superuser_reserved_connections, with
// 7 to spare for migrations and an operator's psql. The seats pool is the
// largest (the seat journal's writes in flight and grain activations), then
// the stores every booking writes; users and catalog are mostly read.
//
// Measured (BenchmarkBookingWrites, 2-core machine, private durable
// server, 64 goroutines each writing a booking as three autocommit
// statements, as the stores do): pool 4: 369-431 bookings/s, 8: 385-600,
// 16: 569-795, so a node that should serve 64 concurrent buyers faster
// raises the booking stores with --db-max-conns (e.g.
// 4,seats=16,bookings=16,payments=16,notifications=8, 64 a node) and the
// server's max_connections with it (3 x 64 = 192: max_connections = 200,
// as docker-compose.yml does).
var MaxConnsDefault = map[string]int32{
	"users":         3,
	"catalog":       3,
	"seats":         10,
	"bookings":      6,
	"payments":      5,
	"notifications": 3,
}

// maxConnsURLParam is the URL parameter with which a service's own URL sizes
// its pool; it wins over every other setting.
const maxConnsURLParam = "pool_max_conns"

// ParseMaxConns reads the pool sizes setting (--db-max-conns): one number
// for every service ("16"), sizes per service ("seats=16,bookings=12"), or
// both ("8,seats=16": seats 16, the others 8). Empty is all defaults. A
// size is at least 1.
func ParseMaxConns(v string) (all int32, perService map[string]int32, err error) {
	perService = map[string]int32{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		service, size, named := strings.Cut(part, "=")
		if !named {
			size = service
		}
		n, err := strconv.ParseInt(strings.TrimSpace(size), 10, 32)
		if err != nil || n < 1 {
			return 0, nil, fmt.Errorf("pool size %q must be a whole number of at least 1", size)
		}
		if !named {
			all = int32(n)
			continue
		}
		service = strings.TrimSpace(service)
		if !slices.Contains(boxoffice.Services, service) {
			return 0, nil, fmt.Errorf("pool size for unknown service %q (services: %s)", service, strings.Join(boxoffice.Services, ", "))
		}
		perService[service] = int32(n)
	}
	return all, perService, nil
}

// maxConns is the pool size of service from Config alone: its own size,
// else the size for every service, else its default.
func (c Config) maxConns(service string) int32 {
	if n := c.ServiceMaxConns[service]; n > 0 {
		return n
	}
	if c.MaxConns > 0 {
		return c.MaxConns
	}
	return MaxConnsDefault[service]
}

// MaxConnsPerNode is the connections one node opens at most with these
// settings (a URL's pool_max_conns is not counted): the sum of its pools.
func (c Config) MaxConnsPerNode() int32 {
	var total int32
	for _, s := range slices.Sorted(maps.Keys(MaxConnsDefault)) {
		total += c.maxConns(s)
	}
	return total
}

// MaxConnsString prints each service's pool size, for the start-up log.
func (c Config) MaxConnsString() string {
	parts := make([]string, 0, len(boxoffice.Services))
	for _, s := range boxoffice.Services {
		parts = append(parts, fmt.Sprintf("%s=%d", s, c.maxConns(s)))
	}
	return strings.Join(parts, ",")
}

// urlSetsMaxConns reports whether a connection string (a URL or
// keyword/value pairs) sets pool_max_conns itself.
func urlSetsMaxConns(connString string) bool {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		return err == nil && u.Query().Has(maxConnsURLParam)
	}
	for _, field := range strings.Fields(connString) {
		if key, _, ok := strings.Cut(field, "="); ok && strings.TrimSpace(key) == maxConnsURLParam {
			return true
		}
	}
	return false
}
