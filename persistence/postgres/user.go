package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

// userStore is boxoffice.UserStore on the users database.
type userStore struct{ db *db }

var _ boxoffice.UserStore = (*userStore)(nil)

const (
	userColumns     = `id, email, name, role, password_hash, created_at`
	userReadColumns = userColumns + `, disabled_at`
)

func scanUser(row pgx.Row) (*boxoffice.User, error) {
	var u boxoffice.User
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.DisabledAt); err != nil {
		return nil, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.DisabledAt = utc(u.DisabledAt)
	return &u, nil
}

func (s *userStore) CreateUser(ctx context.Context, u *boxoffice.User) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.pool.Exec(ctx,
		`INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		u.ID, u.Email, u.Name, u.Role, u.PasswordHash, u.CreatedAt)
	if isUnique(err, "users_email_key") {
		return boxoffice.Errorf(boxoffice.ECONFLICT, "email %q is already registered", u.Email)
	}
	return s.db.translate(err)
}

func (s *userStore) UserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.pool.QueryRow(ctx, `SELECT `+userReadColumns+` FROM users WHERE id = $1`, id))
	return u, s.db.notFound(err, "user %q not found", id)
}

func (s *userStore) UserByEmail(ctx context.Context, email string) (*boxoffice.User, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.pool.QueryRow(ctx, `SELECT `+userReadColumns+` FROM users WHERE email = $1`, email))
	return u, s.db.notFound(err, "user with email %q not found", email)
}

func (s *userStore) UpdateUserName(ctx context.Context, id, name string) (*boxoffice.User, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.pool.QueryRow(ctx,
		`UPDATE users SET name = $2 WHERE id = $1 RETURNING `+userReadColumns, id, name))
	return u, s.db.notFound(err, "user %q not found", id)
}

// SetUserRole sets the role and revokes the user's refresh tokens in one
// transaction.
func (s *userStore) SetUserRole(ctx context.Context, id, role string, now time.Time) (*boxoffice.User, error) {
	return s.updateAndRevoke(ctx, id, now, true,
		`UPDATE users SET role = $2 WHERE id = $1 RETURNING `+userReadColumns, id, role)
}

// SetUserPassword sets the password hash and revokes the user's refresh
// tokens in one transaction.
func (s *userStore) SetUserPassword(ctx context.Context, id, hash string, now time.Time) (*boxoffice.User, error) {
	return s.updateAndRevoke(ctx, id, now, true,
		`UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING `+userReadColumns, id, hash)
}

// SetUserDisabled disables (revoking the user's refresh tokens) or enables
// an account.
func (s *userStore) SetUserDisabled(ctx context.Context, id string, disabled bool, now time.Time) (*boxoffice.User, error) {
	if !disabled {
		return s.updateAndRevoke(ctx, id, now, false,
			`UPDATE users SET disabled_at = NULL WHERE id = $1 RETURNING `+userReadColumns, id)
	}
	return s.updateAndRevoke(ctx, id, now, true,
		`UPDATE users SET disabled_at = coalesce(disabled_at, $2) WHERE id = $1 RETURNING `+userReadColumns, id, now)
}

// updateAndRevoke runs one update of the user's row that returns it and,
// when revoke is set, revokes every refresh token of the user at now, in
// one transaction.
func (s *userStore) updateAndRevoke(ctx context.Context, id string, now time.Time, revoke bool, update string, args ...any) (*boxoffice.User, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var u *boxoffice.User
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		var err error
		if u, err = scanUser(tx.QueryRow(ctx, update, args...)); err != nil || !revoke {
			return err
		}
		_, err = tx.Exec(ctx,
			`UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL`, id, now)
		return err
	})
	return u, s.db.notFound(err, "user %q not found", id)
}

// UpsertAdmin is one statement, so that nodes bootstrapping the same admin
// at the same time both succeed. An existing account keeps its ID, name
// and creation time.
func (s *userStore) UpsertAdmin(ctx context.Context, u *boxoffice.User) (*boxoffice.User, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	out, err := scanUser(s.db.pool.QueryRow(ctx,
		`INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (email) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash
		RETURNING `+userReadColumns,
		u.ID, u.Email, u.Name, boxoffice.RoleAdmin, u.PasswordHash, u.CreatedAt))
	return out, s.db.translate(err)
}

func (s *userStore) CreateRefreshToken(ctx context.Context, t *boxoffice.RefreshToken) error {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	_, err := s.db.pool.Exec(ctx,
		`INSERT INTO refresh_tokens (hash, user_id, family, expires_at, used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Hash, t.UserID, t.Family, t.ExpiresAt, t.UsedAt, t.RevokedAt)
	return s.db.translate(err)
}

// errRefreshRefused is the one answer to every bad refresh token, so that
// a caller learns nothing about which tokens exist.
var errRefreshRefused = boxoffice.Errorf(boxoffice.EUNAUTHORIZED, "refresh token is invalid or expired")

// UseRefreshToken locks the token's row so that two concurrent uses of one
// token are decided one after the other: the second sees it used and
// revokes the family. The revocation is committed even though the answer
// is a refusal.
func (s *userStore) UseRefreshToken(ctx context.Context, hash string, now time.Time) (*boxoffice.RefreshToken, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var used *boxoffice.RefreshToken
	var refused bool
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		t, err := scanRefreshToken(tx.QueryRow(ctx,
			`SELECT hash, user_id, family, expires_at, used_at, revoked_at
			FROM refresh_tokens WHERE hash = $1 FOR UPDATE`, hash))
		if errors.Is(err, pgx.ErrNoRows) {
			refused = true
			return nil
		} else if err != nil {
			return err
		}
		switch {
		case t.UsedAt != nil:
			// A used token presented again was copied: revoke every token
			// of the login, including the one its rotation issued.
			refused = true
			return revokeFamily(ctx, tx, t.Family, now)
		case t.RevokedAt != nil, !now.Before(t.ExpiresAt):
			refused = true
			return nil
		}
		used = t
		_, err = tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1`, hash, now)
		return err
	})
	switch {
	case err != nil:
		return nil, s.db.translate(err)
	case refused:
		return nil, errRefreshRefused
	}
	return used, nil
}

// revokeFamily revokes every live token of one login at now.
func revokeFamily(ctx context.Context, tx pgx.Tx, family string, now time.Time) error {
	_, err := tx.Exec(ctx,
		`UPDATE refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL`, family, now)
	return err
}

func scanRefreshToken(row pgx.Row) (*boxoffice.RefreshToken, error) {
	var t boxoffice.RefreshToken
	if err := row.Scan(&t.Hash, &t.UserID, &t.Family, &t.ExpiresAt, &t.UsedAt, &t.RevokedAt); err != nil {
		return nil, err
	}
	t.ExpiresAt = t.ExpiresAt.UTC()
	t.UsedAt, t.RevokedAt = utc(t.UsedAt), utc(t.RevokedAt)
	return &t, nil
}

// RevokeRefreshFamily revokes the family of the token with this hash at now
// and returns the token as it was.
func (s *userStore) RevokeRefreshFamily(ctx context.Context, hash string, now time.Time) (*boxoffice.RefreshToken, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var t *boxoffice.RefreshToken
	err := pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		var err error
		t, err = scanRefreshToken(tx.QueryRow(ctx,
			`SELECT hash, user_id, family, expires_at, used_at, revoked_at
			FROM refresh_tokens WHERE hash = $1`, hash))
		if err != nil {
			return err
		}
		return revokeFamily(ctx, tx, t.Family, now)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errRefreshRefused
	}
	return t, s.db.translate(err)
}
