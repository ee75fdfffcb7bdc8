package postgres_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// openBehindProxy opens stores whose users database is reached through a
// proxy the test controls.
func openBehindProxy(t *testing.T) (*boxoffice.Stores, *proxy) {
	t.Helper()
	cfg := pgtest.MustTestConfig(t)
	url, err := pgx.ParseConfig(cfg.BaseURL)
	require.NoError(t, err)
	p := startProxy(t, net.JoinHostPort(url.Host, strconv.Itoa(int(url.Port))))
	cfg.URLs = map[string]string{"users": p.url(t, cfg.BaseURL, cfg.DatabaseName("users"))}
	return mustOpen(t, cfg), p
}

// requireUnavailable calls fn with a context without deadline and expects
// EUNAVAILABLE, without the driver's error, before hangGuard (see answer):
// a store that is down must never hang a request. It returns the error, so
// that requireEndedBy can tell what ended the call.
func requireUnavailable(t *testing.T, name string, fn func(ctx context.Context) error) error {
	t.Helper()
	err := answer(t, name, fn)
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%s: %v", name, err)
	var pgErr *pgconn.PgError
	require.False(t, errors.As(err, &pgErr), "%s: driver error leaked", name)
	return err
}

// requireEndedBy checks what ended a call that failed while the proxy was
// in mode, which is what makes it fail fast without timing the machine: a
// database that refuses fails the call at once, with no deadline waited
// out; one that accepts and never answers fails it at a deadline, the
// store's own since the caller set none (CallTimeout, see TestBound, or
// ConnectTimeout).
func requireEndedBy(t *testing.T, mode, name string, err error) {
	t.Helper()
	if mode == "hang" {
		require.ErrorIs(t, err, context.DeadlineExceeded, "%s: not ended by the store's deadline", name)
		return
	}
	require.NotErrorIs(t, err, context.DeadlineExceeded, "%s: waited for a deadline on a database that refuses", name)
}

// requireBackSoon expects fn to succeed again within a few seconds of the
// database coming back: the pool must replace its broken connections.
func requireBackSoon(t *testing.T, fn func(ctx context.Context) error) {
	t.Helper()
	require.Eventually(t, func() bool { return fn(t.Context()) == nil }, 10*time.Second, 100*time.Millisecond)
}

// TestStoreDown proves the API's answer to a store that is down (503 in
// openapi.json): requests fail fast with EUNAVAILABLE and never hang, and
// work again when the database is back. The users database sits behind a
// proxy that refuses, or accepts and never answers. Fast is proven by what
// ends each call (requireEndedBy), not by timing it.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"down", "hang"} {
		t.Run("Unavailable_"+mode, func(t *testing.T) {
			t.Parallel()
			s, p := openBehindProxy(t)
			byEmail := func(ctx context.Context) error {
				_, err := s.Users.UserByEmail(ctx, "nobody@example.com")
				if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
					return nil // the database answered
				}
				return err
			}
			require.NoError(t, byEmail(t.Context()))

			p.set(mode)
			// The first call meets the pooled connection the proxy cut,
			// which fails at once, unless the pool checks it first and
			// dials anew: only a refusal is sure to end it without a
			// deadline.
			err := requireUnavailable(t, "FirstCall", byEmail)
			if mode == "down" {
				requireEndedBy(t, mode, "FirstCall", err)
			}
			requireEndedBy(t, mode, "CallOncePoolKnows", requireUnavailable(t, "CallOncePoolKnows", byEmail))
			requireEndedBy(t, mode, "Ping", requireUnavailable(t, "Ping", s.Ping))
			_, err = s.Bookings.Booking(t.Context(), boxoffice.NewID())
			require.Equal(t, boxoffice.ENOTFOUND, boxoffice.ErrorCode(err), "the other databases still answer")

			p.set("up")
			requireBackSoon(t, byEmail)
			require.NoError(t, s.Ping(t.Context()))
		})
	}
}

func TestErrorTranslation(t *testing.T) {
	t.Parallel()
	s := pgtest.MustOpen(t)

	t.Run("DeadlineIsUnavailableAndStillADeadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		defer cancel()
		<-ctx.Done()
		_, err := s.Users.UserByID(ctx, boxoffice.NewID())
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "error: %v", err)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("ConflictHidesTheDriverError", func(t *testing.T) {
		u := &boxoffice.User{ID: boxoffice.NewID(), Email: "a@example.com", Name: "A", Role: boxoffice.RoleUser,
			PasswordHash: "h", CreatedAt: time.Now()}
		require.NoError(t, s.Users.CreateUser(t.Context(), u))
		err := s.Users.CreateUser(t.Context(), u)
		require.Equal(t, boxoffice.ECONFLICT, boxoffice.ErrorCode(err))
		var pgErr *pgconn.PgError
		require.False(t, errors.As(err, &pgErr))
	})

	t.Run("ClosedStoresUnavailable", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), pgtest.MustTestConfig(t))
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "Close twice is harmless")
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(s.Ping(t.Context())))
		_, err = s.Catalog.Movie(t.Context(), boxoffice.NewID())
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "error: %v", err)
	})
}
