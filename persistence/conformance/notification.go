package conformance

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

var notificationTests = []test{
	{"EnqueueRoundTrip", testEnqueueRoundTrip},
	{"EnqueueSameIDTwiceKeepsTheFirst", testEnqueueIdempotent},
	{"DueNotificationsSkipDeliveredFutureAndExhausted", testDueNotifications},
	{"ClaimNotificationsTakesDueOnesForALease", testClaimNotifications},
	{"ClaimNotificationsAtOnceAreDisjoint", testClaimNotificationsDisjoint},
	{"MarkDeliveredEndsDelivery", testMarkDelivered},
	{"MarkAttemptCountsAndReschedules", testMarkAttempt},
	{"NotificationsByUserNewestFirstAcrossPages", testNotificationsByUser},
}

// newNotification makes a notification whose ID names what it is about,
// as the saga does (so IDs are not time-ordered).
func newNotification(userID, bookingID string, created time.Time) *boxoffice.Notification {
	return &boxoffice.Notification{
		ID:        boxoffice.NotifyBookingConfirmed + ":" + bookingID,
		UserID:    userID,
		Kind:      boxoffice.NotifyBookingConfirmed,
		BookingID: bookingID,
		Channel:   "log",
		Payload:   json.RawMessage(fmt.Sprintf(`{"booking_id": %q, "seats": ["A1"]}`, bookingID)),
		CreatedAt: created,
		NextAt:    created,
	}
}

func notificationID(n *boxoffice.Notification) string { return n.ID }

// requireNotification compares n with got, the payload as JSON since a store
// may reformat it.
func requireNotification(t *testing.T, want, got *boxoffice.Notification) {
	t.Helper()
	if want.Payload == nil {
		require.Empty(t, got.Payload)
	} else {
		require.JSONEq(t, string(want.Payload), string(got.Payload))
	}
	w, g := *want, *got
	w.Payload, g.Payload = nil, nil
	require.Equal(t, &w, &g)
}

func mustEnqueue(t *testing.T, s *boxoffice.Stores, n *boxoffice.Notification) *boxoffice.Notification {
	t.Helper()
	require.NoError(t, s.Notifications.EnqueueNotification(t.Context(), n))
	return n
}

