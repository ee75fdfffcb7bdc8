package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var userTests = []test{
	{"CreateAndGetByIDAndEmail", testCreateUser},
	{"TimesRoundTripInUTC", testUserTimesUTC},
	{"DuplicateEmailConflict", testDuplicateEmail},
	{"UserNotFound", testUserNotFound},
	{"UpdateUserNameReturnsUser", testUpdateUserName},
	{"SetUserRoleReturnsUser", testSetUserRole},
	{"UpsertAdminCreatesAdmin", testUpsertAdminCreates},
	{"UpsertAdminPromotesExistingAccount", testUpsertAdminPromotes},
	{"RefreshTokenUseReturnsItAsItWas", testRefreshTokenUse},
	{"RefreshTokenSecondUseUnauthorized", testRefreshTokenSecondUse},
	{"RefreshTokenReuseRevokesFamily", testRefreshTokenReuse},
	{"RefreshTokenUnknownExpiredRevokedUnauthorized", testRefreshTokenInvalid},
	{"ConcurrentRefreshTokenUseOneWins", testRefreshTokenConcurrent},
	{"SetUserRoleRevokesEveryFamily", testSetUserRoleRevokes},
	{"SetUserPasswordRevokesEveryFamily", testSetUserPassword},
	{"SetUserDisabledRevokesAndEnables", testSetUserDisabled},
	{"SessionChangesOfUnknownUserNotFound", testSessionChangesNotFound},
	{"RevokeRefreshFamilyRevokesOnlyThatFamily", testRevokeRefreshFamily},
}

func testCreateUser(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("ada@example.com")
	require.NoError(t, s.Users.CreateUser(ctx, u))

	got, err := s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)

	got, err = s.Users.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, u, got)
}

// testUserTimesUTC stores a time given in another zone with a sub-millisecond
// part and expects the same instant back in UTC.
func testUserTimesUTC(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("zone@example.com")
	u.CreatedAt = time.Date(2031, 1, 2, 3, 4, 5, 678_123_000, time.FixedZone("UTC+5", 5*3600))
	require.NoError(t, s.Users.CreateUser(ctx, u))

	got, err := s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.True(t, u.CreatedAt.Equal(got.CreatedAt), "stored %v, got %v", u.CreatedAt, got.CreatedAt)
	require.Equal(t, time.UTC, got.CreatedAt.Location())
}

func testDuplicateEmail(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	require.NoError(t, s.Users.CreateUser(ctx, newUser("ada@example.com")))
	err := s.Users.CreateUser(ctx, newUser("ada@example.com"))
	requireCode(t, boxoffice.ECONFLICT, err)
}

func testUserNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Users.UserByID(ctx, boxoffice.NewID())
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.UserByEmail(ctx, "nobody@example.com")
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.UpdateUserName(ctx, boxoffice.NewID(), "x")
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.SetUserRole(ctx, boxoffice.NewID(), boxoffice.RoleAdmin, at(0))
	requireCode(t, boxoffice.ENOTFOUND, err)
}

func testUpdateUserName(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("ada@example.com")
	require.NoError(t, s.Users.CreateUser(ctx, u))

	got, err := s.Users.UpdateUserName(ctx, u.ID, "Ada King")
	require.NoError(t, err)
	u.Name = "Ada King"
	require.Equal(t, u, got)
	got, err = s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)
}

func testSetUserRole(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("ada@example.com")
	require.NoError(t, s.Users.CreateUser(ctx, u))

	got, err := s.Users.SetUserRole(ctx, u.ID, boxoffice.RoleAdmin, at(0))
	require.NoError(t, err)
	u.Role = boxoffice.RoleAdmin
	require.Equal(t, u, got)
	got, err = s.Users.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, u, got)
}

// testUpsertAdminCreates proves the role is admin whatever u.Role says, and
// that a second call with the same account changes nothing.
func testUpsertAdminCreates(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("root@example.com")
	u.Role = ""
	got, err := s.Users.UpsertAdmin(ctx, u)
	require.NoError(t, err)
	want := *u
	want.Role = boxoffice.RoleAdmin
	require.Equal(t, &want, got)

	again := *u
	again.ID = boxoffice.NewID()
	got, err = s.Users.UpsertAdmin(ctx, &again)
	require.NoError(t, err)
	require.Equal(t, &want, got, "a second bootstrap keeps the account")

	stored, err := s.Users.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, &want, stored)
}

