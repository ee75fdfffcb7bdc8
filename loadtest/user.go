package loadtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/boxoffice/boxoffice"
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

	// abandoned is when the hold this user last left to expire ends (unix
	// nanoseconds): one at a time, so the node's cap on open holds per
	// user never refuses the user's buys.
	abandoned atomic.Int64

	coolMu sync.Mutex
	cool   map[string]time.Time // "showtime/seat" -> end of the node's cool-down for this user
}

// coolingMax bounds the seats a user remembers having given up.
const coolingMax = 256

// gaveUp remembers seats the user released, or let lapse, at at: the
// node refuses them to this user for its cool-down (the default is
// assumed), so the user picks others meanwhile, as a person would.
func (u *User) gaveUp(showtime string, seats []string, at time.Time) {
	u.coolMu.Lock()
	defer u.coolMu.Unlock()
	if u.cool == nil {
		u.cool = map[string]time.Time{}
	}
	if len(u.cool)+len(seats) > coolingMax {
		now := time.Now()
		for k, until := range u.cool {
			if until.Before(now) || len(u.cool)+len(seats) > coolingMax {
				delete(u.cool, k)
			}
		}
	}
	for _, s := range seats {
		u.cool[showtime+"/"+s] = at.Add(boxoffice.HoldCooldownDefault)
	}
}

// notCooling returns the seats the user may hold now.
func (u *User) notCooling(showtime string, seats []string) []string {
	u.coolMu.Lock()
	defer u.coolMu.Unlock()
	now := time.Now()
	out := seats[:0]
	for _, s := range seats {
		if until, ok := u.cool[showtime+"/"+s]; !ok || until.Before(now) {
			out = append(out, s)
		}
	}
	return out
}

// abandon claims the user's one abandoned hold, which lives until until;
// false while another one is still live.
func (u *User) abandon(until time.Time) bool {
	for {
		old := u.abandoned.Load()
		if old > time.Now().UnixNano() {
			return false
		}
		if u.abandoned.CompareAndSwap(old, until.UnixNano()) {
			return true
		}
	}
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
