package postgres

import "github.com/boxoffice/boxoffice"

// GroupCommits is the groups committed so far by the group commit of each
// booking store, by service, for the tests of package postgres_test.
func GroupCommits(s *boxoffice.Stores) map[string]uint64 {
	return map[string]uint64{
		"bookings":      s.Bookings.(*bookingStore).db.group.commits.Load(),
		"payments":      s.Payments.(*paymentStore).db.group.commits.Load(),
		"notifications": s.Notifications.(*notificationStore).db.group.commits.Load(),
	}
}
