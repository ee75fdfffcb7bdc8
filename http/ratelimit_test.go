package http_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// withRateLimits sets the server's rate limits from a --rate-limits spec.
func withRateLimits(tb testing.TB, spec string) func(*boxhttp.Config) {
	rl, err := boxhttp.ParseRateLimits(spec)
	require.NoError(tb, err)
	return func(c *boxhttp.Config) { c.RateLimits = rl }
}

// rateLimitsOff is for tests that send more than a client may.
func rateLimitsOff(c *boxhttp.Config) { c.RateLimits = boxhttp.RateLimits{Off: true} }

// DoFrom sends a request from another loopback address (127.0.0.x), so that
// the server sees another client IP on the socket.
func (ts *TestServer) DoFrom(tb testing.TB, ip, method, path, token string, body any, headers ...string) *Response {
	tb.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(newRequest(tb, method, ts.URL()+path, token, body, headers...))
	require.NoError(tb, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tb, err)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// requireLimited checks a 429 too_many_requests naming the limit, with a
// Retry-After of want seconds.
func requireLimited(tb testing.TB, r *Response, limit string, want int) {
	tb.Helper()
	e := r.RequireError(tb, http.StatusTooManyRequests, boxoffice.ETOOMANYREQUESTS)
	assert.Equal(tb, limit, e.Details["limit"])
	assert.Equal(tb, fmt.Sprint(want), r.Header.Get("Retry-After"))
	assert.EqualValues(tb, want, e.Details["retry_after_seconds"])
}

// TestRateLimitHoldPerAccount proves one account flooding hold requests
// gets 429 with Retry-After past its limit, while another account on the
// same address still holds, and that the bucket refills with time.
func TestRateLimitHoldPerAccount(t *testing.T) {
	ts := MustOpenServer(t, withRateLimits(t, "hold-account=3/1m"))
	f := ts.Fixture(t, ts.Admin(t))
	_, ann := ts.Register(t, "ann")
	_, bob := ts.Register(t, "bob")
	st := f.Showtime.ID
	for _, seat := range []string{"A1", "A2", "A3"} {
		ts.Hold(t, ann.AccessToken, st, seat)
	}
	flood := ts.Do(t, "POST", path("/showtimes/%s/holds", st), ann.AccessToken, map[string]any{"seats": []string{"A4"}})
	requireLimited(t, flood, boxhttp.LimitHoldAccount, 20) // 3 a minute: the next in 20 s
	ts.Hold(t, bob.AccessToken, st, "A4")                  // another account is not slowed
	ts.Clock.Advance(20 * time.Second)
	ts.Hold(t, ann.AccessToken, st, "A5")
}

// TestRateLimitHoldPerIP proves a flood of holds from one address, spread
// over accounts, is cut at the per-IP limit, that another address is not,
// and that an X-Forwarded-For header from the client changes nothing
// unless the peer is a trusted proxy.
func TestRateLimitHoldPerIP(t *testing.T) {
	ts := MustOpenServer(t, withRateLimits(t, "hold-ip=4/1m,register-ip=20/1m"))
	f := ts.Fixture(t, ts.Admin(t))
	st := f.Showtime.ID
	tokens := make([]string, 6)
	for i := range tokens {
		_, tok := ts.Register(t, fmt.Sprintf("u%d", i))
		tokens[i] = tok.AccessToken
	}
	for i := range 4 {
		ts.Hold(t, tokens[i], st, fmt.Sprintf("A%d", i+1))
	}
	flood := ts.Do(t, "POST", path("/showtimes/%s/holds", st), tokens[4], map[string]any{"seats": []string{"B1"}},
		"X-Forwarded-For", "203.0.113.9")
	requireLimited(t, flood, boxhttp.LimitHoldIP, 15)
	ts.DoFrom(t, "127.0.0.2", "POST", path("/showtimes/%s/holds", st), tokens[5], map[string]any{"seats": []string{"B2"}}).
		Decode(t, http.StatusCreated, nil)
}

// TestClientKey proves the key a client address counts under: an IPv4
// address as net.IP prints it, an IPv6 one by its /64, anything that does
// not parse as it came.
func TestClientKey(t *testing.T) {
	for raw, want := range map[string]string{
		"192.0.2.1":           "192.0.2.1",
		"::ffff:192.0.2.1":    "192.0.2.1",
		"2001:db8:1:2:3::4":   "2001:db8:1:2::/64",
		"2001:DB8::1":         "2001:db8::/64",
		"fe80::1%eth0":        "fe80::1%eth0",
		"01.2.3.4":            "01.2.3.4",
		"":                    "",
		"not an address":      "not an address",
		"255.255.255.255":     "255.255.255.255",
		"0.0.0.0":             "0.0.0.0",
		"::":                  "::/64",
		"1.2.3.4.5":           "1.2.3.4.5",
		"::ffff:0102:0304":    "1.2.3.4",
		"64:ff9b::192.0.2.33": "64:ff9b::/64",
	} {
		assert.Equal(t, want, boxhttp.ClientKey(raw), raw)
	}
}

// TestRateLimitTrustedProxy proves that behind a trusted proxy each
// forwarded client counts on its own.
func TestRateLimitTrustedProxy(t *testing.T) {
	_, loopback, err := net.ParseCIDR("127.0.0.1/32")
	require.NoError(t, err)
	ts := MustOpenServer(t, withRateLimits(t, "login-ip=2/1m"), func(c *boxhttp.Config) {
		c.TrustedProxies = []*net.IPNet{loopback}
	})
	login := func(client string) *Response {
		return ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "x@example.com", "password": "wrong-password"},
			"X-Forwarded-For", client)
	}
	for range 2 {
		login("203.0.113.1").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	}
	requireLimited(t, login("203.0.113.1"), boxhttp.LimitLoginIP, 30)
	login("203.0.113.2").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
}

