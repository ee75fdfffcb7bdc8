package boxoffice_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/boxoffice/boxoffice"
)

// TestNormalizeEmail proves an address is found however it was typed:
// spaces trimmed, case folded, accents composed (NFC).
func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Ann@Example.COM ":        "ann@example.com",
		"jose\u0301@example.com":   "jos\u00e9@example.com",
		"JOS\u00c9@b\u00fccher.de": "jos\u00e9@b\u00fccher.de",
	} {
		assert.Equal(t, want, boxoffice.NormalizeEmail(in), "%q", in)
	}
}

// TestValidateEmail proves that controls and invisible formatting
// characters are refused in an address, which mail parsing accepts.
func TestValidateEmail(t *testing.T) {
	for email, ok := range map[string]bool{
		"ann@example.com":       true,
		"jos\u00e9@example.com": true,
		"":                      false,
		"ann":                   false,
		"Ann <ann@example.com>": false,
		"ann\u202e@example.com": false, // right-to-left override
		"ann@exa\u200bmple.com": false, // zero-width space
		"ann@example.com\u200d": false, // zero-width joiner: no address needs it
		"ann\u2028@example.com": false, // line separator
		"ann\u0085@example.com": false, // next line, a control
		"ann\ufeff@example.com": false, // byte order mark
		"ann\xff@example.com":   false, // not UTF-8
	} {
		err := boxoffice.ValidateEmail(boxoffice.NormalizeEmail(email))
		if ok {
			assert.NoError(t, err, "%q", email)
		} else {
			assert.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), "%q: %v", email, err)
		}
	}
}

// TestNormalizeName proves a name is stored trimmed and composed.
func TestNormalizeName(t *testing.T) {
	assert.Equal(t, "Zo\u00e9 Martin", boxoffice.NormalizeName("  Zoe\u0301 Martin\t"))
	assert.Equal(t, "Ann", boxoffice.NormalizeName("Ann"))
}

// TestValidateName proves what a display name may hold: any script and
// emoji, the joiners that scripts and emoji sequences need, but no
// controls, bidirectional overrides or other invisible formatting.
func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"Ann":             true,
		"Zo\u00e9 Martin": true,
		"\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645": true, // Persian with a zero-width non-joiner
		"\U0001F468\u200d\U0001F469\u200d\U0001F467":       true, // a family emoji
		"":                   false,
		"   ":                false,
		"evil\u202etxt.exe":  false, // right-to-left override
		"Ann\u200bMarie":     false, // zero-width space
		"Ann\nadmin=true":    false, // newline
		"Ann\x00":            false,
		"Ann\u2029Bob":       false, // paragraph separator
		"Ann\u2066Bob\u2069": false, // bidi isolates
		"Ann\xffMarie":       false, // not UTF-8
	} {
		err := boxoffice.ValidateName(boxoffice.NormalizeName(name))
		if ok {
			assert.NoError(t, err, "%q", name)
		} else {
			assert.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), "%q: %v", name, err)
		}
	}
}
