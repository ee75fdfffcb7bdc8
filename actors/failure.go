package actors

import (
	"errors"
	"fmt"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cluster"
)

// failureOf turns an error into the Failure reply that carries it across
// nodes. Errors that are not application errors become internal ones; the
// grain logs them before replying.
func failureOf(err error) *Failure {
	f := &Failure{Code: boxoffice.ErrorCode(err), Message: boxoffice.ErrorMessage(err)}
	if d := boxoffice.ErrorDetails(err); d != nil {
		f.Unavailable, _ = d["unavailable"].([]string)
		f.Unknown, _ = d["unknown"].([]string)
	}
	return f
}

// Err turns a Failure back into a *boxoffice.Error.
func (f *Failure) Err() error {
	e := &boxoffice.Error{Code: f.Code, Message: f.Message}
	if len(f.Unavailable) > 0 || len(f.Unknown) > 0 {
		e.Details = make(map[string]any, 2)
		if len(f.Unavailable) > 0 {
			e.Details["unavailable"] = f.Unavailable
		}
		if len(f.Unknown) > 0 {
			e.Details["unknown"] = f.Unknown
		}
	}
	return e
}

// replyAs checks a grain reply: a Failure becomes its error, a cluster
// failure becomes EUNAVAILABLE, and anything else must be a T.
func replyAs[T any](res any, err error) (T, error) {
	var zero T
	if err != nil {
		if errors.Is(err, cluster.ErrUnavailable) {
			return zero, &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "the service is busy or moving; retry shortly"}
		}
		return zero, err
	}
	switch r := res.(type) {
	case *Failure:
		return zero, r.Err()
	case T:
		return r, nil
	}
	return zero, fmt.Errorf("unexpected grain reply %T", res)
}

// unavailable is the error of a grain that cannot answer now: its store
// failed, or another activation of it took over.
func unavailable(format string, args ...any) *boxoffice.Error {
	return boxoffice.Errorf(boxoffice.EUNAVAILABLE, format, args...)
}
