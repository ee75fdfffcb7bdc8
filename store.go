package boxoffice

import "context"

// Services names the six service databases.
var Services = []string{"users", "catalog", "seats", "bookings", "payments", "notifications"}

// Stores is one store per service. Each has its own database (a SQLite file
// or a PostgreSQL database): services never join across them.
type Stores struct {
	Users         UserStore
	Catalog       CatalogStore
	Seats         SeatStore
	Bookings      BookingStore
	Payments      PaymentStore
	Notifications NotificationStore

	// Ping checks that every database answers (for /readyz).
	Ping func(ctx context.Context) error
	// Close closes every database.
	Close func() error
}
