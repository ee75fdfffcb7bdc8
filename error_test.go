package boxoffice_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/boxoffice/boxoffice"
)

// TestErrorCode proves the code of an application error is found whether
// it is returned as it is or wrapped, that other errors are internal, and
// that the common case, an application error as it is, allocates nothing
// (a refused hold asks for it under a flash sale).
func TestErrorCode(t *testing.T) {
	taken := boxoffice.Errorf(boxoffice.ECONFLICT, "seat A1 is not available")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{taken, boxoffice.ECONFLICT},
		{fmt.Errorf("hold: %w", taken), boxoffice.ECONFLICT},
		{errors.New("disk on fire"), boxoffice.EINTERNAL},
	} {
		if got := boxoffice.ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	var err error = taken
	if n := testing.AllocsPerRun(100, func() { _ = boxoffice.ErrorCode(err) }); n != 0 {
		t.Errorf("ErrorCode of an *Error allocates %v times, want 0", n)
	}
}
