package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/pgserver"
	"github.com/boxoffice/boxoffice/persistence/postgres"
)

// hangAnswerMax is how long a call may take against a server that hangs:
// the per-call bound plus slack for a loaded machine, inside the API's
// "503 within 2 s".
const hangAnswerMax = postgres.CallTimeout + 400*time.Millisecond

// TestStoreHangs freezes a private server (SIGSTOP: connections stay
// open, nothing answers), which a refused connection does not show: a
// statement on a pooled connection must still fail with EUNAVAILABLE
// within CallTimeout, even when its caller's context has no deadline (the
// recovery and notification loops), and the stores must close within a
// few seconds while the server hangs, so that a node stops on SIGTERM.
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
		start := time.Now()
		err := call.fn(context.Background())
		took := time.Since(start)
		require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(err), "%s: %v", call.name, err)
		require.Less(t, took, hangAnswerMax, "%s answered after %v", call.name, took)
	}

	pg.Thaw()
	requireBackSoon(t, byEmail)
	require.NoError(t, s.Ping(t.Context()))

	// A call that times out leaves pgx closing its connection, which
	// waits up to 15 s on the hung server: Close must not.
	pg.Freeze()
	require.Equal(t, boxoffice.EUNAVAILABLE, boxoffice.ErrorCode(byEmail(context.Background())))
	closed := make(chan struct{})
	go func() { _ = s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closing the stores hangs while the server does")
	}
	pg.Thaw()
}
