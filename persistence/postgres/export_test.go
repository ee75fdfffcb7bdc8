package postgres

import "github.com/boxoffice/boxoffice"

// GroupCommits is the groups committed so far by the group commit of each
// booking store, by service, for the tests of package postgres_test.
func GroupCommits(s *boxoffice.Stores) map[string]uint64 {
	if s.Bookings.(*bookingStore).db.group == nil {
		return nil
	}
	return map[string]uint64{
		"bookings":      s.Bookings.(*bookingStore).db.group.commits.Load(),
		"payments":      s.Payments.(*paymentStore).db.group.commits.Load(),
		"notifications": s.Notifications.(*notificationStore).db.group.commits.Load(),
	}
}

// WithoutGroupCommit makes the booking stores of s write each statement
// alone on the pool, as before group commit, for benchmarks.
func WithoutGroupCommit(s *boxoffice.Stores) {
	for _, d := range []*db{s.Bookings.(*bookingStore).db, s.Payments.(*paymentStore).db, s.Notifications.(*notificationStore).db} {
		d.group.close()
		d.group = nil
	}
}
