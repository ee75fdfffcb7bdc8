package http

import (
	containerlist "container/list"
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/boxoffice/boxoffice"
)

// RateLimit is a token bucket: Burst requests at once, refilled at Burst
// requests per Per.
type RateLimit struct {
	Burst int
	Per   time.Duration
}

func (l RateLimit) String() string { return fmt.Sprintf("%d/%s", l.Burst, l.Per) }

// The limits by name: what a request is counted against. "-ip" limits
// count per client IP (an IPv6 client by its /64, which it usually owns
// whole) on this node only; "-account" limits count per email (register,
// login) or per signed-in user (hold).
const (
	LimitRegisterIP      = "register-ip"
	LimitRegisterAccount = "register-account"
	LimitLoginIP         = "login-ip"
	LimitLoginAccount    = "login-account"
	LimitRefreshIP       = "refresh-ip"
	LimitHoldIP          = "hold-ip"
	LimitHoldAccount     = "hold-account"
)

// DefaultRateLimits are the limits a node applies unless told otherwise.
// Registration is rare for a person and cheap for a bot farm: ten at once
// from one address, then one a minute. A login brute force must be slowed
// while a person who mistypes gets several tries: ten per account, then
// one a minute; per address more, since many people share one behind a
// NAT. A refresh comes every access-token lifetime per session. A buyer at
// a flash sale retries a hold a few times a second while seats are taken:
// ten at once and ten a second per account, a hundred a second per
// address (a venue's Wi-Fi, a carrier's NAT).
var DefaultRateLimits = map[string]RateLimit{
	LimitRegisterIP:      {Burst: 10, Per: 10 * time.Minute},
	LimitRegisterAccount: {Burst: 5, Per: time.Hour},
	LimitLoginIP:         {Burst: 30, Per: time.Minute},
	LimitLoginAccount:    {Burst: 10, Per: 10 * time.Minute},
	LimitRefreshIP:       {Burst: 30, Per: time.Minute},
	LimitHoldIP:          {Burst: 100, Per: time.Second},
	LimitHoldAccount:     {Burst: 10, Per: time.Second},
}

// rateLimitKeysDefault bounds the keys each limit remembers; past it the
// least recently seen key is forgotten (its next request starts with a
// full bucket). A key is at most rateLimitKeyLenMax bytes (longer ones,
// such as a made-up email of a megabyte, are hashed), so that a limit
// holds some 10 MiB at most.
const (
	rateLimitKeysDefault = 1 << 15
	rateLimitKeyLenMax   = 64
)

// RateLimits configures the request limits. The zero value applies
// DefaultRateLimits.
type RateLimits struct {
	Off     bool                 // no limits at all (load tests, benchmarks)
	Limits  map[string]RateLimit // overrides of DefaultRateLimits by name
	KeysMax int                  // keys remembered per limit; default 32768
}

// ParseRateLimits reads the --rate-limits setting: "on" (the defaults),
// "off", or a comma-separated list of overrides NAME=BURST/PERIOD such as
// "hold-account=20/1s,login-ip=60/1m" (the other limits keep their
// defaults).
func ParseRateLimits(spec string) (RateLimits, error) {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "", "on":
		return RateLimits{}, nil
	case "off":
		return RateLimits{Off: true}, nil
	}
	rl := RateLimits{Limits: map[string]RateLimit{}}
	for _, item := range strings.Split(spec, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(item), "=")
		if _, ok := DefaultRateLimits[name]; !ok {
			return rl, fmt.Errorf("rate limit %q: unknown name; known: %s", name, strings.Join(slices.Sorted(keys(DefaultRateLimits)), ", "))
		}
		burst, per, _ := strings.Cut(value, "/")
		n, err := strconv.Atoi(burst)
		d, derr := time.ParseDuration(per)
		if err != nil || derr != nil || n <= 0 || d <= 0 {
			return rl, fmt.Errorf("rate limit %s=%q: want BURST/PERIOD, such as 10/1s", name, value)
		}
		rl.Limits[name] = RateLimit{Burst: n, Per: d}
	}
	return rl, nil
}

func keys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// String prints the limits in effect, for the start-up log.
func (r RateLimits) String() string {
	if r.Off {
		return "off"
	}
	names := slices.Sorted(keys(DefaultRateLimits))
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + "=" + r.limit(name).String()
	}
	return strings.Join(parts, ",")
}

func (r RateLimits) limit(name string) RateLimit {
	if l, ok := r.Limits[name]; ok {
		return l
	}
	return DefaultRateLimits[name]
}

// limiters holds one keyed limiter per limit name; nil when limits are off.
type limiters map[string]*keyedLimiter

