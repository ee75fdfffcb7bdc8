package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/nodeproc"
)

// binary is the boxoffice binary built once for the process tests.
var binary string

func TestMain(m *testing.M) { nodeproc.TestMain(m, ".", &binary) }

// node is a `boxoffice serve` process.
type node = nodeproc.Node

const (
	testAdminEmail    = "admin@example.com"
	testAdminPassword = "admin-password-1"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := nodeproc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// startNode runs `boxoffice serve` on free loopback ports with the given
// data dir and extra environment, and waits until /readyz answers 200. The
// node is killed when the test ends. Its hold caps and request limits are
// off (the tests hold many seats as one user, from one address, faster than
// a client may) unless env sets BOXOFFICE_HOLD_CAPS=on or
// BOXOFFICE_RATE_LIMITS=on.
func startNode(t testing.TB, dataDir string, env ...string) *node {
	t.Helper()
	ports, err := nodeproc.FreeAddrs(2) // distinct, and Start picks its own apart from them
	if err != nil {
		t.Fatal(err)
	}
	n, err := nodeproc.Start(nodeproc.Options{
		Binary: binary,
		Args:   []string{"--remote", ports[0], "--gossip", ports[1], "--data", dataDir},
		Env: append([]string{"BOXOFFICE_ADMIN_EMAIL=" + testAdminEmail, "BOXOFFICE_ADMIN_PASSWORD=" + testAdminPassword,
			"BOXOFFICE_HOLD_CAPS=off", "BOXOFFICE_RATE_LIMITS=off"}, env...),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Kill)
	if err := n.WaitReady(30 * time.Second); err != nil {
		t.Fatalf("%v:\n%s", err, n.Output())
	}
	return n
}

// client calls the API as one user.
type client struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newClient(t testing.TB, base string) *client {
	return &client{t: t, base: base, http: &http.Client{Timeout: 15 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *client) do(method, path string, body any, out any, hdr ...string) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: %d %q: %w", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode, nil
}

// must is do that fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, out any, hdr ...string) {
	c.t.Helper()
	var raw json.RawMessage
	code, err := c.do(method, path, body, &raw, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
}

func (c *client) login(email, password string) {
	c.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, &tok)
	c.token = tok.AccessToken
}

// registerUser creates and logs in a new user.
func registerUser(t testing.TB, base, email string) *client {
	c := newClient(t, base)
	c.must(201, "POST", "/api/v1/auth/register", map[string]string{"email": email, "password": "password-123", "name": "Test " + email}, nil)
	c.login(email, "password-123")
	return c
}

// setupShowtime puts on sale one showtime tomorrow in a new hall of
// len(rows) rows of n seats.
func setupShowtime(t testing.TB, admin *client, rows string, n int) string {
	t.Helper()
	return newCatalog(t, admin, rows, n).showtime()
}

func seatIDs(rows string, n int) []string {
	var ids []string
	for _, r := range rows {
		for i := 1; i <= n; i++ {
			ids = append(ids, fmt.Sprintf("%c%d", r, i))
		}
	}
	return ids
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
