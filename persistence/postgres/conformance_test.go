package postgres_test

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/conformance"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestConformance runs the shared store suite on one set of databases,
// emptied before each test: creating six databases per test would take
// longer than the suite.
func TestConformance(t *testing.T) {
	t.Parallel()
	cfg := pgtest.MustTestConfig(t)
	// The outbox's settle time, shortened so that the suite does not wait
	// seconds for each event; TestEventsSettle keeps the real rule.
	cfg.EventSettle = 200 * time.Millisecond
	stores := mustOpen(t, cfg)
	conformance.Run(t, func(t *testing.T) *boxoffice.Stores {
		pgtest.Reset(t, cfg)
		return stores
	})
}
