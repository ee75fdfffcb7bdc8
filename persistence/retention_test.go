package persistence

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

func TestParseRetention(t *testing.T) {
	r, err := ParseRetention("idempotency=2h, batch=50")
	require.NoError(t, err)
	want := DefaultRetention()
	want.Idempotency, want.Batch = 2*time.Hour, 50
	require.Equal(t, want, r)

	r, err = ParseRetention("off")
	require.NoError(t, err)
	require.True(t, r.Off)
	require.Equal(t, "off", r.String())

	back, err := ParseRetention(DefaultRetention().String())
	require.NoError(t, err)
	require.Equal(t, DefaultRetention(), back, "String reads back")

	r, err = ParseRetention("events=48h")
	require.NoError(t, err)
	require.Equal(t, 48*time.Hour, r.Events)

	for _, bad := range []string{"idempotency", "idempotency=0s", "notifications=-1h", "events=0s", "batch=0", "batch=x", "tokens=1h"} {
		_, err := ParseRetention(bad)
		require.Error(t, err, bad)
	}
}

// seedTokens stores n refresh tokens of one user expiring at exp.
func seedTokens(t *testing.T, s *boxoffice.Stores, n int, exp time.Time) {
	t.Helper()
	u := &boxoffice.User{ID: boxoffice.NewID(), Email: boxoffice.NewID() + "@example.com", Name: "u", Role: boxoffice.RoleUser,
		PasswordHash: "x", CreatedAt: exp}
	require.NoError(t, s.Users.CreateUser(t.Context(), u))
	for range n {
		require.NoError(t, s.Users.CreateRefreshToken(t.Context(), &boxoffice.RefreshToken{
			Hash: boxoffice.NewID(), UserID: u.ID, Family: boxoffice.NewID(), ExpiresAt: exp}))
	}
}

// TestSweepDrainsInBatches: one sweep deletes everything past the
// retention in batches of Batch, up to its bound of rounds, and nothing
// within the retention.
func TestSweepDrainsInBatches(t *testing.T) {
	s, err := sqlite.Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	now := time.Now().UTC()
	r := Retention{RefreshTokens: time.Hour, Idempotency: time.Hour, Notifications: time.Hour, Every: time.Minute, Batch: 3}
	seedTokens(t, s, 10, now.Add(-2*time.Hour))   // past the retention
	seedTokens(t, s, 2, now.Add(-30*time.Minute)) // expired, within it

	c, err := r.Sweep(t.Context(), s, now)
	require.NoError(t, err)
	require.Equal(t, SweepCounts{RefreshTokens: 10}, c)
	left, err := s.Users.DeleteExpiredRefreshTokens(t.Context(), now, 100)
	require.NoError(t, err)
	require.Equal(t, 2, left, "the tokens within the retention were kept")

	seedTokens(t, s, 3*retentionRoundsMax+1, now.Add(-2*time.Hour))
	c, err = r.Sweep(t.Context(), s, now)
	require.NoError(t, err)
	require.Equal(t, 3*retentionRoundsMax, c.RefreshTokens, "one sweep is bounded")
	c, err = r.Sweep(t.Context(), s, now)
	require.NoError(t, err)
	require.Equal(t, 1, c.RefreshTokens, "the next sweep takes the rest")
}

// TestSweepDeletesOldEvents: events leave the outbox after their
// retention, oldest first, and not before.
func TestSweepDeletesOldEvents(t *testing.T) {
	s, err := sqlite.Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	var events []boxoffice.Event
	for range 5 {
		events = append(events, boxoffice.Event{ID: boxoffice.NewID(), Type: boxoffice.EventTypeShowtimeCancelled, Time: time.Now()})
	}
	require.NoError(t, s.Events.AppendEvents(t.Context(), events))
	r := DefaultRetention()
	r.Events, r.Batch = time.Hour, 2

	c, err := r.Sweep(t.Context(), s, time.Now())
	require.NoError(t, err)
	require.Zero(t, c.Events, "within the retention")
	c, err = r.Sweep(t.Context(), s, time.Now().Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 5, c.Events)
	left, _, err := s.Events.Events(t.Context(), "", 10)
	require.NoError(t, err)
	require.Empty(t, left)
}

// TestRunSweepsDeletesOnItsOwn: the periodic sweep deletes without being
// asked, and returns when its context ends.
func TestRunSweepsDeletesOnItsOwn(t *testing.T) {
	s, err := sqlite.Open(t.Context(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	now := time.Now().UTC()
	seedTokens(t, s, 5, now.Add(-2*time.Hour))
	seedTokens(t, s, 2, now.Add(time.Hour))

	r := DefaultRetention()
	r.RefreshTokens, r.Every = time.Hour, 10*time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.RunSweeps(ctx, s, boxoffice.SystemClock{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	<-ctx.Done()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunSweeps did not return after its context ended")
	}
	left, err := s.Users.DeleteExpiredRefreshTokens(t.Context(), now.Add(2*time.Hour), 100)
	require.NoError(t, err)
	require.Equal(t, 2, left, "only the tokens still valid were left")
}
