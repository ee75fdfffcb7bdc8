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

// TestStorageFull proves that a layer answering a full disk's refusal in
// its own words keeps the reason: the message says "storage is full" and
// the details carry it, also when the cause crossed a process as code,
// message and details only; any other cause leaves the error as it is.
func TestStorageFull(t *testing.T) {
	own := boxoffice.Errorf(boxoffice.EUNAVAILABLE, "booking could not be recorded; retry shortly")
	wire := &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "x",
		Details: map[string]any{"reason": boxoffice.ReasonStorageFull}}
	for _, cause := range []error{
		fmt.Errorf("%w: insert: %w", boxoffice.ErrStorageFull, errors.New("database or disk is full")),
		wire,
	} {
		got := boxoffice.StorageFull(own, cause)
		if !boxoffice.IsStorageFull(got) || got.Message != "storage is full: "+own.Message {
			t.Errorf("StorageFull(own, %v) = %v, details %v", cause, got, got.Details)
		}
	}
	if own.Details != nil {
		t.Errorf("StorageFull changed its argument: %v", own.Details)
	}
	for _, cause := range []error{nil, errors.New("disk on fire"), boxoffice.Errorf(boxoffice.EUNAVAILABLE, "busy")} {
		if got := boxoffice.StorageFull(own, cause); got != own {
			t.Errorf("StorageFull(own, %v) = %v, want own", cause, got)
		}
	}
}
