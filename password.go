package boxoffice

import (
	_ "embed"
	"strings"
	"sync"
	"unicode/utf8"
)

// commonPasswordsText is the list of passwords people pick most, as leaked
// from breaches: the passwords of PasswordLenMin characters or more from
// the common-password list of zxcvbn-ts (@zxcvbn-ts/language-common 4.1.3,
// MIT licence, see password_common.LICENSE), one a line, lower case, most
// common first. Shorter ones are refused by length anyway.
//
//go:embed password_common.txt
var commonPasswordsText string

// commonPasswords is the list as a set, built at its first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(commonPasswordsText, "\n"))
	for line := range strings.Lines(commonPasswordsText) {
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			set[p] = struct{}{}
		}
	}
	return set
})

// emailLocalLenMin is the shortest local part (before the @) that a new
// password may not contain: a shorter one, such as "jo", is part of too
// many good passwords to forbid.
const emailLocalLenMin = 3

// ValidateNewPassword checks a password an account is about to get, at
// registration or at a password change, for the account with this
// (normalized) email: the length rules of ValidatePassword, and none of
// the passwords that attackers try first: a common or breached one (in
// any case: "Password1" is tried as soon as "password1"), the email
// itself, or one containing the email's local part.
func ValidateNewPassword(password, email string) error {
	if err := ValidatePassword(password); err != nil {
		return err
	}
	lower := strings.ToLower(password)
	if _, ok := commonPasswords()[lower]; ok {
		return Errorf(EINVALID, "password is too common: it is on a list of passwords leaked from breaches, which attackers try first; choose another").
			WithDetail("reason", "common_password")
	}
	if email == "" {
		return nil
	}
	local, _, _ := strings.Cut(email, "@")
	if lower == strings.ToLower(email) || (utf8.RuneCountInString(local) >= emailLocalLenMin && strings.Contains(lower, strings.ToLower(local))) {
		return Errorf(EINVALID, "password must not be or contain your email address").
			WithDetail("reason", "password_contains_email")
	}
	return nil
}
