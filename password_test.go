package boxoffice_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/boxoffice/boxoffice"
)

// TestValidateNewPassword proves a new password must not be one that
// attackers try first: a common or breached one in any case, the email, or
// one containing the email's local part; good passwords pass.
func TestValidateNewPassword(t *testing.T) {
	for _, tc := range []struct {
		password, email, reason string
	}{
		{"correct horse battery", "ann@example.com", ""},
		{"a much newer password", "", ""},
		{"jo-likes-films", "jo@example.com", ""}, // a local part this short may appear
		{"short", "ann@example.com", "length"},
		{"password", "ann@example.com", "common_password"},
		{"Password1", "ann@example.com", "common_password"},
		{"12345678", "ann@example.com", "common_password"},
		{"qwertyuiop", "", "common_password"},
		{"iloveyou", "ann@example.com", "common_password"},
		{"ann@example.com", "ann@example.com", "password_contains_email"},
		{"ANN@EXAMPLE.COM", "ann@example.com", "password_contains_email"},
		{"Mallory-2026!", "mallory@example.com", "password_contains_email"},
	} {
		err := boxoffice.ValidateNewPassword(tc.password, tc.email)
		switch tc.reason {
		case "":
			assert.NoError(t, err, tc.password)
		case "length":
			assert.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), tc.password)
		default:
			assert.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), tc.password)
			assert.Equal(t, tc.reason, boxoffice.ErrorDetails(err)["reason"], tc.password)
		}
	}
}

// TestCommonPasswordsList proves the shipped list is there and whole: the
// most common long password and one from its end are found.
func TestCommonPasswordsList(t *testing.T) {
	for _, p := range []string{"12345678", "baseball", "trustno1", "1qaz2wsx", "dimazarya"} {
		assert.Error(t, boxoffice.ValidateNewPassword(p, ""), p)
	}
}