// TestRateLimitLogin proves a password guesser is slowed per account, from
// any address, and per address, across accounts; the owner's other
// accounts and other addresses are not.
func TestRateLimitLogin(t *testing.T) {
	ts := MustOpenServer(t, withRateLimits(t, "login-account=3/10m,login-ip=6/1m"))
	ts.Register(t, "ann") // one login from 127.0.0.1
	guess := func(ip, email string) *Response {
		return ts.DoFrom(t, ip, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "guess-password"})
	}
	guess("127.0.0.2", "ann@example.com").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	guess("127.0.0.3", "ann@example.com").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	requireLimited(t, guess("127.0.0.4", "ann@example.com"), boxhttp.LimitLoginAccount, 200)
	requireLimited(t, ts.DoFrom(t, "127.0.0.5", "POST", "/api/v1/auth/login", "",
		map[string]string{"email": "ann@example.com", "password": testPassword}), boxhttp.LimitLoginAccount, 200)

	for i := range 6 {
		guess("127.0.0.6", fmt.Sprintf("nobody%d@example.com", i)).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	}
	requireLimited(t, guess("127.0.0.6", "nobody9@example.com"), boxhttp.LimitLoginIP, 10)
	guess("127.0.0.7", "nobody9@example.com").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Clock.Advance(200 * time.Second)
	ts.Login(t, "ann@example.com", testPassword)
}

// TestRateLimitRegister proves a bot farm registering from one address is
// cut at the per-IP limit, and one email at the per-account limit.
func TestRateLimitRegister(t *testing.T) {
	ts := MustOpenServer(t, withRateLimits(t, "register-ip=3/1h,register-account=2/1h"))
	register := func(ip, email string) *Response {
		return ts.DoFrom(t, ip, "POST", "/api/v1/auth/register", "", map[string]string{"email": email, "password": testPassword, "name": "Bot"})
	}
	for i := range 3 {
		register("127.0.0.2", fmt.Sprintf("bot%d@example.com", i)).Decode(t, http.StatusCreated, nil)
	}
	requireLimited(t, register("127.0.0.2", "bot3@example.com"), boxhttp.LimitRegisterIP, 1200)
	_, err := ts.Users.UserByEmail(context.Background(), "bot3@example.com")
	assert.Equal(t, boxoffice.ENOTFOUND, boxoffice.ErrorCode(err), "a limited registration creates nothing")
	register("127.0.0.3", "bot3@example.com").Decode(t, http.StatusCreated, nil)

	register("127.0.0.4", "bot0@example.com").Decode(t, http.StatusCreated, nil) // the second for bot0
	requireLimited(t, register("127.0.0.5", "bot0@example.com"), boxhttp.LimitRegisterAccount, 1800)
}