// testUpsertAdminPromotesExistingAccount proves an existing account keeps
// its ID, name and creation time, and gets role admin and the new hash.
func testUpsertAdminPromotes(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := newUser("root@example.com")
	require.NoError(t, s.Users.CreateUser(ctx, u))

	boot := newUser("root@example.com")
	boot.Name = "Bootstrap"
	boot.PasswordHash = "$2a$10$new-hash"
	boot.CreatedAt = at(60)
	got, err := s.Users.UpsertAdmin(ctx, boot)
	require.NoError(t, err)
	want := *u
	want.Role = boxoffice.RoleAdmin
	want.PasswordHash = boot.PasswordHash
	require.Equal(t, &want, got)

	stored, err := s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, &want, stored)
}

func mustToken(t *testing.T, s *boxoffice.Stores, userID, family string, expires time.Time) *boxoffice.RefreshToken {
	t.Helper()
	tok := &boxoffice.RefreshToken{Hash: "hash-" + boxoffice.NewID(), UserID: userID, Family: family, ExpiresAt: expires}
	require.NoError(t, s.Users.CreateRefreshToken(t.Context(), tok))
	return tok
}

func mustUser(t *testing.T, s *boxoffice.Stores) *boxoffice.User {
	t.Helper()
	u := newUser(boxoffice.NewID() + "@example.com")
	require.NoError(t, s.Users.CreateUser(t.Context(), u))
	return u
}

func testRefreshTokenUse(t *testing.T, s *boxoffice.Stores) {
	u := mustUser(t, s)
	tok := mustToken(t, s, u.ID, "fam-1", at(60))
	got, err := s.Users.UseRefreshToken(t.Context(), tok.Hash, at(1))
	require.NoError(t, err)
	require.Equal(t, tok, got, "the token as it was before this use")
}

func testRefreshTokenSecondUse(t *testing.T, s *boxoffice.Stores) {
	u := mustUser(t, s)
	tok := mustToken(t, s, u.ID, "fam-1", at(60))
	_, err := s.Users.UseRefreshToken(t.Context(), tok.Hash, at(1))
	require.NoError(t, err)
	_, err = s.Users.UseRefreshToken(t.Context(), tok.Hash, at(2))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)
}

// testRefreshTokenReuse rotates a token, presents the old one again, and
// expects the rotated token to be revoked too, while another family (another
// login of the same user) still works.
func testRefreshTokenReuse(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	first := mustToken(t, s, u.ID, "fam-1", at(60))
	other := mustToken(t, s, u.ID, "fam-2", at(60))
	_, err := s.Users.UseRefreshToken(ctx, first.Hash, at(1))
	require.NoError(t, err)
	rotated := mustToken(t, s, u.ID, "fam-1", at(61))

	_, err = s.Users.UseRefreshToken(ctx, first.Hash, at(2))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)
	_, err = s.Users.UseRefreshToken(ctx, rotated.Hash, at(3))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)

	got, err := s.Users.UseRefreshToken(ctx, other.Hash, at(4))
	require.NoError(t, err)
	require.Equal(t, other, got)
}

func testRefreshTokenInvalid(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	_, err := s.Users.UseRefreshToken(ctx, "no-such-hash", at(0))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)

	expired := mustToken(t, s, u.ID, "fam-1", at(10))
	_, err = s.Users.UseRefreshToken(ctx, expired.Hash, at(11))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)

	revokedAt := at(1)
	revoked := &boxoffice.RefreshToken{Hash: "hash-revoked", UserID: u.ID, Family: "fam-2",
		ExpiresAt: at(60), RevokedAt: &revokedAt}
	require.NoError(t, s.Users.CreateRefreshToken(ctx, revoked))
	_, err = s.Users.UseRefreshToken(ctx, revoked.Hash, at(2))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)
}

// testRefreshTokenConcurrent uses one token from several goroutines at once:
// exactly one use may succeed, or a stolen token could be rotated twice.
func testRefreshTokenConcurrent(t *testing.T, s *boxoffice.Stores) {
	u := mustUser(t, s)
	for range 5 {
		tok := mustToken(t, s, u.ID, boxoffice.NewID(), at(60))
		use := func(ctx context.Context) error {
			_, err := s.Users.UseRefreshToken(ctx, tok.Hash, at(1))
			return err
		}
		codes := countCodes(goTogether(t.Context(), use, use, use, use))
		require.Equal(t, map[string]int{"": 1, boxoffice.EUNAUTHORIZED: 3}, codes)
	}
}

