package postgres_test

import (
	"testing"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/conformance"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// BenchmarkAppendSeats: the seat journal on PostgreSQL (synchronous_commit
// on: one WAL flush per commit).
func BenchmarkAppendSeats(b *testing.B) {
	s := pgtest.MustOpen(b)
	conformance.BenchmarkAppendSeats(b, func(*testing.B) boxoffice.SeatStore { return s.Seats })
}
