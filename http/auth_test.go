package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/boxoffice/boxoffice"
	boxhttp "github.com/boxoffice/boxoffice/http"
)

// TestRegister proves registration creates a user with role user, refuses
// bad input with the contract's codes, and answers an email that already
// has an account as it answers a new one, changing nothing.
func TestRegister(t *testing.T) {
	ts := MustOpenServer(t)
	t.Run("Created", func(t *testing.T) {
		var u boxoffice.User
		ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": " Ann@Example.com ", "password": testPassword, "name": " Ann ",
		}).Decode(t, http.StatusCreated, &u)
		assert.True(t, boxoffice.ValidID(u.ID))
		assert.Equal(t, "ann@example.com", u.Email)
		assert.Equal(t, "Ann", u.Name)
		assert.Equal(t, boxoffice.RoleUser, u.Role)
		stored, err := ts.Users.UserByID(context.Background(), u.ID)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(stored.PasswordHash, "$2"), "bcrypt hash stored")
	})
	t.Run("DuplicateEmailUntold", func(t *testing.T) {
		ctx := context.Background()
		before, err := ts.Users.UserByEmail(ctx, "ann@example.com")
		require.NoError(t, err)
		fresh := ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": "carl@example.com", "password": testPassword, "name": "Ann 2",
		})
		dup := ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": "ann@example.com", "password": "another password", "name": "Ann 2",
		})
		// The same status, headers and fields as a new registration.
		require.Equal(t, fresh.Status, dup.Status, "body: %s", dup.Body)
		for _, h := range []string{"Content-Type", "Cache-Control"} {
			assert.Equal(t, fresh.Header.Get(h), dup.Header.Get(h), h)
		}
		var fu, du map[string]any
		fresh.Decode(t, http.StatusCreated, &fu)
		dup.Decode(t, http.StatusCreated, &du)
		assert.ElementsMatch(t, keysOf(fu), keysOf(du))
		assert.Equal(t, "ann@example.com", du["email"])
		assert.Equal(t, "Ann 2", du["name"])
		assert.Equal(t, boxoffice.RoleUser, du["role"])
		// The existing account is untouched, and the answer names no account.
		after, err := ts.Users.UserByEmail(ctx, "ann@example.com")
		require.NoError(t, err)
		assert.Equal(t, before, after)
		assert.NotEqual(t, before.ID, du["id"])
		_, err = ts.Users.UserByID(ctx, du["id"].(string))
		assert.Equal(t, boxoffice.ENOTFOUND, boxoffice.ErrorCode(err))
		ts.Login(t, "ann@example.com", testPassword)
		ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.com", "password": "another password"}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	for name, body := range map[string]map[string]any{
		"ErrShortPassword":   {"email": "b@example.com", "password": "short", "name": "B"},
		"ErrLongPassword":    {"email": "b@example.com", "password": strings.Repeat("p", 100), "name": "B"},
		"ErrBadEmail":        {"email": "not-an-email", "password": testPassword, "name": "B"},
		"ErrNoName":          {"email": "b@example.com", "password": testPassword, "name": "  "},
		"ErrRoleNotSettable": {"email": "b@example.com", "password": testPassword, "name": "B", "role": "admin"},
	} {
		t.Run(name, func(t *testing.T) {
			ts.Do(t, "POST", "/api/v1/auth/register", "", body).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		})
	}
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLogin proves a login returns a bearer pair, and that an unknown email
// and a wrong password are indistinguishable.
func TestLogin(t *testing.T) {
	ts := MustOpenServer(t)
	u, tok := ts.Register(t, "bob")
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 15*60, tok.ExpiresIn)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.RefreshToken)
	r := ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testPassword})
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))

	var me boxoffice.User
	ts.Do(t, "GET", "/api/v1/users/me", tok.AccessToken, nil).Decode(t, http.StatusOK, &me)
	assert.Equal(t, u.ID, me.ID)

	wrong := ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": "wrong password"}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	unknown := ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": testPassword}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	garbage := ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "x", "password": ""}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	assert.Equal(t, wrong.Message, unknown.Message)
	assert.Equal(t, wrong.Message, garbage.Message)
}

// TestRefresh proves refresh tokens rotate: each works once, and presenting
// a spent one is 401 and revokes its whole family.
func TestRefresh(t *testing.T) {
	ts := MustOpenServer(t)
	_, first := ts.Register(t, "cat")

	var second tokenPair
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}).
		Decode(t, http.StatusOK, &second)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken)
	ts.Do(t, "GET", "/api/v1/users/me", second.AccessToken, nil).Decode(t, http.StatusOK, nil)

	t.Run("ErrReused", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("ErrFamilyRevokedAfterReuse", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": second.RefreshToken}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": "garbage"}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": strings.Repeat("x", 5000)}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("ErrMissing", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{}).
			RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	})
}

