package http_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/boxoffice/boxoffice"
)

// TestRegisterRefusesInvisibleCharacters proves on a running server that
// a name or an email cannot carry a right-to-left override, a zero-width
// space or a newline (a name that shows as something else to the staff
// and in mails), at registration and at a name change.
func TestRegisterRefusesInvisibleCharacters(t *testing.T) {
	ts := MustOpenServer(t)
	register := func(email, name string) *Response {
		return ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": email, "password": testPassword, "name": name,
		})
	}
	for _, tc := range []struct{ email, name string }{
		{"mallory@example.com", "invoice\u202efdp.exe"},
		{"mallory@example.com", "Ann\u200bMarie"},
		{"mallory@example.com", "Ann\nrole=admin"},
		{"mallory\u202e@example.com", "Mallory"},
		{"mallory@exa\u200bmple.com", "Mallory"},
	} {
		e := register(tc.email, tc.name).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		assert.Contains(t, e.Message, "invisible formatting characters", "%+q", tc)
	}

	_, ann := ts.Register(t, "ann")
	ts.Do(t, "PATCH", "/api/v1/users/me", ann.AccessToken, map[string]string{"name": "Ann\u202eeM"}).
		RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
}

// TestRegisterNormalizes proves on a running server that an email typed
// with a combining accent is the same account as the precomposed one, and
// that names are stored composed (NFC).
func TestRegisterNormalizes(t *testing.T) {
	ts := MustOpenServer(t)
	var u boxoffice.User
	ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
		"email": "Jose\u0301@Example.com", "password": testPassword, "name": " Jose\u0301 ",
	}).Decode(t, http.StatusCreated, &u)
	assert.Equal(t, "jos\u00e9@example.com", u.Email)
	assert.Equal(t, "Jos\u00e9", u.Name)
	tok := ts.Login(t, "jos\u00e9@example.com", testPassword)

	var me boxoffice.User
	ts.Do(t, "PATCH", "/api/v1/users/me", tok.AccessToken, map[string]string{"name": "Zoe\u0301"}).Decode(t, http.StatusOK, &me)
	assert.Equal(t, "Zo\u00e9", me.Name)
}

// TestRefusesGuessablePasswords proves on a running server that an
// account cannot get a password from the breached list, its email or one
// containing its email's local part, at registration or at a change, and
// that a refused change leaves the old password working.
func TestRefusesGuessablePasswords(t *testing.T) {
	ts := MustOpenServer(t)
	for _, tc := range []struct{ email, password, reason string }{
		{"mallory@example.com", "Password1", "common_password"},
		{"mallory@example.com", "qwertyuiop", "common_password"},
		{"mallory@example.com", "mallory@example.com", "password_contains_email"},
		{"mallory@example.com", "mallory-2026", "password_contains_email"},
	} {
		e := ts.Do(t, "POST", "/api/v1/auth/register", "", map[string]string{
			"email": tc.email, "password": tc.password, "name": "Mallory",
		}).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
		assert.Equal(t, tc.reason, e.Details["reason"], tc.password)
	}

	u, ann := ts.Register(t, "annabel")
	for _, p := range []string{"iloveyou", "annabel-rocks"} {
		ts.Do(t, "POST", "/api/v1/users/me/password", ann.AccessToken, map[string]string{
			"current_password": testPassword, "new_password": p,
		}).RequireError(t, http.StatusBadRequest, boxoffice.EINVALID)
	}
	ts.Login(t, u.Email, testPassword)
}
