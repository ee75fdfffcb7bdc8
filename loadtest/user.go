package loadtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// tokenRefreshBefore is how long before its expiry an access token is
// refreshed, so that a long run never sends an expired one.
const tokenRefreshBefore = time.Minute

// User is an account the harness acts as.
type User struct {
	ID       string
	Email    string
	password string

	mu      sync.Mutex
	access  string
	refresh string
	expires time.Time
}

type tokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// login signs the user in with the password.
func (u *User) login(ctx context.Context, c *Client) error {
	res := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/auth/login",
		Body: map[string]string{"email": u.Email, "password": u.password}})
	var tok tokenPair
	if err := res.expect(200, "login "+u.Email, &tok); err != nil {
		return err
	}
	u.set(tok)
	return nil
}

func (u *User) set(tok tokenPair) {
	u.access, u.refresh = tok.AccessToken, tok.RefreshToken
	u.expires = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
}

// Token returns a valid access token, refreshing it (or signing in again)
// when it is about to expire. A failed refresh keeps the old token: the
// request then fails with 401 and is counted, rather than stopping the run.
func (u *User) Token(ctx context.Context, c *Client) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if time.Until(u.expires) > tokenRefreshBefore {
		return u.access
	}
	res := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/auth/refresh",
		Body: map[string]string{"refresh_token": u.refresh}})
	var tok tokenPair
	if res.expect(200, "refresh", &tok) == nil {
		u.set(tok)
	} else if u.password != "" {
		_ = u.login(ctx, c) // the old token stays if this fails too
	}
	return u.access
}

// loginAdmin signs the admin in.
func loginAdmin(ctx context.Context, c *Client, email, password string) (*User, error) {
	u := &User{Email: email, password: password}
	if err := u.login(ctx, c); err != nil {
		return nil, fmt.Errorf("admin %w", err)
	}
	return u, nil
}

// registerUsers creates n buyers with unique emails for this run and signs
// them in, a few at a time: registration and login are bcrypt-bound on the
// server, and a flood of them would only measure bcrypt.
func registerUsers(ctx context.Context, c *Client, runID string, n int) ([]*User, error) {
	users := make([]*User, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(registerParallelMax)
	for i := range users {
		g.Go(func() error {
			u := &User{Email: fmt.Sprintf("lt-%s-%d@loadtest.boxoffice.invalid", runID, i), password: "loadtest-" + runID}
			res := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/auth/register",
				Body: map[string]string{"email": u.Email, "password": u.password, "name": fmt.Sprintf("Load test buyer %d", i)}})
			var out struct {
				ID string `json:"id"`
			}
			if err := res.expect(201, "register "+u.Email, &out); err != nil {
				return err
			}
			u.ID = out.ID
			if err := u.login(ctx, c); err != nil {
				return err
			}
			users[i] = u
			return nil
		})
	}
	return users, g.Wait()
}