// TestUpdateMe proves a user can rename themselves and nothing else.
func TestUpdateMe(t *testing.T) {
	ts := MustOpenServer(t)
	_, tok := ts.Register(t, "dan")
	var u boxoffice.User
	ts.Do(t, "PATCH", "/api/v1/users/me", tok.AccessToken, map[string]string{"name": "Daniel"}).Decode(t, http.StatusOK, &u)
	assert.Equal(t, "Daniel", u.Name)
	ts.Do(t, "PATCH", "/api/v1/users/me", tok.AccessToken, map[string]string{"name": ""}).
		RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	ts.Do(t, "PATCH", "/api/v1/users/me", tok.AccessToken, map[string]string{"role": "admin"}).
		RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	ts.Do(t, "GET", "/api/v1/users/me", "", nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
}

// TestSetRole proves only admins change roles, and that a new role takes
// effect in tokens issued afterwards (by login or refresh).
func TestSetRole(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	u, tok := ts.Register(t, "eve")
	movie := map[string]any{"title": "Alien", "duration_minutes": 117}

	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), tok.AccessToken, map[string]string{"role": "admin"}).
		RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	ts.Do(t, "POST", "/api/v1/movies", tok.AccessToken, movie).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)

	var got boxoffice.User
	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "admin"}).Decode(t, http.StatusOK, &got)
	assert.Equal(t, boxoffice.RoleAdmin, got.Role)

	// The old token still says user; the role change ended the user's
	// logins, so the refresh token is spent, and a new login says admin.
	ts.Do(t, "POST", "/api/v1/movies", tok.AccessToken, movie).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	fresh := ts.Login(t, u.Email, testPassword)
	ts.Do(t, "POST", "/api/v1/movies", fresh.AccessToken, movie).Decode(t, http.StatusCreated, nil)

	t.Run("ErrBadRole", func(t *testing.T) {
		ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "root"}).
			RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		ts.Do(t, "PUT", path("/admin/users/%s/role", boxoffice.NewID()), admin, map[string]string{"role": "user"}).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
		ts.Do(t, "PUT", path("/admin/users/garbage/role"), admin, map[string]string{"role": "user"}).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}

// TestDemotedAdminLosesAdminAtOnce demotes an admin and has its still-valid
// access token try to give itself the role back, and to act as an admin.
func TestDemotedAdminLosesAdminAtOnce(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	u, _ := ts.Register(t, "mallory")
	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "admin"}).Decode(t, http.StatusOK, nil)
	tok := ts.Login(t, u.Email, testPassword)
	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "user"}).Decode(t, http.StatusOK, nil)

	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), tok.AccessToken, map[string]string{"role": "admin"}).
		RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	ts.Do(t, "POST", "/api/v1/movies", tok.AccessToken, map[string]any{"title": "Alien", "duration_minutes": 117}).
		RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	stored, err := ts.Users.UserByID(context.Background(), u.ID)
	require.NoError(t, err)
	assert.Equal(t, boxoffice.RoleUser, stored.Role)
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
}

// TestLogout proves a logout ends that login (its rotated tokens too) and
// no other.
func TestLogout(t *testing.T) {
	ts := MustOpenServer(t)
	u, first := ts.Register(t, "liam")
	other := ts.Login(t, u.Email, testPassword)
	var rotated tokenPair
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": first.RefreshToken}).Decode(t, http.StatusOK, &rotated)

	ts.Do(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": rotated.RefreshToken}).Decode(t, http.StatusNoContent, nil)
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": rotated.RefreshToken}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Do(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": rotated.RefreshToken}).Decode(t, http.StatusNoContent, nil)
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": other.RefreshToken}).Decode(t, http.StatusOK, nil)

	t.Run("ErrUnknown", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": "garbage"}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
	t.Run("ErrMissing", func(t *testing.T) {
		ts.Do(t, "POST", "/api/v1/auth/logout", "", map[string]string{}).
			RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	})
}

// TestChangePassword proves the current password is checked, the new one
// follows the registration rules, and every login ends.
func TestChangePassword(t *testing.T) {
	ts := MustOpenServer(t)
	u, a := ts.Register(t, "pia")
	b := ts.Login(t, u.Email, testPassword)
	const newPassword = "a much newer password"

	ts.Do(t, "POST", "/api/v1/users/me/password", a.AccessToken, map[string]string{
		"current_password": "wrong password", "new_password": newPassword,
	}).RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	ts.Do(t, "POST", "/api/v1/users/me/password", a.AccessToken, map[string]string{
		"current_password": testPassword, "new_password": "short",
	}).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	ts.Do(t, "POST", "/api/v1/users/me/password", "", map[string]string{
		"current_password": testPassword, "new_password": newPassword,
	}).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)

	ts.Do(t, "POST", "/api/v1/users/me/password", a.AccessToken, map[string]string{
		"current_password": testPassword, "new_password": newPassword,
	}).Decode(t, http.StatusNoContent, nil)
	for _, tok := range []tokenPair{a, b} {
		ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).
			RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	}
	ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testPassword}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Login(t, u.Email, newPassword)
}

