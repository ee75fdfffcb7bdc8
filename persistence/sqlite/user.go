package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/boxoffice/boxoffice"
)

// userStore keeps accounts and refresh tokens in users.db.
type userStore struct{ db *db }

var _ boxoffice.UserStore = (*userStore)(nil)

const (
	userColumns     = `id, email, name, role, password_hash, created_at`
	userReadColumns = userColumns + `, disabled_at`
)

func scanUser(s scanner) (*boxoffice.User, error) {
	var u boxoffice.User
	var created int64
	var disabled sql.NullInt64
	if err := s.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &created, &disabled); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	u.DisabledAt = fromNullMicros(disabled)
	return &u, nil
}

// CreateUser stores u. Returns ECONFLICT if the email is taken.
func (s *userStore) CreateUser(ctx context.Context, u *boxoffice.User) error {
	_, err := s.db.db.ExecContext(ctx,
		`INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.Role, u.PasswordHash, micros(u.CreatedAt))
	if isUnique(err) {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "email %s is already registered", u.Email)
	}
	return translate(err, "user "+u.ID)
}

// UserByID returns ENOTFOUND if there is no such user.
func (s *userStore) UserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	u, err := scanUser(s.db.db.QueryRowContext(ctx,
		`SELECT `+userReadColumns+` FROM users WHERE id = ?`, id))
	return u, translate(err, "user "+id)
}

// UserByEmail looks up a normalized email. Returns ENOTFOUND.
func (s *userStore) UserByEmail(ctx context.Context, email string) (*boxoffice.User, error) {
	u, err := scanUser(s.db.db.QueryRowContext(ctx,
		`SELECT `+userReadColumns+` FROM users WHERE email = ?`, email))
	return u, translate(err, "user with email "+email)
}

// UpdateUserName returns ENOTFOUND.
func (s *userStore) UpdateUserName(ctx context.Context, id, name string) (*boxoffice.User, error) {
	u, err := scanUser(s.db.db.QueryRowContext(ctx,
		`UPDATE users SET name = ? WHERE id = ? RETURNING `+userReadColumns, name, id))
	return u, translate(err, "user "+id)
}

// SetUserRole sets the role and revokes the user's refresh tokens in one
// transaction. Returns ENOTFOUND.
func (s *userStore) SetUserRole(ctx context.Context, id, role string, now time.Time) (*boxoffice.User, error) {
	return s.updateAndRevoke(ctx, id, now, true, `UPDATE users SET role = ? WHERE id = ?`, role, id)
}

// SetUserPassword sets the password hash and revokes the user's refresh
// tokens in one transaction. Returns ENOTFOUND.
func (s *userStore) SetUserPassword(ctx context.Context, id, hash string, now time.Time) (*boxoffice.User, error) {
	return s.updateAndRevoke(ctx, id, now, true, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
}

// SetUserDisabled disables (revoking the user's refresh tokens) or enables
// an account. Returns ENOTFOUND.
func (s *userStore) SetUserDisabled(ctx context.Context, id string, disabled bool, now time.Time) (*boxoffice.User, error) {
	if !disabled {
		return s.updateAndRevoke(ctx, id, now, false, `UPDATE users SET disabled_at = NULL WHERE id = ?`, id)
	}
	return s.updateAndRevoke(ctx, id, now, true,
		`UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?`, micros(now), id)
}

// updateAndRevoke runs one update of the user's row and, when revoke is
// set, revokes every refresh token of the user at now, in one transaction,
// and returns the user as it is then.
func (s *userStore) updateAndRevoke(ctx context.Context, id string, now time.Time, revoke bool, update string, args ...any) (*boxoffice.User, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, translate(err, "user "+id)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, update, args...); err != nil {
		return nil, translate(err, "user "+id)
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userReadColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return nil, translate(err, "user "+id)
	}
	if revoke {
		if _, err := tx.ExecContext(ctx,
			`UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
			micros(now), id); err != nil {
			return nil, translate(err, "refresh tokens of user "+id)
		}
	}
	return u, translate(tx.Commit(), "user "+id)
}