// requireRevoked proves that none of toks can be used any more.
func requireRevoked(t *testing.T, s *boxoffice.Stores, toks ...*boxoffice.RefreshToken) {
	t.Helper()
	for _, tok := range toks {
		_, err := s.Users.UseRefreshToken(t.Context(), tok.Hash, at(5))
		requireCode(t, boxoffice.EUNAUTHORIZED, err)
	}
}

// testSetUserRoleRevokes proves a role change ends every login of the user
// and no other user's.
func testSetUserRoleRevokes(t *testing.T, s *boxoffice.Stores) {
	u, other := mustUser(t, s), mustUser(t, s)
	a, b := mustToken(t, s, u.ID, "fam-1", at(60)), mustToken(t, s, u.ID, "fam-2", at(60))
	keep := mustToken(t, s, other.ID, "fam-3", at(60))

	_, err := s.Users.SetUserRole(t.Context(), u.ID, boxoffice.RoleAdmin, at(1))
	require.NoError(t, err)
	requireRevoked(t, s, a, b)
	_, err = s.Users.UseRefreshToken(t.Context(), keep.Hash, at(5))
	require.NoError(t, err)
}

func testSetUserPassword(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	a, b := mustToken(t, s, u.ID, "fam-1", at(60)), mustToken(t, s, u.ID, "fam-2", at(60))

	got, err := s.Users.SetUserPassword(ctx, u.ID, "$2a$10$changed", at(1))
	require.NoError(t, err)
	u.PasswordHash = "$2a$10$changed"
	require.Equal(t, u, got)
	stored, err := s.Users.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, stored)
	requireRevoked(t, s, a, b)
}

// testSetUserDisabled disables twice (the first time is kept), checks the
// logins are revoked, then enables again.
func testSetUserDisabled(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	a := mustToken(t, s, u.ID, "fam-1", at(60))

	got, err := s.Users.SetUserDisabled(ctx, u.ID, true, at(1))
	require.NoError(t, err)
	require.True(t, got.Disabled())
	require.True(t, at(1).Equal(*got.DisabledAt), "disabled at %v", got.DisabledAt)
	require.Equal(t, time.UTC, got.DisabledAt.Location())
	got, err = s.Users.SetUserDisabled(ctx, u.ID, true, at(2))
	require.NoError(t, err)
	require.True(t, at(1).Equal(*got.DisabledAt), "a second disable keeps the first time")
	stored, err := s.Users.UserByEmail(ctx, u.Email)
	require.NoError(t, err)
	require.Equal(t, got, stored)
	requireRevoked(t, s, a)

	got, err = s.Users.SetUserDisabled(ctx, u.ID, false, at(3))
	require.NoError(t, err)
	require.Equal(t, u, got)
	fresh := mustToken(t, s, u.ID, "fam-2", at(60))
	_, err = s.Users.UseRefreshToken(ctx, fresh.Hash, at(4))
	require.NoError(t, err, "enabling keeps new logins working")
}

func testSessionChangesNotFound(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	_, err := s.Users.SetUserPassword(ctx, boxoffice.NewID(), "$2a$10$x", at(0))
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.SetUserDisabled(ctx, boxoffice.NewID(), true, at(0))
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.SetUserDisabled(ctx, boxoffice.NewID(), false, at(0))
	requireCode(t, boxoffice.ENOTFOUND, err)
	_, err = s.Users.RevokeRefreshFamily(ctx, "no-such-hash", at(0))
	requireCode(t, boxoffice.EUNAUTHORIZED, err)
}

// testRevokeRefreshFamily logs out one login (after a rotation) and expects
// the user's other login to go on working; logging out twice succeeds.
func testRevokeRefreshFamily(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	first := mustToken(t, s, u.ID, "fam-1", at(60))
	other := mustToken(t, s, u.ID, "fam-2", at(60))
	_, err := s.Users.UseRefreshToken(ctx, first.Hash, at(1))
	require.NoError(t, err)
	rotated := mustToken(t, s, u.ID, "fam-1", at(61))

	got, err := s.Users.RevokeRefreshFamily(ctx, rotated.Hash, at(2))
	require.NoError(t, err)
	require.Equal(t, rotated, got)
	requireRevoked(t, s, rotated)
	_, err = s.Users.RevokeRefreshFamily(ctx, rotated.Hash, at(3))
	require.NoError(t, err, "logging out twice")

	_, err = s.Users.UseRefreshToken(ctx, other.Hash, at(4))
	require.NoError(t, err)
}
