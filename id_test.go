package boxoffice_test

import (
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// crockford is the alphabet an ID is written in.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func TestNewIDFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := boxoffice.NewID()
		if len(id) != 26 || strings.Trim(id, crockford) != "" || id[0] > '7' {
			t.Fatalf("NewID() = %q: want 26 Crockford base32 characters, the first at most 7", id)
		}
		if !boxoffice.ValidID(id) {
			t.Fatalf("ValidID(%q) = false for an ID from NewID", id)
		}
		if seen[id] {
			t.Fatalf("NewID() = %q twice", id)
		}
		seen[id] = true
	}
}

// IDs made in a later millisecond sort after earlier ones, and the first
// ten characters are the creation time in milliseconds.
func TestNewIDTimeOrdered(t *testing.T) {
	before := time.Now().UnixMilli()
	a := boxoffice.NewID()
	for mid := time.Now().UnixMilli(); time.Now().UnixMilli() == mid; {
		// Wait for the next millisecond: a is from this one or earlier.
	}
	b := boxoffice.NewID()
	after := time.Now().UnixMilli()
	if a >= b {
		t.Fatalf("NewID() %q then %q: not time-ordered", a, b)
	}
	for _, id := range []string{a, b} {
		var ms int64
		for _, c := range id[:10] {
			ms = ms<<5 | int64(strings.IndexRune(crockford, c))
		}
		if ms < before || ms > after {
			t.Errorf("%q carries %d ms, want within [%d, %d]", id, ms, before, after)
		}
	}
}

func TestValidID(t *testing.T) {
	for s, want := range map[string]bool{
		"01ARZ3NDEKTSV4RRFFQ69G5FAV":  true,
		"7ZZZZZZZZZZZZZZZZZZZZZZZZZ":  true,
		"00000000000000000000000000":  true,
		"":                            false,
		"01ARZ3NDEKTSV4RRFFQ69G5FA":   false, // 25 characters
		"01ARZ3NDEKTSV4RRFFQ69G5FAVX": false, // 27
		"8ZZZZZZZZZZZZZZZZZZZZZZZZZ":  false, // more than 128 bits
		"01arz3ndektsv4rrffq69g5fav":  false, // lower case
		"01ARZ3NDEKTSV4RRFFQ69G5FAv":  false,
		"01ARZ3NDEKTSV4RRFFQ69G5FAI":  false, // I, L, O and U are not Crockford digits
		"01ARZ3NDEKTSV4RRFFQ69G5FAL":  false,
		"01ARZ3NDEKTSV4RRFFQ69G5FAO":  false,
		"01ARZ3NDEKTSV4RRFFQ69G5FAU":  false,
		"01ARZ3NDEKTSV4RRFFQ69G5FA-":  false,
		"01ARZ3NDEKTSV4RRFFQ69G5FÉ":   false, // 26 bytes, one character not ASCII
	} {
		if got := boxoffice.ValidID(s); got != want {
			t.Errorf("ValidID(%q) = %t, want %t", s, got, want)
		}
	}
}
