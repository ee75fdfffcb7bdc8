package http

import (
	"context"
	"errors"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/boxoffice/boxoffice"
)

const (
	// bcryptPasswordLenMax is what bcrypt reads; longer passwords are refused
	// at registration instead of being silently cut.
	bcryptPasswordLenMax = 72
	adminNameDefault     = "Administrator"
)

var (
	errBadCredentials = boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "invalid email or password")
	errDisabled       = boxoffice.Errorf(boxoffice.EFORBIDDEN, "this account is disabled")
)

func (s *Server) authRoutes(g routeGroup) {
	g.POST("/auth/register", s.handleRegister, s.limitIP(LimitRegisterIP))
	g.POST("/auth/login", s.handleLogin, s.limitIP(LimitLoginIP))
	g.POST("/auth/refresh", s.handleRefresh, s.limitIP(LimitRefreshIP))
	// Logout checks a refresh token like refresh does, so it shares its limit.
	g.POST("/auth/logout", s.handleLogout, s.limitIP(LimitRefreshIP))
	g.GET("/users/me", s.handleMe, s.authn)
	g.PATCH("/users/me", s.handleUpdateMe, s.authn)
	g.POST("/users/me/password", s.handleChangePassword, s.authn)
	g.PUT("/admin/users/:id/role", s.handleSetRole, s.admin)
	g.POST("/admin/users/:id/disable", s.handleDisable, s.admin)
	g.POST("/admin/users/:id/enable", s.handleEnable, s.admin)
}

// authn requires a valid access token and puts its caller in the context.
func (s *Server) authn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, raw, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="boxoffice"`)
			return boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "a bearer access token is required")
		}
		caller, err := s.tokens.verify(strings.TrimSpace(raw))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="boxoffice", error="invalid_token"`)
			return err
		}
		if caller.Admin {
			if caller.Admin, err = s.stillAdmin(c.Request().Context(), caller.UserID); err != nil {
				return err
			}
		}
		// What a signed-in caller gets is theirs alone: no shared or
		// browser cache may keep it.
		c.Response().Header()[keyCacheControl] = valueNoStore
		return next(&callerContext{Context: c, caller: caller})
	}
}

// stillAdmin tells whether the account behind an admin token is still an
// enabled admin in the users store. A token's role is what it was at issue
// time, so admin powers need both: a promotion applies to tokens issued
// after it, a demotion or a disable at once. Only admin tokens pay this
// read.
func (s *Server) stillAdmin(ctx context.Context, userID string) (bool, error) {
	u, err := s.cfg.Users.UserByID(ctx, userID)
	switch {
	case boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, err
	}
	return u.Role == boxoffice.RoleAdmin && !u.Disabled(), nil
}

// admin requires a valid access token with role admin whose account is
// still an enabled admin (see stillAdmin).
func (s *Server) admin(next echo.HandlerFunc) echo.HandlerFunc {
	return s.authn(func(c echo.Context) error {
		if !callerOf(c).Admin {
			return boxoffice.Errorf(boxoffice.EFORBIDDEN, "admin role required")
		}
		return next(c)
	})
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

func (s *Server) handleRegister(c echo.Context) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	email, name := boxoffice.NormalizeEmail(req.Email), boxoffice.NormalizeName(req.Name)
	if err := boxoffice.ValidateRegistration(email, req.Password, name); err != nil {
		return err
	}
	if err := s.rateLimit(c, LimitRegisterAccount, email); err != nil {
		return err
	}
	hash, err := s.hashPassword(req.Password)
	if err != nil {
		return err
	}
	u := &boxoffice.User{
		ID:           boxoffice.NewID(),
		Email:        email,
		Name:         name,
		Role:         boxoffice.RoleUser,
		PasswordHash: hash,
		CreatedAt:    s.cfg.Clock.Now().UTC(),
	}
	err = s.cfg.Users.CreateUser(c.Request().Context(), u)
	if boxoffice.ErrorCode(err) == boxoffice.ECONFLICT {
		// The answer must not tell who has an account here: an existing
		// email gets the same answer as a new one, shaped by the request,
		// and its account is left as it was. Its id names no account.
		s.log.Info("audit: registration with a registered email", "request_id", requestIDOf(c), "ip", clientIP(c))
		err = nil
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(nethttp.StatusCreated, u)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// tokenResponse is the answer of login and refresh.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// handleLogin answers unknown emails and wrong passwords alike, and spends
// a bcrypt comparison on both so that timing does not tell them apart.
func (s *Server) handleLogin(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	email := boxoffice.NormalizeEmail(req.Email)
	if err := s.rateLimit(c, LimitLoginAccount, email); err != nil {
		return err
	}
	var u *boxoffice.User
	var err error
	if boxoffice.ValidateEmail(email) == nil {
		u, err = s.cfg.Users.UserByEmail(ctx, email)
		if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
			return err
		}
	}
	hash := s.dummyHash()
	if u != nil {
		hash = u.PasswordHash
	}
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(req.Password)) == nil
	if u == nil || !ok {
		s.log.Warn("audit: login failed", "request_id", requestIDOf(c), "email", truncate(email, 254),
			"known_email", u != nil, "ip", clientIP(c))
		return errBadCredentials
	}
	if u.Disabled() {
		// Said only to whoever knows the password, so it reveals nothing.
		return errDisabled
	}
	return s.issueTokens(c, u, boxoffice.NewID())
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// handleRefresh rotates a refresh token: the old one is spent and a new one
// of the same family is issued with a fresh access token carrying the
// user's current role. A spent token presented again revokes the family.
func (s *Server) handleRefresh(c echo.Context) error {
	var req refreshRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return boxoffice.Errorf(boxoffice.EINVALID, "refresh_token is required")
	}
	errInvalid := boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "invalid or expired refresh token")
	if len(req.RefreshToken) > refreshTokenLenMax {
		return errInvalid
	}
	ctx := c.Request().Context()
	old, err := s.cfg.Users.UseRefreshToken(ctx, hashRefreshToken(req.RefreshToken), s.cfg.Clock.Now().UTC())
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.EUNAUTHORIZED {
			return errInvalid
		}
		return err
	}
	u, err := s.cfg.Users.UserByID(ctx, old.UserID)
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
			return errInvalid
		}
		return err
	}
	if u.Disabled() {
		return errInvalid // disabling revoked the tokens; this is the second line
	}
	return s.issueTokens(c, u, old.Family)
}

