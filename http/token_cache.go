package http

import (
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// tokenCacheSize is how many verified access tokens a node remembers in
// each of its two generations: a token costs about 400 bytes here, so the
// cache stays under 10 MB however many clients there are.
const tokenCacheSize = 10_000

// tokenCache remembers access tokens that passed verification, until they
// expire, so that a client's later requests skip the signature check and
// the decoding of the claims (the largest fixed cost of an authenticated
// request). Only tokens that verified are stored, keyed by their exact
// text, so a hit is a token this node has already accepted. Access tokens
// are not revocable before they expire, with or without the cache; the
// admin powers of one are, because authn checks them against the users
// store on every request (see stillAdmin).
//
// It keeps two generations: when the current one is full it becomes the
// old one and the previous old one is dropped, so memory is bounded and a
// token in use moves back to the current generation on its next hit.
type tokenCache struct {
	mu   sync.RWMutex
	cur  map[string]cachedToken
	old  map[string]cachedToken
	size int
}

type cachedToken struct {
	caller boxoffice.Caller
	until  int64 // unix nanoseconds from which the token no longer verifies
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{cur: make(map[string]cachedToken), size: size}
}

// get returns the caller of a remembered token that is still valid at now.
func (c *tokenCache) get(raw string, now time.Time) (boxoffice.Caller, bool) {
	c.mu.RLock()
	t, ok := c.cur[raw]
	inOld := false
	if !ok {
		t, ok = c.old[raw]
		inOld = ok
	}
	c.mu.RUnlock()
	if !ok || now.UnixNano() >= t.until {
		return boxoffice.Caller{}, false
	}
	if inOld {
		c.put(raw, t.caller, t.until)
	}
	return t.caller, true
}

// put remembers a verified token until (not including) the given unix
// nanoseconds.
func (c *tokenCache) put(raw string, caller boxoffice.Caller, until int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cur) >= c.size {
		c.old, c.cur = c.cur, make(map[string]cachedToken, c.size)
	}
	c.cur[raw] = cachedToken{caller: caller, until: until}
}

// len returns how many tokens are remembered (both generations; a token can
// be in both for a while).
func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.cur) + len(c.old)
}