// UpsertAdmin creates the account with u's email as an admin, or makes the
// existing one an admin with u's password hash (keeping its ID, name and
// creation time). One statement, so two bootstraps cannot race.
func (s *userStore) UpsertAdmin(ctx context.Context, u *boxoffice.User) (*boxoffice.User, error) {
	got, err := scanUser(s.db.db.QueryRowContext(ctx,
		`INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash
		 RETURNING `+userReadColumns,
		u.ID, u.Email, u.Name, boxoffice.RoleAdmin, u.PasswordHash, micros(u.CreatedAt)))
	return got, translate(err, "user "+u.ID)
}

const tokenColumns = `hash, user_id, family, expires_at, used_at, revoked_at`

func scanRefreshToken(s scanner) (*boxoffice.RefreshToken, error) {
	var t boxoffice.RefreshToken
	var expires int64
	var used, revoked sql.NullInt64
	if err := s.Scan(&t.Hash, &t.UserID, &t.Family, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	t.ExpiresAt = fromMicros(expires)
	t.UsedAt = fromNullMicros(used)
	t.RevokedAt = fromNullMicros(revoked)
	return &t, nil
}

// CreateRefreshToken stores a new token. Returns ECONFLICT if the hash
// exists and EINVALID if the user does not.
func (s *userStore) CreateRefreshToken(ctx context.Context, t *boxoffice.RefreshToken) error {
	_, err := s.db.db.ExecContext(ctx,
		`INSERT INTO refresh_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		t.Hash, t.UserID, t.Family, micros(t.ExpiresAt), nullMicros(t.UsedAt), nullMicros(t.RevokedAt))
	return translate(err, "refresh token")
}

// errTokenInvalid is the one answer for every bad token, so that a client
// cannot tell an unknown token from a revoked one.
var errTokenInvalid = boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "refresh token is not valid")

// UseRefreshToken marks the token used at now and returns it as it was.
// Returns EUNAUTHORIZED if it is unknown, expired (now at or after
// ExpiresAt), revoked or already used; a used token means it was stolen, so
// its whole family is revoked first. Read, check and write happen in one
// transaction so two uses of one token cannot both succeed.
func (s *userStore) UseRefreshToken(ctx context.Context, hash string, now time.Time) (*boxoffice.RefreshToken, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, translate(err, "refresh token")
	}
	defer func() { _ = tx.Rollback() }()

	t, err := scanRefreshToken(tx.QueryRowContext(ctx,
		`SELECT `+tokenColumns+` FROM refresh_tokens WHERE hash = ?`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errTokenInvalid
	case err != nil:
		return nil, translate(err, "refresh token")
	case t.UsedAt != nil:
		// The revocation must be committed even though the call fails.
		if err := revokeFamily(ctx, tx, t.Family, now); err != nil {
			return nil, translate(err, "refresh token family")
		}
		if err := tx.Commit(); err != nil {
			return nil, translate(err, "refresh token family")
		}
		return nil, errTokenInvalid
	case t.RevokedAt != nil, !now.Before(t.ExpiresAt):
		return nil, errTokenInvalid
	}
	if _, err := tx.ExecContext(ctx,
		`UPDATE refresh_tokens SET used_at = ? WHERE hash = ?`, micros(now), hash); err != nil {
		return nil, translate(err, "refresh token")
	}
	if err := tx.Commit(); err != nil {
		return nil, translate(err, "refresh token")
	}
	return t, nil
}

// RevokeRefreshFamily revokes the family of the token with this hash at now
// and returns the token as it was. Returns EUNAUTHORIZED for an unknown hash.
func (s *userStore) RevokeRefreshFamily(ctx context.Context, hash string, now time.Time) (*boxoffice.RefreshToken, error) {
	tx, err := s.db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, translate(err, "refresh token")
	}
	defer func() { _ = tx.Rollback() }()
	t, err := scanRefreshToken(tx.QueryRowContext(ctx,
		`SELECT `+tokenColumns+` FROM refresh_tokens WHERE hash = ?`, hash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errTokenInvalid
	case err != nil:
		return nil, translate(err, "refresh token")
	}
	if err := revokeFamily(ctx, tx, t.Family, now); err != nil {
		return nil, translate(err, "refresh token family")
	}
	return t, translate(tx.Commit(), "refresh token family")
}

// revokeFamily revokes every live token of one login at now.
func revokeFamily(ctx context.Context, tx *sql.Tx, family string, now time.Time) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL`, micros(now), family)
	return err
}
