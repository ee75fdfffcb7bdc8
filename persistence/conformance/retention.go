package conformance

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// retentionTests pin down the deletes of the retention sweep: each deletes
// only what is past its bound, at most limit rows a call, and leaves
// everything else as it was.
var retentionTests = []test{
	{"DeleteExpiredRefreshTokensInBatches", testDeleteExpiredRefreshTokens},
	{"DeleteIdempotencyBeforeFreesTheKey", testDeleteIdempotencyBefore},
	{"DeleteNotificationsBeforeKeepsThoseStillRetried", testDeleteNotificationsBefore},
}

func testDeleteExpiredRefreshTokens(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	u := mustUser(t, s)
	var old []*boxoffice.RefreshToken
	for _, m := range []int{10, 10, 10, 20} {
		old = append(old, mustToken(t, s, u.ID, "fam-"+boxoffice.NewID(), at(m)))
	}
	kept := mustToken(t, s, u.ID, "fam-kept", at(30))

	n, err := s.Users.DeleteExpiredRefreshTokens(ctx, at(25), 3)
	require.NoError(t, err)
	require.Equal(t, 3, n, "at most limit a call")
	n, err = s.Users.DeleteExpiredRefreshTokens(ctx, at(25), 3)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the rest of those expired before the bound")
	n, err = s.Users.DeleteExpiredRefreshTokens(ctx, at(25), 3)
	require.NoError(t, err)
	require.Zero(t, n)

	for _, tok := range old {
		_, err := s.Users.UseRefreshToken(ctx, tok.Hash, at(0))
		requireCode(t, boxoffice.EUNAUTHORIZED, err)
	}
	got, err := s.Users.UseRefreshToken(ctx, kept.Hash, at(29))
	require.NoError(t, err, "a token expiring after the bound is kept")
	require.Equal(t, kept, got)
}

func testDeleteIdempotencyBefore(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	put := func(key string, minute int) *boxoffice.IdempotencyRecord {
		r := &boxoffice.IdempotencyRecord{UserID: "user-1", Key: key, RequestHash: "hash-" + key,
			BookingID: boxoffice.NewID(), CreatedAt: at(minute)}
		_, created, err := s.Bookings.PutIdempotency(ctx, r)
		require.NoError(t, err)
		require.True(t, created)
		return r
	}
	put("old-1", 0)
	put("old-2", 1)
	kept := put("new", 5)

	n, err := s.Bookings.DeleteIdempotencyBefore(ctx, at(2), 1)
	require.NoError(t, err)
	require.Equal(t, 1, n, "at most limit a call")
	n, err = s.Bookings.DeleteIdempotencyBefore(ctx, at(2), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = s.Bookings.DeleteIdempotencyBefore(ctx, at(2), 10)
	require.NoError(t, err)
	require.Zero(t, n)

	again := &boxoffice.IdempotencyRecord{UserID: "user-1", Key: "old-1", RequestHash: "hash-other",
		BookingID: boxoffice.NewID(), CreatedAt: at(6)}
	stored, created, err := s.Bookings.PutIdempotency(ctx, again)
	require.NoError(t, err)
	require.True(t, created, "a deleted key is free again")
	require.Equal(t, again, stored)
	stored, created, err = s.Bookings.PutIdempotency(ctx, &boxoffice.IdempotencyRecord{UserID: "user-1", Key: "new",
		RequestHash: "hash-other", BookingID: boxoffice.NewID(), CreatedAt: at(6)})
	require.NoError(t, err)
	require.False(t, created, "a key created after the bound is kept")
	require.Equal(t, kept, stored)
}

// testDeleteNotificationsBefore: delivered before the bound and given up
// (every attempt failed) before it go; delivered after it, given up after
// it, and still being retried stay.
func testDeleteNotificationsBefore(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	mk := func(name string, created int) *boxoffice.Notification {
		return mustEnqueue(t, s, newNotification("user-1", name, at(created)))
	}
	deliveredOld, deliveredNew := mk("delivered-old", 0), mk("delivered-new", 0)
	require.NoError(t, s.Notifications.MarkDelivered(ctx, deliveredOld.ID, at(1)))
	require.NoError(t, s.Notifications.MarkDelivered(ctx, deliveredNew.ID, at(10)))
	retried := mk("retried", 0)
	require.NoError(t, s.Notifications.MarkAttempt(ctx, retried.ID, at(2), "timeout"))
	givenUpOld, givenUpNew := mk("given-up-old", 0), mk("given-up-new", 10)
	for range boxoffice.NotifyAttemptsMax {
		require.NoError(t, s.Notifications.MarkAttempt(ctx, givenUpOld.ID, at(11), "refused"))
		require.NoError(t, s.Notifications.MarkAttempt(ctx, givenUpNew.ID, at(11), "refused"))
	}

	n, err := s.Notifications.DeleteNotificationsBefore(ctx, at(5), 1)
	require.NoError(t, err)
	require.Equal(t, 1, n, "at most limit a call")
	n, err = s.Notifications.DeleteNotificationsBefore(ctx, at(5), 10)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = s.Notifications.DeleteNotificationsBefore(ctx, at(5), 10)
	require.NoError(t, err)
	require.Zero(t, n)

	list, _, err := s.Notifications.NotificationsByUser(ctx, "user-1", boxoffice.Page{})
	require.NoError(t, err)
	ids := make([]string, len(list))
	for i, n := range list {
		ids[i] = n.ID
	}
	slices.Sort(ids)
	want := []string{deliveredNew.ID, givenUpNew.ID, retried.ID}
	slices.Sort(want)
	require.Equal(t, want, ids)
	due, err := s.Notifications.DueNotifications(ctx, at(3), 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, retried.ID, due[0].ID, "the retried one is still due")
}