// issueTokens answers a new access token and a new refresh token of family.
func (s *Server) issueTokens(c echo.Context, u *boxoffice.User, family string) error {
	access, err := s.tokens.issue(u)
	if err != nil {
		return err
	}
	raw, hash := newRefreshToken()
	rt := &boxoffice.RefreshToken{
		Hash:      hash,
		UserID:    u.ID,
		Family:    family,
		ExpiresAt: s.cfg.Clock.Now().UTC().Add(s.cfg.RefreshTTL),
	}
	if err := s.cfg.Users.CreateRefreshToken(c.Request().Context(), rt); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store") // tokens must not sit in caches
	return c.JSON(nethttp.StatusOK, tokenResponse{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int64(s.cfg.AccessTTL / time.Second),
		RefreshToken: raw,
	})
}

func (s *Server) handleMe(c echo.Context) error {
	u, err := s.cfg.Users.UserByID(c.Request().Context(), callerOf(c).UserID)
	if err != nil {
		return notFoundAs(err, "user not found")
	}
	return c.JSON(nethttp.StatusOK, u)
}

type updateMeRequest struct {
	Name string `json:"name"`
}

func (s *Server) handleUpdateMe(c echo.Context) error {
	var req updateMeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	name := boxoffice.NormalizeName(req.Name)
	if err := boxoffice.ValidateName(name); err != nil {
		return err
	}
	u, err := s.cfg.Users.UpdateUserName(c.Request().Context(), callerOf(c).UserID, name)
	if err != nil {
		return notFoundAs(err, "user not found")
	}
	return c.JSON(nethttp.StatusOK, u)
}

type setRoleRequest struct {
	Role string `json:"role"`
}

func (s *Server) handleSetRole(c echo.Context) error {
	id, err := pathID(c, "user")
	if err != nil {
		return err
	}
	var req setRoleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role != boxoffice.RoleUser && req.Role != boxoffice.RoleAdmin {
		return boxoffice.Errorf(boxoffice.EINVALID, "role must be %q or %q", boxoffice.RoleUser, boxoffice.RoleAdmin)
	}
	u, err := s.cfg.Users.SetUserRole(c.Request().Context(), id, req.Role, s.cfg.Clock.Now().UTC())
	if err != nil {
		return notFoundAs(err, "user not found")
	}
	s.log.Warn("audit: role changed", "request_id", requestIDOf(c), "by", callerOf(c).UserID,
		"user", u.ID, "role", u.Role, "ip", clientIP(c))
	return c.JSON(nethttp.StatusOK, u)
}

