package http

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// seriesKey names the series of one kind of request: its method, route
// template and status.
type seriesKey struct {
	method, route string
	status        int
}

// series are the request counter and latency histogram of one kind of
// request.
type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// seriesCache looks each kind of request's series up in the vectors once:
// a vector's lookup hashes the label values and formats the status on
// every call. Later requests read an immutable map without a lock; the
// rare new kind copies it. Its size is bounded like the labels are: known
// methods, registered routes, and the statuses the handlers answer.
type seriesCache struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	mu sync.Mutex // serializes copies
	m  atomic.Pointer[map[seriesKey]series]
}

func newSeriesCache(requests *prometheus.CounterVec, duration *prometheus.HistogramVec) *seriesCache {
	c := &seriesCache{requests: requests, duration: duration}
	c.m.Store(&map[seriesKey]series{})
	return c
}

// get returns the series of k.
func (c *seriesCache) get(k seriesKey) series {
	if s, ok := (*c.m.Load())[k]; ok {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.m.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := series{
		requests: c.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.status)),
		duration: c.duration.WithLabelValues(k.method, k.route),
	}
	m := make(map[seriesKey]series, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	m[k] = s
	c.m.Store(&m)
	return s
}