func newLimiters(r RateLimits) limiters {
	if r.Off {
		return nil
	}
	keysMax := r.KeysMax
	if keysMax <= 0 {
		keysMax = rateLimitKeysDefault
	}
	ls := limiters{}
	for name := range DefaultRateLimits {
		ls[name] = newKeyedLimiter(name, r.limit(name), keysMax)
	}
	return ls
}

// keyedLimiter is a token bucket per key with bounded memory: a map and a
// recency list, the least recently seen key forgotten when full.
type keyedLimiter struct {
	name    string
	limit   rate.Limit
	burst   int
	keysMax int

	mu      sync.Mutex
	byKey   map[string]*containerlist.Element // of *keyedEntry
	recency *containerlist.List               // front: most recently seen
}

type keyedEntry struct {
	key string
	lim *rate.Limiter
}

func newKeyedLimiter(name string, l RateLimit, keysMax int) *keyedLimiter {
	return &keyedLimiter{
		name: name, limit: rate.Limit(float64(l.Burst) / l.Per.Seconds()), burst: l.Burst, keysMax: keysMax,
		byKey: map[string]*containerlist.Element{}, recency: containerlist.New(),
	}
}

// wait takes one request for key at now and returns zero, or how long the
// caller must wait before the next one would be allowed (taking nothing).
// A request within the limit costs no reservation (an allocation); only a
// refused one asks how long to wait.
func (k *keyedLimiter) wait(key string, now time.Time) time.Duration {
	lim := k.limiterOf(key)
	if lim.AllowN(now, 1) {
		return 0
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Duration(math.MaxInt64)
	}
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now)
	}
	return d
}

func (k *keyedLimiter) limiterOf(key string) *rate.Limiter {
	if len(key) > rateLimitKeyLenMax {
		sum := sha256.Sum256([]byte(key))
		key = string(sum[:])
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if el, ok := k.byKey[key]; ok {
		k.recency.MoveToFront(el)
		return el.Value.(*keyedEntry).lim
	}
	for k.recency.Len() >= k.keysMax {
		oldest := k.recency.Back()
		k.recency.Remove(oldest)
		delete(k.byKey, oldest.Value.(*keyedEntry).key)
	}
	e := &keyedEntry{key: key, lim: rate.NewLimiter(k.limit, k.burst)}
	k.byKey[key] = k.recency.PushFront(e)
	return e.lim
}

// len returns how many keys the limiter remembers.
func (k *keyedLimiter) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.byKey)
}

// rateLimit counts the request against the named limit for key, and answers
// 429 too_many_requests with Retry-After (whole seconds, at least 1) when
// the key is over it. Limits off: always nil.
func (s *Server) rateLimit(c echo.Context, name, key string) error {
	lim := s.limits[name]
	if lim == nil {
		return nil
	}
	d := lim.wait(key, s.cfg.Clock.Now())
	if d <= 0 {
		return nil
	}
	// The error answer's Retry-After is read from retry_after_seconds
	// (http/error.go), as for a hold cool-down.
	secs := boxoffice.RetryAfterSeconds(min(d, 24*time.Hour))
	s.log.Info("http: rate limited", "request_id", requestIDOf(c), "limit", name, "ip", clientIP(c))
	return boxoffice.Errorf(boxoffice.ETOOMANYREQUESTS, "too many requests; retry in %d s", secs).
		WithDetail("limit", name).WithDetail("retry_after_seconds", secs)
}

// limitIP is route middleware counting each request against the named
// per-IP limit.
func (s *Server) limitIP(name string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := s.rateLimit(c, name, clientIP(c)); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// limitCaller is route middleware, after authn, counting each request
// against the named per-account limit of the signed-in user.
func (s *Server) limitCaller(name string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := s.rateLimit(c, name, callerOf(c).UserID); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// clientIP is the client's address as the rate limits and logs know it:
// the socket's peer, or, behind a trusted proxy, the address it forwarded
// (see Config.TrustedProxies). An IPv6 address counts by its /64.
func clientIP(c echo.Context) string { return clientKey(c.RealIP()) }

// clientKey is the form of a client address that clientIP returns.
func clientKey(raw string) string {
	if a, err := netip.ParseAddr(raw); err == nil && a.Is4() {
		return raw // already as net.IP prints it: no need to parse it again
	}
	ip := net.ParseIP(raw)
	if ip == nil {
		return raw
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// ipExtractor picks the client IP: the socket's peer by default, since
// X-Forwarded-For is whatever the client wrote; with trusted proxies, the
// right-most X-Forwarded-For address that is not one of them.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