// TestRateLimitRefresh proves refreshes are limited per address.
func TestRateLimitRefresh(t *testing.T) {
	ts := MustOpenServer(t, withRateLimits(t, "refresh-ip=2/1m"))
	refresh := func(ip string) *Response {
		return ts.DoFrom(t, ip, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": "not-a-token"})
	}
	refresh("127.0.0.2").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	refresh("127.0.0.2").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	requireLimited(t, refresh("127.0.0.2"), boxhttp.LimitRefreshIP, 30)
	refresh("127.0.0.3").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
}

// TestRateLimitMemoryBounded proves a flood of distinct keys (emails a
// guesser makes up) leaves each limit with at most KeysMax keys, and the
// limit still works for the newest.
func TestRateLimitMemoryBounded(t *testing.T) {
	rl, err := boxhttp.ParseRateLimits("login-account=2/1h,login-ip=10000/1s")
	require.NoError(t, err)
	rl.KeysMax = 50
	ts := NewTestServer(t, func(c *boxhttp.Config) { c.RateLimits = rl })
	login := func(email string) *Response {
		return ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": "guess-password"})
	}
	for i := range 500 {
		login(fmt.Sprintf("made-up-%d@example.com", i)).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
		require.LessOrEqual(t, boxhttp.RateLimitKeys(ts.Server, boxhttp.LimitLoginAccount), 50)
	}
	assert.Equal(t, 50, boxhttp.RateLimitKeys(ts.Server, boxhttp.LimitLoginAccount))
	login("made-up-499@example.com").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	requireLimited(t, login("made-up-499@example.com"), boxhttp.LimitLoginAccount, 1800)

	// A made-up email of 100 KB is remembered by its hash, and still limited.
	long := strings.Repeat("x", 100_000) + "@example.com"
	login(long).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	login(long).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	requireLimited(t, login(long), boxhttp.LimitLoginAccount, 1800)
	assert.Equal(t, 50, boxhttp.RateLimitKeys(ts.Server, boxhttp.LimitLoginAccount))
}

// TestRateLimitsOff proves the off switch: a flood is never answered 429.
func TestRateLimitsOff(t *testing.T) {
	ts := MustOpenServer(t, rateLimitsOff)
	f := ts.Fixture(t, ts.Admin(t))
	_, ann := ts.Register(t, "ann")
	for range 30 {
		r := ts.Do(t, "POST", path("/showtimes/%s/holds", f.Showtime.ID), ann.AccessToken, map[string]any{"seats": []string{}})
		r.RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	}
	for range 40 {
		r := ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "guess-password"})
		r.RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	}
}

func TestParseRateLimits(t *testing.T) {
	rl, err := boxhttp.ParseRateLimits("on")
	require.NoError(t, err)
	assert.Equal(t, boxhttp.RateLimits{}, rl)
	assert.Contains(t, rl.String(), "hold-account=10/1s")
	rl, err = boxhttp.ParseRateLimits("off")
	require.NoError(t, err)
	assert.True(t, rl.Off)
	assert.Equal(t, "off", rl.String())
	rl, err = boxhttp.ParseRateLimits("hold-account=20/1s, login-ip=60/1m")
	require.NoError(t, err)
	assert.Equal(t, boxhttp.RateLimit{Burst: 20, Per: time.Second}, rl.Limits[boxhttp.LimitHoldAccount])
	assert.Contains(t, rl.String(), "login-ip=60/1m0s")
	for _, bad := range []string{"hold=1/1s", "hold-account=0/1s", "hold-account=1", "hold-account=x/1s", "hold-account=1/-1s", "of"} {
		_, err := boxhttp.ParseRateLimits(bad)
		assert.Error(t, err, bad)
	}
}
