package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boxoffice/boxoffice"
)

// translate turns a driver error into the domain's terms, so that
// callers never see pgx or pgconn types: a unique violation is ECONFLICT, no rows
// ENOTFOUND, a database that cannot answer (down, timed out, shutting
// down, overloaded) EUNAVAILABLE so that the API answers 503 and the
// client retries. Anything else is a bug: an internal error whose text
// (but not whose type) carries the driver's message for the log.
// Application errors pass through untouched.
func (d *db) translate(err error) error {
	var appErr *boxoffice.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &appErr):
		return err
	case errors.Is(err, pgx.ErrNoRows):
		return boxoffice.Errorf(boxoffice.ENOTFOUND, "not found")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return fmt.Errorf("%w (%s)", boxoffice.Errorf(boxoffice.ECONFLICT, "already exists"), pgErr.ConstraintName)
		case transientState(pgErr.Code):
			return unavailable(d.service, err)
		}
		return fmt.Errorf("postgres %s: %s (SQLSTATE %s)", d.service, pgErr.Message, pgErr.Code)
	}
	if isConnectionError(err) {
		return unavailable(d.service, err)
	}
	return fmt.Errorf("postgres %s: %s", d.service, err.Error())
}

// notFound is translate with a precise message for a missing row.
func (d *db) notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return boxoffice.Errorf(boxoffice.ENOTFOUND, format, args...)
	}
	return d.translate(err)
}

// unavailable is EUNAVAILABLE for the user ("the users database is
// unavailable") with the cause in the text for the operator's log. A
// context error stays reachable with errors.Is, so that callers can tell
// their own cancellation from an outage.
func unavailable(service string, cause error) error {
	appErr := boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the %s database is unavailable", service)
	if ctxErr := contextError(cause); ctxErr != nil {
		return fmt.Errorf("%w: %w", appErr, ctxErr)
	}
	return fmt.Errorf("%w: %s", appErr, cause.Error())
}

func contextError(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	return nil
}

// transientState reports SQLSTATEs after which the same request can
// succeed later: connection exceptions (08), too many connections and
// other resource shortages (53), shutdown and statement timeouts (57),
// serialization failures and deadlocks (40).
func transientState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"):
		return true
	case code == "57014", code == "57P01", code == "57P02", code == "57P03":
		return true // query_canceled, admin_shutdown, crash_shutdown, cannot_connect_now
	case code == "40001", code == "40P01":
		return true // serialization_failure, deadlock_detected
	}
	return false
}

// isConnectionError reports errors of reaching the server rather than of
// the statement: timeouts, cancelled contexts, refused or broken
// connections and a closed pool.
func isConnectionError(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case contextError(err) != nil, pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	// pgxpool (through puddle) and pgconn report these as plain errors.
	msg := err.Error()
	return strings.Contains(msg, "closed pool") || strings.Contains(msg, "conn closed")
}

// isUnique reports a unique violation, on the named constraint if one is
// given.
func isUnique(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" &&
		(constraint == "" || pgErr.ConstraintName == constraint)
}
