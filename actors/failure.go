package actors

import (
	"errors"
	"fmt"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cluster"
)

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
