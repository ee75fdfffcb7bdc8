package postgres_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/sqlbaseline"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// BenchmarkAppendSeatsMany measures one journal write of the node's
// committer, one at a time, in the two shapes BenchmarkHoldsOnPostgres
// (actors) produces: a flash sale (32 events of one showtime per write)
// and holds spread over 100 showtimes (about one event of each of 10
// showtimes). pg-cpu-us/write is the CPU of the seats database's server
// processes per write, read from /proc: what the statement and its commit
// cost PostgreSQL, away from the scheduling noise of 64 clients.
//
//	BOXOFFICE_TEST_DATABASE_URL=... go test -run '^$' -bench AppendSeatsMany -count 3 ./persistence/postgres/
func BenchmarkAppendSeatsMany(b *testing.B) {
	for _, shape := range []struct{ showtimes, events int }{{1, 32}, {10, 1}} {
		b.Run(fmt.Sprintf("showtimes=%d/events=%d", shape.showtimes, shape.events), func(b *testing.B) {
			cfg := pgtest.MustTestConfig(b)
			s, err := postgres.Open(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			u, err := url.Parse(cfg.BaseURL)
			if err != nil {
				b.Fatal(err)
			}
			u.Path = "/" + cfg.DatabaseName("seats")
			meter, err := sqlbaseline.Open(b.Context(), u.String(), "meter", 1)
			if err != nil {
				b.Fatal(err)
			}
			defer meter.Close()
			dbs := []string{cfg.DatabaseName("seats")}

			ids := make([]string, shape.showtimes)
			for i := range ids {
				ids[i] = boxoffice.NewID()
			}
			seq, at := uint64(0), time.Now().UTC()
			write := func() {
				appends := make([]boxoffice.SeatAppend, len(ids))
				for i, id := range ids {
					evs := make([]boxoffice.SeatEvent, shape.events)
					for k := range evs {
						evs[k] = boxoffice.SeatEvent{Seq: seq + uint64(k) + 1, Kind: boxoffice.EventHeld, At: at,
							HoldID: "h-01M98CZ2CCD42QAE0FSNZQT4NR", Owner: "bench-12", Seats: []string{"A12"}, ExpiresAt: at.Add(10 * time.Minute)}
					}
					appends[i] = boxoffice.SeatAppend{ShowtimeID: id, Events: evs}
				}
				seq += uint64(shape.events)
				for _, err := range s.Seats.AppendSeatsMany(b.Context(), appends) {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			for range 50 { // the heads exist, the plan is cached
				write()
			}
			before, err := sqlbaseline.BackendCPU(b.Context(), meter.Pool(), dbs)
			if err != nil {
				b.Skip(err)
			}
			n := 0
			for b.Loop() {
				write()
				n++
			}
			after, err := sqlbaseline.BackendCPU(b.Context(), meter.Pool(), dbs)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sqlbaseline.CPUSince(before, after).Microseconds())/float64(n), "pg-cpu-us/write")
		})
	}
}
