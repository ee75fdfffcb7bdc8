package actors_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/clocktest"
)

// TestNotificationNodesClaimDisjoint: every node's notification actor
// reads the one outbox. Each notification must go to one node: when two
// read the same due rows, both sent them (every notification delivered
// once per node), and their status updates, committed in groups in
// different orders, deadlocked each other (each deadlock a one-second
// stall of the notifications store, seen in the soak).
func TestNotificationNodesClaimDisjoint(t *testing.T) {
	stores := MustOpenStores(t)
	clock := clocktest.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	const notes = 5
	for i := range notes {
		now := clock.Now().Truncate(time.Microsecond)
		require.NoError(t, stores.Notifications.EnqueueNotification(t.Context(), &boxoffice.Notification{
			ID: fmt.Sprintf("booking_confirmed:b-%d", i), UserID: "u-1", Kind: boxoffice.NotifyBookingConfirmed,
			BookingID: fmt.Sprintf("b-%d", i), Channel: boxoffice.ChannelLog, CreatedAt: now, NextAt: now,
		}))
	}
	first, err := actors.ClaimOutbox(stores, clock, 100)
	require.NoError(t, err)
	require.Len(t, first, notes)
	second, err := actors.ClaimOutbox(stores, clock, 100)
	require.NoError(t, err)
	require.Empty(t, second, "another node claims none of what the first is delivering")

	// The first node died before marking them: after the lease another
	// node delivers them.
	clock.Advance(actors.NotifyClaimLease)
	again, err := actors.ClaimOutbox(stores, clock, 100)
	require.NoError(t, err)
	require.Len(t, again, notes)
}
