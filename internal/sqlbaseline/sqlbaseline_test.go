package sqlbaseline_test

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/sqlbaseline"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// MustOpen opens the baseline's seats table in a schema of a test's own
// database (the seats database of a fresh pgtest prefix), closed and
// dropped when the test ends.
func MustOpen(tb testing.TB, maxConns int32) *sqlbaseline.Store {
	tb.Helper()
	cfg := pgtest.MustTestConfig(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := postgres.Migrate(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + cfg.DatabaseName("seats")
	s, err := sqlbaseline.Open(ctx, u.String(), "baseline", maxConns)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// TestBaselineHoldsOneWinner shows the baseline is a correct way to hold
// seats, so that the benchmark compares the grain with something a team
// could ship: 32 clients race for one seat with each approach and exactly
// one wins; a release frees it for its holder only.
func TestBaselineHoldsOneWinner(t *testing.T) {
	t.Parallel()
	s := MustOpen(t, 8)
	ctx := t.Context()
	until := time.Now().Add(10 * time.Minute)
	for name, hold := range map[string]func(ctx context.Context, st, seat, hold, owner string, until time.Time) (bool, error){
		"Update":          s.HoldUpdate,
		"SelectForUpdate": s.HoldSelectForUpdate,
	} {
		t.Run(name, func(t *testing.T) {
			st := "st-" + name
			if err := s.AddSeats(ctx, st, []string{"A1"}); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var winners []string
			var wg sync.WaitGroup
			for i := range 32 {
				wg.Go(func() {
					id := fmt.Sprintf("hold-%d", i)
					ok, err := hold(ctx, st, "A1", id, "u", until)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						winners = append(winners, id)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("%d winners: %v", len(winners), winners)
			}
			if ok, err := s.Release(ctx, st, "A1", "hold-x"); ok || err != nil {
				t.Fatalf("release by a stranger: %v %v", ok, err)
			}
			if ok, err := s.Release(ctx, st, "A1", winners[0]); !ok || err != nil {
				t.Fatalf("release by the holder: %v %v", ok, err)
			}
			if status, err := s.Status(ctx, st, "A1"); status != "free" || err != nil {
				t.Fatalf("status after release: %s %v", status, err)
			}
		})
	}
}
