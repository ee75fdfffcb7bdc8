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
// URL (pool_max_conns) nor Config says otherwise. The stores a booking
// writes to get the most, the users and catalog stores, read on a cache
// miss or written by an admin, the least.
//
// The total, 34 a node, is what fits PostgreSQL's default
// max_connections of 100 with three nodes on one server: 3 x 34 = 102 is
// too many, so see MaxConnsPerNode for the arithmetic. Larger pools did not
// book faster on a 2-core server (BenchmarkBookingWrites: 64 concurrent
// booking transactions, pool 4 vs 16 vs 32; the numbers are in the
// README, "Database pools").
var MaxConnsDefault = map[string]int32{
	"users":         4,
	"catalog":       4,
	"seats":         8,
	"bookings":      6,
	"payments":      6,
	"notifications": 4,
}

// maxConnsEnv is the URL parameter with which a service's own URL sizes
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
