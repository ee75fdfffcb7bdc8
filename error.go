package boxoffice

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in http/error.go; the code is
// what clients see in {"error": {"code": ...}}.
const (
	EINVALID          = "invalid"
	EUNAUTHORIZED     = "unauthorized"
	EFORBIDDEN        = "forbidden"
	ENOTFOUND         = "not_found"
	ECONFLICT         = "conflict"
	EGONE             = "gone"
	EPAYLOADTOOLARGE  = "payload_too_large"
	EUNSUPPORTEDMEDIA = "unsupported_media_type"
	EUNPROCESSABLE    = "unprocessable"
	ETOOMANYREQUESTS  = "too_many_requests"
	EINTERNAL         = "internal"
	EUNAVAILABLE      = "unavailable"
)

// Error is an application error: a code from the list above, a message safe
// to show to the user and optional structured details (for example the seats
// that were unavailable). Any error that is not an *Error is internal: the
// user sees "internal error" and the operator gets the full error in the log.
type Error struct {
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string {
	return fmt.Sprintf("boxoffice error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns a copy of e with one more detail.
func (e *Error) WithDetail(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// ErrorCode unwraps err to an application error code; a nil error has no
// code and any other error is EINTERNAL.
func ErrorCode(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Code // the common case, without the allocation errors.As makes
	}
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage unwraps err to the message for the user; errors that are not
// application errors get a generic message so nothing internal leaks.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the details of an application error, or nil.
func ErrorDetails(err error) map[string]any {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// ReasonStorageFull is the "reason" detail of an error that a full disk
// caused.
const ReasonStorageFull = "storage_full"

// ErrStorageFull is a write refused because the disk that holds a store is
// full. It is EUNAVAILABLE: nothing of the write was kept, and the same
// write works once space is freed. Stores wrap it around the driver's
// error; layers that answer in their own words keep the reason with
// StorageFull.
var ErrStorageFull = &Error{Code: EUNAVAILABLE, Message: "storage is full; try again later",
	Details: map[string]any{"reason": ReasonStorageFull}}

// IsStorageFull reports whether err is a write refused for a full disk:
// ErrStorageFull, or an error marked by StorageFull (also once it crossed
// a process boundary as code, message and details).
func IsStorageFull(err error) bool {
	return ErrorCode(err) == EUNAVAILABLE && ErrorDetails(err)["reason"] == ReasonStorageFull
}

// StorageFull returns e marked as caused by a full disk when IsStorageFull
// (cause) (its message says so, its details give the reason), and e itself
// otherwise.
func StorageFull(e *Error, cause error) *Error {
	if !IsStorageFull(cause) {
		return e
	}
	full := e.WithDetail("reason", ReasonStorageFull)
	full.Message = "storage is full: " + e.Message
	return full
}
