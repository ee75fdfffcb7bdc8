package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgserver"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// hangGuard is how long a call may go unanswered against a hung server
// before the test calls it hung. It proves no timing: far above the
// store's own bounds (CallTimeout, PingTimeout, the close timeout), so that
// a loaded machine cannot trip it, and below the 15 s that pgx itself
// waits on a hung server, so that only a call the store does not bound
// does.
const hangGuard = 10 * time.Second

// TestStoreHangs freezes a private server (SIGSTOP: connections stay
// open, nothing answers), which a refused connection does not show: a
// statement on a pooled connection must still fail with EUNAVAILABLE
// ended by the store's own deadline (CallTimeout, see TestBound), even
// when its caller's context has no deadline (the recovery and
// notification loops), and the stores must close while the server hangs,
// so that a node stops on SIGTERM.
func TestStoreHangs(t *testing.T) {
	t.Parallel()
	pg := pgserver.Start(t, pgserver.Options{})
	cfg := postgres.Config{BaseURL: pg.URL(), Prefix: "hang"}
	s := mustOpen(t, cfg)
	byEmail := func(ctx context.Context) error {
		_, err := s.Users.UserByEmail(ctx, "nobody@example.com")
		if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
			return nil
		}
		return err
	}
	require.NoError(t, byEmail(t.Context()))

	pg.Freeze()
	for _, call := range []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"QueryOnPooledConnection", byEmail},
		{"QueryNeedingNewConnection", byEmail},
		{"Append", func(ctx context.Context) error {
			return s.Seats.AppendSeats(ctx, boxoffice.NewID(), []boxoffice.SeatEvent{{Seq: 1, Kind: boxoffice.EventShowtimeCancelled}}, nil)
		}},
		{"Ping", s.Ping},
	} {
		err := answer(t, call.name, call.fn)
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%s: %v", call.name, err)
		// The caller set no deadline, so this one is the store's.
		require.ErrorIs(t, err, context.DeadlineExceeded, "%s: not ended by the store's deadline", call.name)
	}

	pg.Thaw()
	requireBackSoon(t, byEmail)
	require.NoError(t, s.Ping(t.Context()))

	// A call that times out leaves pgx closing its connection, which
	// waits up to 15 s on the hung server: Close must not. The server
	// stays frozen until Close has answered.
	pg.Freeze()
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(answer(t, "QueryBeforeClose", byEmail)))
	require.NoError(t, answer(t, "Close", func(context.Context) error { return s.Close() }))
	pg.Thaw()
}

// answer runs call with a context that has no deadline and returns its
// error, failing the test if it has not answered within hangGuard.
func answer(t *testing.T, name string, call func(ctx context.Context) error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call(context.Background()) }()
	var err error
	testwait.Until(t, hangGuard, name+" answers while the server hangs", func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	return err
}
