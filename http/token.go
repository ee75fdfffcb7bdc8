package http

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/boxoffice/boxoffice"
)

// Access tokens are HS256 JWTs for this API only; refresh tokens are random
// opaque strings of which the store keeps only the SHA-256 hash.
const (
	tokenIssuer        = "boxoffice"
	tokenAudience      = "boxoffice-api"
	tokenLeeway        = 5 * time.Second
	tokenLenMax        = 4096 // longer Authorization values are refused unparsed
	refreshTokenBytes  = 32
	refreshTokenLenMax = 128
)

// accessClaims are the claims of an access token: sub is the user ID, role
// the user's role when the token was issued.
type accessClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// tokenService issues and verifies access tokens.
type tokenService struct {
	secret []byte
	ttl    time.Duration
	clock  boxoffice.Clock
	parser *jwt.Parser
	cache  *tokenCache
}

func newTokenService(secret []byte, ttl time.Duration, clock boxoffice.Clock) *tokenService {
	return &tokenService{
		secret: append([]byte(nil), secret...),
		ttl:    ttl,
		clock:  clock,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(tokenIssuer),
			jwt.WithAudience(tokenAudience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(tokenLeeway),
			jwt.WithStrictDecoding(),
			jwt.WithTimeFunc(clock.Now),
		),
		cache: newTokenCache(tokenCacheSize),
	}
}

// issue signs an access token for u.
func (t *tokenService) issue(u *boxoffice.User) (string, error) {
	now := t.clock.Now()
	claims := accessClaims{
		Role: u.Role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{tokenAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        boxoffice.NewID(),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
}

// verify checks an access token and returns its caller. Every failure is
// the same EUNAUTHORIZED: the client learns nothing about which check failed.
func (t *tokenService) verify(raw string) (boxoffice.Caller, error) {
	if caller, ok := t.cache.get(raw, t.clock.Now()); ok {
		return caller, nil
	}
	errInvalid := boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "invalid or expired access token")
	if raw == "" || len(raw) > tokenLenMax {
		return boxoffice.Caller{}, errInvalid
	}
	var claims accessClaims
	_, err := t.parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodHS256 {
			return nil, jwt.ErrTokenSignatureInvalid
		}
		return t.secret, nil
	})
	if err != nil {
		return boxoffice.Caller{}, errInvalid
	}
	switch {
	case !boxoffice.ValidID(claims.Subject), claims.ID == "", claims.IssuedAt == nil:
		return boxoffice.Caller{}, errInvalid
	case claims.Role != boxoffice.RoleUser && claims.Role != boxoffice.RoleAdmin:
		return boxoffice.Caller{}, errInvalid
	}
	caller := boxoffice.Caller{UserID: claims.Subject, Admin: claims.Role == boxoffice.RoleAdmin}
	// The parser accepts a token until exp plus the leeway; so does the cache.
	t.cache.put(raw, caller, claims.ExpiresAt.Add(tokenLeeway).UnixNano())
	return caller, nil
}

// newRefreshToken returns a new opaque refresh token and the hash to store.
func newRefreshToken() (raw, hash string) {
	var b [refreshTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("http: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	raw = base64.RawURLEncoding.EncodeToString(b[:])
	return raw, hashRefreshToken(raw)
}

// hashRefreshToken is how a refresh token is looked up: a stolen database
// holds no usable tokens.
func hashRefreshToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}
