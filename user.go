package boxoffice

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Roles.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Limits on user input.
const (
	PasswordLenMin = 8
	PasswordLenMax = 72 // bcrypt reads at most 72 bytes; longer is refused, not silently cut
	NameLenMax     = 200
	EmailLenMax    = 254
)

// User is a person with an account.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	// DisabledAt is when an admin disabled the account (nil: enabled). A
	// disabled account cannot log in, refresh or use admin routes.
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// Disabled tells whether an admin disabled the account.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// NormalizeEmail trims, composes (Unicode NFC) and lowercases an email
// address so that lookups do not depend on how the user typed it: an é
// typed as e and a combining accent is the same address as a precomposed é.
func NormalizeEmail(email string) string {
	return strings.ToLower(norm.NFC.String(strings.TrimSpace(email)))
}

// NormalizeName trims and composes (Unicode NFC) a display name, so that
// one name is stored one way however the user's keyboard typed it.
func NormalizeName(name string) string { return norm.NFC.String(strings.TrimSpace(name)) }

// invisibleRune finds a character that text shown to others must not hold:
// controls (Unicode Cc: a newline forges log lines and mail headers),
// format characters (Cf: U+202E turns "gpj.exe" into "exe.jpg" on screen,
// zero-width ones make two names look alike) and line or paragraph
// separators. Names may keep the zero-width joiner and non-joiner, which
// Persian, Indic scripts and emoji sequences need (allowJoiners); emails
// never need them. It returns the rune and whether there is one.
func invisibleRune(s string, allowJoiners bool) (rune, bool) {
	for _, r := range s {
		if allowJoiners && (r == '\u200c' || r == '\u200d') {
			continue
		}
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r, true
		}
	}
	return 0, false
}

// ValidateRegistration checks the fields of a new account.
func ValidateRegistration(email, password, name string) error {
	if err := ValidateEmail(email); err != nil {
		return err
	}
	if err := ValidateNewPassword(password, email); err != nil {
		return err
	}
	return ValidateName(name)
}

// ValidateEmail checks an email address, normalized by NormalizeEmail.
func ValidateEmail(email string) error {
	if email == "" {
		return Errorf(EINVALID, "email is required")
	}
	if len(email) > EmailLenMax {
		return Errorf(EINVALID, "email is longer than %d bytes", EmailLenMax)
	}
	if r, ok := invisibleRune(email, false); ok {
		return Errorf(EINVALID, "email must not contain control or invisible formatting characters (found U+%04X)", r)
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return Errorf(EINVALID, "email %q is not a valid address", email)
	}
	return nil
}

// ValidatePassword checks a password's length. A password an account is
// about to get also passes ValidateNewPassword.
func ValidatePassword(password string) error {
	if utf8.RuneCountInString(password) < PasswordLenMin {
		return Errorf(EINVALID, "password must be at least %d characters", PasswordLenMin)
	}
	if len(password) > PasswordLenMax {
		return Errorf(EINVALID, "password must be at most %d bytes", PasswordLenMax)
	}
	return nil
}

// ValidateName checks a display name, normalized by NormalizeName.
func ValidateName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(EINVALID, "name is required")
	}
	if utf8.RuneCountInString(name) > NameLenMax {
		return Errorf(EINVALID, "name is longer than %d characters", NameLenMax)
	}
	if r, ok := invisibleRune(name, true); ok {
		return Errorf(EINVALID, "name must not contain control or invisible formatting characters (found U+%04X)", r)
	}
	return nil
}

// RefreshToken is a stored refresh token. Only its hash is kept. Tokens of
// one login form a family: using a token rotates it (it is marked used and a
// new one of the same family is issued); presenting a used token again means
// it was stolen, so the whole family is revoked.
type RefreshToken struct {
	Hash      string
	UserID    string
	Family    string
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// UserStore keeps accounts and refresh tokens (the users service's database).
type UserStore interface {
	// CreateUser stores u (ID, CreatedAt set by the caller). Returns ECONFLICT
	// if the email is taken.
	CreateUser(ctx context.Context, u *User) error
	// UserByID returns ENOTFOUND if there is no such user.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail looks up a normalized email. Returns ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUserName returns ENOTFOUND.
	UpdateUserName(ctx context.Context, id, name string) (*User, error)
	// SetUserRole sets the role and revokes every refresh token of the user
	// at now, in one transaction: a new role takes effect on the next login.
	// Returns ENOTFOUND.
	SetUserRole(ctx context.Context, id, role string, now time.Time) (*User, error)
	// SetUserPassword sets the password hash and revokes every refresh
	// token of the user at now, in one transaction. Returns ENOTFOUND.
	SetUserPassword(ctx context.Context, id, passwordHash string, now time.Time) (*User, error)
	// SetUserDisabled disables the account at now (revoking every refresh
	// token of the user in the same transaction) or enables it again.
	// Disabling a disabled account keeps its first DisabledAt. Returns
	// ENOTFOUND.
	SetUserDisabled(ctx context.Context, id string, disabled bool, now time.Time) (*User, error)
	// UpsertAdmin creates or updates the account with this email to role
	// admin and the given password hash (admin bootstrap; idempotent).
	UpsertAdmin(ctx context.Context, u *User) (*User, error)

	// CreateRefreshToken stores a new token.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// UseRefreshToken marks the token with this hash used at now and returns
	// it as it was before. Returns EUNAUTHORIZED if it is unknown, expired,
	// revoked or already used; in the already-used case the whole family is
	// revoked first.
	UseRefreshToken(ctx context.Context, hash string, now time.Time) (*RefreshToken, error)
	// RevokeRefreshFamily revokes at now every token of the family of the
	// token with this hash (logout) and returns that token as it was.
	// Revoking a revoked family succeeds. Returns EUNAUTHORIZED if no
	// token has this hash.
	RevokeRefreshFamily(ctx context.Context, hash string, now time.Time) (*RefreshToken, error)
	// DeleteExpiredRefreshTokens deletes at most limit refresh tokens that
	// expired before before (a sweep keeps the table bounded) and returns
	// how many it deleted.
	DeleteExpiredRefreshTokens(ctx context.Context, before time.Time, limit int) (int, error)
}
