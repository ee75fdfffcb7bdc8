package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends a JSON body and returns the status and the Retry-After header.
func post(t *testing.T, url string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// assertRetryAfter checks a Retry-After of 1 to most seconds: the node's
// clock runs while the requests are sent.
func assertRetryAfter(t *testing.T, header string, most int) {
	t.Helper()
	secs, err := strconv.Atoi(header)
	require.NoError(t, err, "Retry-After %q", header)
	assert.True(t, secs >= 1 && secs <= most, "Retry-After %d, want 1..%d", secs, most)
}

// TestRateLimitsOnNode proves that a node started with the defaults slows
// a password guesser on one account and a registration flood from one
// address (429 with Retry-After), leaving other accounts alone.
func TestRateLimitsOnNode(t *testing.T) {
	n := startNode(t, t.TempDir(), "BOXOFFICE_RATE_LIMITS=on")
	api := n.URL + "/api/v1"
	guess := func(email string) (int, string) {
		return post(t, api+"/auth/login", map[string]string{"email": email, "password": "guess-password"})
	}
	for i := range 10 {
		code, _ := guess("victim@example.com")
		require.Equal(t, http.StatusUnauthorized, code, "guess %d", i)
	}
	code, retry := guess("victim@example.com")
	assert.Equal(t, http.StatusTooManyRequests, code)
	assertRetryAfter(t, retry, 60) // login-account=10/10m: one more a minute
	code, _ = guess("someone-else@example.com")
	assert.Equal(t, http.StatusUnauthorized, code)

	register := func(i int) (int, string) {
		return post(t, api+"/auth/register", map[string]string{
			"email": fmt.Sprintf("bot%d@example.com", i), "password": "password-123", "name": "Bot"})
	}
	for i := range 10 {
		code, _ := register(i)
		require.Equal(t, http.StatusCreated, code, "registration %d", i)
	}
	code, retry = register(10)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assertRetryAfter(t, retry, 60) // register-ip=10/10m
}

// TestRateLimitsOffOnNode proves the off switch: no 429 however fast one
// client goes, and a warning at start.
func TestRateLimitsOffOnNode(t *testing.T) {
	n := startNode(t, t.TempDir(), "BOXOFFICE_RATE_LIMITS=off")
	for i := range 15 {
		code, _ := post(t, n.URL+"/api/v1/auth/login", map[string]string{"email": "victim@example.com", "password": "guess-password"})
		require.Equal(t, http.StatusUnauthorized, code, "guess %d", i)
	}
	assert.True(t, strings.Contains(n.Output(), "rate limits are off"), "warning at start:\n%s", n.Output())
}
