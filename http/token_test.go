package http_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// claimsFor returns valid access token claims for a user at now.
func claimsFor(userID, role string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "boxoffice", "aud": "boxoffice-api", "sub": userID, "role": role,
		"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": boxoffice.NewID(),
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return s
}

// tamper rewrites one claim of a signed token and keeps its signature.
func tamper(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	claims[claim] = value
	raw, err = json.Marshal(claims)
	require.NoError(t, err)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// TestTokenAttacks proves every forged, altered, foreign or stale access
// token is 401 with the same message, on a user route and on an admin
// route, while the genuine token works.
func TestTokenAttacks(t *testing.T) {
	ts := MustOpenServer(t)
	u, tok := ts.Register(t, "mallory")
	now := ts.Clock.Now()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)

	ts.Do(t, "GET", "/api/v1/users/me", sign(t, jwt.SigningMethodHS256, testSecret, claimsFor(u.ID, "user", now)), nil).
		Decode(t, http.StatusOK, nil)

	with := func(f func(jwt.MapClaims)) jwt.MapClaims {
		c := claimsFor(u.ID, "admin", now)
		f(c)
		return c
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claimsFor(u.ID, "admin", now)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	attacks := map[string]string{
		"AlgNone":         none,
		"AlgNoneSigned":   none + tok.AccessToken[strings.LastIndex(tok.AccessToken, ".")+1:],
		"HS512SameSecret": sign(t, jwt.SigningMethodHS512, testSecret, claimsFor(u.ID, "admin", now)),
		"RS256":           sign(t, jwt.SigningMethodRS256, rsaKey, claimsFor(u.ID, "admin", now)),
		"WrongKey":        sign(t, jwt.SigningMethodHS256, []byte("another-secret-of-at-least-32-bytes!!"), claimsFor(u.ID, "admin", now)),
		"TamperedRole":    tamper(t, tok.AccessToken, "role", "admin"),
		"TamperedSubject": tamper(t, tok.AccessToken, "sub", boxoffice.NewID()),
		"Expired": sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})),
		"ForeignIssuer": sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"WrongAudience": sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["aud"] = "other-api" })),
		"MissingExp":    sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { delete(c, "exp") })),
		"IssuedInFuture": sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(time.Hour).Unix()
		})),
		"UnknownRole":  sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["role"] = "root" })),
		"BadSubject":   sign(t, jwt.SigningMethodHS256, testSecret, with(func(c jwt.MapClaims) { c["sub"] = "1 OR 1=1" })),
		"Garbage":      "not-a-token",
		"ThreeDots":    "a.b.c",
		"Empty":        "",
		"Huge":         strings.Repeat("a", 5000) + "." + strings.Repeat("b", 5000) + ".c",
		"RefreshToken": tok.RefreshToken,
	}
	var message string
	for name, token := range attacks {
		t.Run(name, func(t *testing.T) {
			for _, route := range [][2]string{{"GET", "/api/v1/users/me"}, {"POST", "/api/v1/movies"}} {
				r := ts.Do(t, route[0], route[1], "", map[string]any{"title": "X", "duration_minutes": 90},
					"Authorization", "Bearer "+token)
				e := r.RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
				if token != "" && message == "" {
					message = e.Message
				} else if token != "" {
					assert.Equal(t, message, e.Message, "every bad token gets the same message")
				}
			}
		})
	}
	t.Run("OtherSchemes", func(t *testing.T) {
		for _, h := range []string{"Basic YWRtaW46YWRtaW4=", tok.AccessToken, "Bearer", "Token " + tok.AccessToken} {
			ts.Do(t, "GET", "/api/v1/users/me", "", nil, "Authorization", h).
				RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
		}
	})
	// The node remembers verified tokens: a remembered token must still
	// expire at exp plus the 5 s leeway, as the parser has it.
	t.Run("ExpiresWithTheClock", func(t *testing.T) {
		ts.Do(t, "GET", "/api/v1/users/me", tok.AccessToken, nil).Decode(t, http.StatusOK, nil)
		ts.Clock.Advance(15*time.Minute + 4*time.Second)
		ts.Do(t, "GET", "/api/v1/users/me", tok.AccessToken, nil).Decode(t, http.StatusOK, nil)
		ts.Clock.Advance(2 * time.Second)
		ts.Do(t, "GET", "/api/v1/users/me", tok.AccessToken, nil).RequireError(t, http.StatusUnauthorized, boxoffice.EUNAUTHORIZED)
	})
}

// TestTokenClaims proves an issued token carries the claims the contract
// promises: HS256, issuer, audience, subject, role, iat, exp and jti.
func TestTokenClaims(t *testing.T) {
	ts := MustOpenServer(t)
	u, tok := ts.Register(t, "trent")
	var claims jwt.MapClaims
	parsed, err := jwt.ParseWithClaims(tok.AccessToken, &claims, func(*jwt.Token) (any, error) { return testSecret, nil },
		jwt.WithTimeFunc(ts.Clock.Now))
	require.NoError(t, err)
	assert.Equal(t, "HS256", parsed.Header["alg"])
	assert.Equal(t, "boxoffice", claims["iss"])
	assert.Equal(t, []any{"boxoffice-api"}, claims["aud"])
	assert.Equal(t, u.ID, claims["sub"])
	assert.Equal(t, "user", claims["role"])
	assert.NotEmpty(t, claims["jti"])
	assert.EqualValues(t, ts.Clock.Now().Add(15*time.Minute).Unix(), claims["exp"])
	assert.EqualValues(t, ts.Clock.Now().Unix(), claims["iat"])
}