// handleLogout ends one login: every refresh token of the family of the
// token given is revoked (the client's access token lapses on its own
// within its lifetime). Logging out twice succeeds.
func (s *Server) handleLogout(c echo.Context) error {
	var req refreshRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.RefreshToken == "" {
		return boxoffice.Errorf(boxoffice.EINVALID, "refresh_token is required")
	}
	errInvalid := boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "invalid refresh token")
	if len(req.RefreshToken) > refreshTokenLenMax {
		return errInvalid
	}
	_, err := s.cfg.Users.RevokeRefreshFamily(c.Request().Context(), hashRefreshToken(req.RefreshToken), s.cfg.Clock.Now().UTC())
	if boxoffice.ErrorCode(err) == boxoffice.EUNAUTHORIZED {
		return errInvalid
	}
	if err != nil {
		return err
	}
	return c.NoContent(nethttp.StatusNoContent)
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// handleChangePassword sets a new password after checking the current one,
// and ends every login of the user: whoever else held a refresh token must
// log in again with the new password.
func (s *Server) handleChangePassword(c echo.Context) error {
	var req changePasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := boxoffice.ValidatePassword(req.NewPassword); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := callerOf(c).UserID
	u, err := s.cfg.Users.UserByID(ctx, id)
	if err != nil {
		return notFoundAs(err, "user not found")
	}
	if err := boxoffice.ValidateNewPassword(req.NewPassword, u.Email); err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(req.CurrentPassword)) != nil {
		// Forbidden, not unauthorized: the access token is fine, so clients
		// must not take this for an expired session.
		return boxoffice.Errorf(boxoffice.EFORBIDDEN, "current password is wrong")
	}
	hash, err := s.hashPassword(req.NewPassword)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Users.SetUserPassword(ctx, id, hash, s.cfg.Clock.Now().UTC()); err != nil {
		return notFoundAs(err, "user not found")
	}
	return c.NoContent(nethttp.StatusNoContent)
}

// handleDisable disables an account: it can no longer log in, refresh or
// use admin routes, and every login it had ends.
func (s *Server) handleDisable(c echo.Context) error { return s.setDisabled(c, true) }

// handleEnable lets a disabled account log in again.
func (s *Server) handleEnable(c echo.Context) error { return s.setDisabled(c, false) }

func (s *Server) setDisabled(c echo.Context, disabled bool) error {
	id, err := pathID(c, "user")
	if err != nil {
		return err
	}
	if disabled && id == callerOf(c).UserID {
		// An admin locking themselves out could leave no admin at all.
		return boxoffice.Errorf(boxoffice.ECONFLICT, "you cannot disable your own account")
	}
	u, err := s.cfg.Users.SetUserDisabled(c.Request().Context(), id, disabled, s.cfg.Clock.Now().UTC())
	if err != nil {
		return notFoundAs(err, "user not found")
	}
	s.log.Warn("audit: account disabled or enabled", "request_id", requestIDOf(c), "by", callerOf(c).UserID,
		"user", u.ID, "disabled", disabled, "ip", clientIP(c))
	return c.JSON(nethttp.StatusOK, u)
}

func (s *Server) hashPassword(password string) (string, error) {
	return HashPassword(password, s.cfg.BcryptCost)
}

// HashPassword returns the bcrypt hash of a password as the server stores
// it (cost 0 means bcrypt.DefaultCost). Passwords over 72 bytes are EINVALID:
// bcrypt would ignore the rest.
func HashPassword(password string, cost int) (string, error) {
	if len(password) > bcryptPasswordLenMax {
		return "", boxoffice.Errorf(boxoffice.EINVALID, "password must be at most %d bytes", bcryptPasswordLenMax)
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", err
	}
	return string(hash), nil
}

// dummyHash is compared against when the email is unknown, at the cost the
// real hashes use, so that a login takes as long either way.
func (s *Server) dummyHash() string {
	s.dummyOnce.Do(func() {
		hash, err := HashPassword("boxoffice-no-such-user", s.cfg.BcryptCost)
		if err != nil {
			panic("http: bcrypt: " + err.Error())
		}
		s.dummy = hash
	})
	return s.dummy
}

// EnsureAdmin creates or updates the account with this email to role admin
// and this password (the admin bootstrap from BOXOFFICE_ADMIN_EMAIL and
// BOXOFFICE_ADMIN_PASSWORD; idempotent). cost is the bcrypt cost, 0 for the
// default.
func EnsureAdmin(ctx context.Context, users boxoffice.UserStore, email, password string, cost int, now time.Time) (*boxoffice.User, error) {
	email = boxoffice.NormalizeEmail(email)
	if err := boxoffice.ValidateEmail(email); err != nil {
		return nil, err
	}
	if err := boxoffice.ValidatePassword(password); err != nil {
		return nil, err
	}
	if users == nil {
		return nil, errors.New("http: EnsureAdmin needs a user store")
	}
	hash, err := HashPassword(password, cost)
	if err != nil {
		return nil, err
	}
	return users.UpsertAdmin(ctx, &boxoffice.User{
		ID: boxoffice.NewID(), Email: email, Name: adminNameDefault,
		Role: boxoffice.RoleAdmin, PasswordHash: hash, CreatedAt: now.UTC(),
	})
}
