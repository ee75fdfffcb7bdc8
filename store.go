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
	// Events is the events outbox, in the bookings database (the
	// bookings store writes it with each booking's change of state).
	Events EventStore

	// Ping checks that every database answers (for /readyz).
	Ping func(ctx context.Context) error
	// Close closes every database.
	Close func() error
	// Conns reports each service's connection pool by service name; nil
	// when the stores have no pools (the embedded store).
	Conns func() map[string]ConnStats
}

// ConnStats is one connection pool at a moment.
type ConnStats struct {
	Open  int // connections open (idle, in use or being made)
	InUse int // connections lent out
	Max   int // the pool's bound
}
