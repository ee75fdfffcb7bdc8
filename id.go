package boxoffice

import (
	"crypto/rand"
	"strings"

	"github.com/oklog/ulid/v2"
)

// NewID returns a new identifier in the ULID format: 26 characters of
// Crockford base32 (no I, L, O or U, so IDs are easy to read aloud and never
// spell words by accident) holding 48 bits of milliseconds and 80 random
// bits. IDs created later sort after earlier ones, which keeps "newest
// first" lists and cursors simple. The random bits come from crypto/rand,
// not the library's default source, so an ID cannot be guessed from
// another.
func NewID() string {
	return ulid.MustNew(ulid.Now(), rand.Reader).String()
}

// ValidID reports whether s looks like an ID made by NewID. Handlers use it
// to answer 404 for garbage without touching a store. IDs are written in
// upper case only: a lower-case spelling, which the ULID parser would
// accept, names no stored row.
func ValidID(s string) bool {
	if _, err := ulid.ParseStrict(s); err != nil {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' })
}