func testEnqueueRoundTrip(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	n := mustEnqueue(t, s, newNotification("user-1", boxoffice.NewID(), t0))
	bare := newNotification("user-1", boxoffice.NewID(), at(1))
	bare.Payload = nil
	mustEnqueue(t, s, bare)

	got, _, err := s.Notifications.NotificationsByUser(ctx, "user-1", boxoffice.Page{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	requireNotification(t, bare, got[0])
	requireNotification(t, n, got[1])
}

func testEnqueueIdempotent(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	n := mustEnqueue(t, s, newNotification("user-1", "booking-1", t0))
	again := newNotification("user-1", "booking-1", at(5))
	again.Payload = json.RawMessage(`{"other": true}`)
	require.NoError(t, s.Notifications.EnqueueNotification(ctx, again))

	got, _, err := s.Notifications.NotificationsByUser(ctx, "user-1", boxoffice.Page{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	requireNotification(t, n, got[0])
}

// enqueueDueMix enqueues notifications due at now (returned oldest first)
// among one of each kind that is not: due a moment later (returned too),
// given up, and delivered.
func enqueueDueMix(t *testing.T, s *boxoffice.Stores, now time.Time) (due []string, later *boxoffice.Notification) {
	for i := range 4 {
		due = append(due, mustEnqueue(t, s, newNotification("user-1", fmt.Sprintf("due-%d", i), at(i))).ID)
	}
	atNow := newNotification("user-1", "at-now", at(4))
	atNow.NextAt = now
	due = append(due, mustEnqueue(t, s, atNow).ID)

	later = newNotification("user-1", "later", at(1))
	later.NextAt = now.Add(time.Millisecond)
	mustEnqueue(t, s, later)
	exhausted := newNotification("user-1", "exhausted", at(2))
	exhausted.Attempts = boxoffice.NotifyAttemptsMax
	mustEnqueue(t, s, exhausted)
	delivered := mustEnqueue(t, s, newNotification("user-1", "delivered", at(3)))
	require.NoError(t, s.Notifications.MarkDelivered(t.Context(), delivered.ID, at(3)))
	return due, later
}

// testDueNotifications enqueues due notifications among one of each kind
// that is not due, and expects the due ones oldest first, up to limit.
func testDueNotifications(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	now := at(10)
	due, _ := enqueueDueMix(t, s, now)

	got, err := s.Notifications.DueNotifications(ctx, now, 100)
	require.NoError(t, err)
	require.Equal(t, due, ids(got, notificationID))
	got, err = s.Notifications.DueNotifications(ctx, now, 2)
	require.NoError(t, err)
	require.Equal(t, due[:2], ids(got, notificationID))
}

// testClaimNotifications claims what DueNotifications lists, oldest first
// and up to limit; a claimed notification is not claimed again until its
// lease ends, then it is (its deliverer died), unless it was delivered.
func testClaimNotifications(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	now, until := at(10), at(20)
	due, later := enqueueDueMix(t, s, now)

	got, err := s.Notifications.ClaimNotifications(ctx, now, until, 3)
	require.NoError(t, err)
	require.Equal(t, due[:3], ids(got, notificationID), "the oldest due, up to limit")
	for _, n := range got {
		require.True(t, n.NextAt.Equal(until), "claimed until the lease ends: %v", n.NextAt)
	}
	got, err = s.Notifications.ClaimNotifications(ctx, now, until, 100)
	require.NoError(t, err)
	require.Equal(t, due[3:], ids(got, notificationID), "claimed ones are not claimed again")
	got, err = s.Notifications.DueNotifications(ctx, now, 100)
	require.NoError(t, err)
	require.Empty(t, got, "claimed ones are not due during their lease")

	require.NoError(t, s.Notifications.MarkDelivered(ctx, due[0], at(11)))
	require.NoError(t, s.Notifications.MarkAttempt(ctx, due[1], at(30), "webhook: 503"))
	got, err = s.Notifications.ClaimNotifications(ctx, until, at(40), 100)
	require.NoError(t, err)
	require.Equal(t, append([]string{later.ID}, due[2:]...), ids(got, notificationID),
		"after the lease the undelivered ones are due again; a failed attempt waits for its backoff")
}

// testClaimNotificationsDisjoint has several deliverers claim at once
// from one outbox: each notification goes to exactly one of them.
func testClaimNotificationsDisjoint(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	const notes, claimers = 60, 4
	for i := range notes {
		mustEnqueue(t, s, newNotification("user-1", fmt.Sprintf("b-%02d", i), at(0).Add(time.Duration(i)*time.Second)))
	}
	var (
		mu    sync.Mutex
		taken = map[string]int{}
		wg    sync.WaitGroup
		errs  = make(chan error, claimers)
	)
	for range claimers {
		wg.Go(func() {
			for {
				got, err := s.Notifications.ClaimNotifications(ctx, at(10), at(20), 7)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, n := range got {
					taken[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, taken, notes, "every due notification claimed")
	for id, n := range taken {
		require.Equal(t, 1, n, "%s claimed %d times", id, n)
	}
}

func testMarkDelivered(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	n := mustEnqueue(t, s, newNotification("user-1", "booking-1", t0))
	require.NoError(t, s.Notifications.MarkDelivered(ctx, n.ID, at(1)))
	due, err := s.Notifications.DueNotifications(ctx, at(10), 100)
	require.NoError(t, err)
	require.Empty(t, due)

	got, _, err := s.Notifications.NotificationsByUser(ctx, "user-1", boxoffice.Page{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	deliveredAt := at(1)
	n.DeliveredAt = &deliveredAt
	requireNotification(t, n, got[0])

	err = s.Notifications.MarkDelivered(ctx, "no-such-notification", at(1))
	requireCode(t, boxoffice.ENOTFOUND, err)
}

// testMarkAttempt fails a delivery: the notification waits until NextAt,
// then is due again with its attempt counted and its error kept, until
// NotifyAttemptsMax attempts.
func testMarkAttempt(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	n := mustEnqueue(t, s, newNotification("user-1", "booking-1", t0))
	require.NoError(t, s.Notifications.MarkAttempt(ctx, n.ID, at(5), "smtp: 451 try later"))

	due, err := s.Notifications.DueNotifications(ctx, at(4), 100)
	require.NoError(t, err)
	require.Empty(t, due, "not due before NextAt")
	due, err = s.Notifications.DueNotifications(ctx, at(5), 100)
	require.NoError(t, err)
	require.Len(t, due, 1)
	n.Attempts, n.NextAt, n.LastError = 1, at(5), "smtp: 451 try later"
	requireNotification(t, n, due[0])

	for i := 1; i < boxoffice.NotifyAttemptsMax; i++ {
		require.NoError(t, s.Notifications.MarkAttempt(ctx, n.ID, at(5+i), "still down"))
	}
	due, err = s.Notifications.DueNotifications(ctx, at(100), 100)
	require.NoError(t, err)
	require.Empty(t, due, "given up after NotifyAttemptsMax attempts")
}

// testNotificationsByUser lists 11 notifications of one user, 3 at a time,
// among others', and expects each once, newest first.
func testNotificationsByUser(t *testing.T, s *boxoffice.Stores) {
	ctx := t.Context()
	var want []string
	for i := range 11 {
		n := mustEnqueue(t, s, newNotification("user-1", boxoffice.NewID(), at(i)))
		want = append([]string{n.ID}, want...)
		mustEnqueue(t, s, newNotification("user-2", boxoffice.NewID(), at(i)))
	}
	got := allPages(t, 3, func(cursor string) ([]*boxoffice.Notification, string, error) {
		return s.Notifications.NotificationsByUser(ctx, "user-1", boxoffice.Page{Limit: 3, Cursor: cursor})
	})
	require.Equal(t, want, ids(got, notificationID))
}