// TestDisableUser proves a disabled account cannot log in, refresh or use
// admin routes with a token it still holds, and can again once enabled.
func TestDisableUser(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	u, tok := ts.Register(t, "dora")
	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "admin"}).Decode(t, http.StatusOK, nil)
	tok = ts.Login(t, u.Email, testPassword)

	ts.Do(t, "POST", path("/admin/users/%s/disable", u.ID), tok.AccessToken, nil).Decode(t, http.StatusConflict, nil)
	var got boxoffice.User
	ts.Do(t, "POST", path("/admin/users/%s/disable", u.ID), admin, nil).Decode(t, http.StatusOK, &got)
	require.NotNil(t, got.DisabledAt)

	ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": testPassword}).
		RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}).
		RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Do(t, "POST", path("/admin/users/%s/enable", u.ID), tok.AccessToken, nil).
		RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)

	var enabled boxoffice.User
	ts.Do(t, "POST", path("/admin/users/%s/enable", u.ID), admin, nil).Decode(t, http.StatusOK, &enabled)
	assert.Nil(t, enabled.DisabledAt)
	ts.Login(t, u.Email, testPassword)

	t.Run("ErrNotAdmin", func(t *testing.T) {
		_, plain := ts.Register(t, "pat")
		ts.Do(t, "POST", path("/admin/users/%s/disable", u.ID), plain.AccessToken, nil).
			RequireError(t, http.StatusForbidden, boxoffice.EFORBIDDEN)
	})
	t.Run("ErrUnknownUser", func(t *testing.T) {
		ts.Do(t, "POST", path("/admin/users/%s/disable", boxoffice.NewID()), admin, nil).
			RequireError(t, http.StatusNotFound, boxoffice.ENOTFOUND)
	})
}

// TestEnsureAdmin proves the admin bootstrap is idempotent and that the
// account can log in with the given password.
func TestEnsureAdmin(t *testing.T) {
	ts := MustOpenServer(t)
	ctx := context.Background()
	a, err := boxhttp.EnsureAdmin(ctx, ts.Users, "Root@Example.com", "first password", bcrypt.MinCost, ts.Clock.Now())
	require.NoError(t, err)
	b, err := boxhttp.EnsureAdmin(ctx, ts.Users, "root@example.com", "second password", bcrypt.MinCost, ts.Clock.Now())
	require.NoError(t, err)
	assert.Equal(t, a.ID, b.ID)
	assert.Equal(t, boxoffice.RoleAdmin, b.Role)
	ts.Login(t, "root@example.com", "second password")
	_, err = boxhttp.EnsureAdmin(ctx, ts.Users, "root@example.com", "short", 0, ts.Clock.Now())
	assert.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err))
}

// TestNoStore proves that answers for a signed-in caller, and the token
// answers, tell every cache not to keep them.
func TestNoStore(t *testing.T) {
	ts := MustOpenServer(t)
	u, tok := ts.Register(t, "ann")
	answers := map[string]*Response{
		"me":       ts.Do(t, "GET", "/api/v1/users/me", tok.AccessToken, nil),
		"bookings": ts.Do(t, "GET", "/api/v1/bookings", tok.AccessToken, nil),
		"notes":    ts.Do(t, "GET", "/api/v1/notifications", tok.AccessToken, nil),
		"hold404":  ts.Do(t, "GET", path("/holds/%s", boxoffice.NewID()), tok.AccessToken, nil),
		"login": ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{
			"email": u.Email, "password": testPassword,
		}),
		"refresh": ts.Do(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}),
		"register": ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": "bea@example.com", "password": testPassword, "name": "Bea",
		}),
	}
	for name, r := range answers {
		assert.Equal(t, "no-store", r.Header.Get("Cache-Control"), name)
	}
}

// TestAuditLog proves failed logins and role changes leave a log line with
// the request ID, and never the password or a token.
func TestAuditLog(t *testing.T) {
	ts := MustOpenServer(t)
	admin := ts.Admin(t)
	u, tok := ts.Register(t, "ann")
	ts.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.Email, "password": "guessed password 1"},
		"X-Request-ID", "req-failed-login").RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	ts.Do(t, "PUT", path("/admin/users/%s/role", u.ID), admin, map[string]string{"role": "admin"},
		"X-Request-ID", "req-role-change").Decode(t, http.StatusOK, nil)

	logs := ts.Logs.String()
	var failed, role string
	for _, line := range strings.Split(logs, "\n") {
		switch {
		case strings.Contains(line, "audit: login failed"):
			failed = line
		case strings.Contains(line, "audit: role changed"):
			role = line
		}
	}
	assert.Contains(t, failed, "request_id=req-failed-login")
	assert.Contains(t, failed, "email=ann@example.com")
	assert.Contains(t, role, "request_id=req-role-change")
	assert.Contains(t, role, "user="+u.ID)
	assert.Contains(t, role, "role=admin")
	for _, secret := range []string{"guessed password 1", testPassword, tok.AccessToken, tok.RefreshToken, admin} {
		assert.NotContains(t, logs, secret)
	}
}
