package actors_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/internal/pgserver"
	"github.com/boxoffice/boxoffice/internal/sqlbaseline"
	"github.com/boxoffice/boxoffice/persistence/postgres"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// benchClients is the concurrency of the comparison in BENCHMARKS.md: 64
// clients, each with one request in flight.
const benchClients = 64

// benchShowtimes are the numbers of showtimes the clients are spread over.
var benchShowtimes = []int{1, 8, 100, 1000}

// benchShowtimesMax is the most showtimes the clients are spread over.
const benchShowtimesMax = 1000

// BenchmarkHoldsOnPostgres compares durable seat holds per second on one
// PostgreSQL server (BOXOFFICE_TEST_DATABASE_URL, synchronous_commit on)
// through the showtime grain and through the plain SQL a team would write
// instead (package sqlbaseline): a conditional UPDATE per hold, and
// SELECT ... FOR UPDATE + UPDATE in a transaction.
//
// The work is the same for all: 64 clients, each with a seat of its own
// (no client ever waits for another's seat, which favours SQL: no failed
// updates, no waits for another hold's row lock), each op a 1-seat hold
// and its release, both durable before the client sends the next.
// holds/s is ops per second. showtimes=1 is a flash sale (every client on
// one showtime: one grain, one write in flight, and for SQL 64 rows on one
// or two heap pages); showtimes=8 spreads the clients over 8 showtimes (8
// grains writing at once, rows on 8 pages); showtimes=100 and 1000 move
// each client to the next showtime after every op (client c's k-th op is
// on showtime (c+64k) mod n), so that all of them take holds and a grain
// rarely has more than one command per write: only the node's journal
// committer, writing many showtimes at once, batches them. The grain runs
// on the stores as the product opens them for tests (4 connections per
// service pool; BOXOFFICE_BENCH_MAX_CONNS changes it); SQL gets one
// connection per client. Clients run in this process, on the
// CPUs of the server: cpu-us/op is this process's CPU (clients and, for the
// grain, the engine) and pg-cpu-us/op that of the server processes of the
// test databases. For the grain, events/flush and flush-ms describe its
// group commits.
//
//	BOXOFFICE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable \
//	  go test -run '^$' -bench HoldsOnPostgres -benchtime 5s -count 3 ./actors/
//
// With BOXOFFICE_BENCH_SERVER=private it runs on a server of its own
// (internal/pgserver, fsync on, the stock shared_buffers), away from the
// connections and checkpoints of whatever else uses the shared server.
func BenchmarkHoldsOnPostgres(b *testing.B) {
	cfg := benchConfig(b)
	stores := mustOpenPostgres(b, cfg)
	ids := []string{MustCreateShowtime(b, stores, time.Now().Add(48*time.Hour))}
	for i := 1; i < benchShowtimesMax; i++ {
		ids = append(ids, mustAddShowtime(b, stores, ids[0], time.Now().Add(time.Duration(48+3*i)*time.Hour)))
	}
	seatsURL, err := url.Parse(cfg.BaseURL)
	if err != nil {
		b.Fatal(err)
	}
	seatsURL.Path = "/" + cfg.DatabaseName("seats")
	// One connection to set up the table and to read the server's CPU: the
	// 64 of the SQL runs are opened for them only, since the server's
	// max_connections is shared with whatever else runs.
	setup := mustOpenBaseline(b, seatsURL.String(), 1)
	for _, id := range ids {
		if err := setup.AddSeats(b.Context(), id, seatIDs(0, benchClients)); err != nil {
			b.Fatal(err)
		}
	}
	meter := &benchMeter{pool: setup, dbs: []string{cfg.DatabaseName("seats"), cfg.DatabaseName("catalog")}}

	flushes := &flushMeter{}
	// BOXOFFICE_BENCH_JOURNAL_WRITES sets the journal writes in flight
	// (default: what the engine picks for the pool).
	writes, _ := strconv.Atoi(os.Getenv("BOXOFFICE_BENCH_JOURNAL_WRITES"))
	h := MustOpenShowtimes(b, ShowtimeOptions{Stores: stores, ShowtimeID: ids[0], Seats: flushes.wrap, JournalWrites: writes}).Holds()
	for _, showtimes := range benchShowtimes {
		b.Run(fmt.Sprintf("grain/showtimes=%d", showtimes), func(b *testing.B) {
			for _, id := range ids[:showtimes] { // activate: loading is not a hold
				if _, err := h.SeatMap(b.Context(), id); err != nil {
					b.Fatal(err)
				}
			}
			flushes.reset()
			meter.run(b, showtimes, ids, func(ctx context.Context, st, seat, user string) error {
				hold, err := h.Hold(ctx, st, user, []string{seat})
				if err == nil {
					err = h.ReleaseHold(ctx, hold.ID, boxoffice.Caller{UserID: user})
				}
				return err
			})
			flushes.report(b)
		})
	}

	for _, approach := range []string{"update", "select-for-update"} {
		for _, showtimes := range benchShowtimes {
			if approach == "select-for-update" && showtimes > 8 {
				continue // the conditional UPDATE is the faster SQL: the one to beat
			}
			b.Run(fmt.Sprintf("sql-%s/showtimes=%d", approach, showtimes), func(b *testing.B) {
				sql, err := sqlbaseline.Open(b.Context(), seatsURL.String(), "baseline", benchClients)
				if err != nil {
					b.Fatal(err)
				}
				defer sql.Close() // each round: b.Cleanup would keep 64 per round
				if err := sql.Warm(b.Context()); err != nil {
					b.Fatal(err)
				}
				hold := sql.HoldUpdate
				if approach == "select-for-update" {
					hold = sql.HoldSelectForUpdate
				}
				meter.run(b, showtimes, ids, func(ctx context.Context, st, seat, user string) error {
					return sqlHoldRelease(ctx, sql, hold, st, seat, user)
				})
			})
		}
	}
}

// benchConfig is the shared test server (pgtest) or, with
// BOXOFFICE_BENCH_SERVER=private, a private durable one.
func benchConfig(b *testing.B) postgres.Config {
	var cfg postgres.Config
	if os.Getenv("BOXOFFICE_BENCH_SERVER") != "private" {
		cfg = pgtest.MustTestConfig(b)
	} else {
		pg := pgserver.Start(b, pgserver.Options{Fsync: true, Settings: []string{
			"shared_buffers = 128MB", "max_connections = 200",
		}})
		cfg = postgres.Config{BaseURL: pg.URL(), Prefix: "bench", MaxConns: 4}
	}
	if n, err := strconv.Atoi(os.Getenv("BOXOFFICE_BENCH_MAX_CONNS")); err == nil && n > 0 {
		cfg.MaxConns = int32(n)
	}
	return cfg
}

// sqlHoldRelease is one op of the SQL baseline: hold, then release.
func sqlHoldRelease(ctx context.Context, sql *sqlbaseline.Store,
	hold func(ctx context.Context, st, seat, hold, owner string, until time.Time) (bool, error),
	st, seat, user string) error {
	holdID := boxoffice.NewHoldID(st)
	ok, err := hold(ctx, st, seat, holdID, user, time.Now().Add(10*time.Minute))
	if err == nil && !ok {
		err = fmt.Errorf("seat %s of %s not free", seat, st)
	}
	if err == nil {
		ok, err = sql.Release(ctx, st, seat, holdID)
	}
	if err == nil && !ok {
		err = fmt.Errorf("hold %s gone before its release", holdID)
	}
	return err
}

func mustOpenBaseline(b *testing.B, url string, conns int32) *sqlbaseline.Store {
	b.Helper()
	s, err := sqlbaseline.Open(b.Context(), url, "baseline", conns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}

// benchMeter runs ops from benchClients clients and reports the figures.
type benchMeter struct {
	pool *sqlbaseline.Store // reads the server's CPU
	dbs  []string
}

// run has client c work on seat c of showtime (c+64k) mod showtimes in its
// k-th op until b.N ops are done, and reports holds/s, cpu-us/op and
// pg-cpu-us/op. With up to 64 showtimes a client stays on one.
func (m *benchMeter) run(b *testing.B, showtimes int, ids []string, op func(ctx context.Context, st, seat, user string) error) {
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	pgBefore, pgErr := sqlbaseline.BackendCPU(ctx, m.pool.Pool(), m.dbs)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for c := range benchClients {
		wg.Go(func() {
			seat, user := seatIDs(c, 1)[0], fmt.Sprintf("bench-%d", c)
			for k := 0; next.Add(1) <= int64(b.N); k++ {
				if err := op(ctx, ids[(c+k*benchClients)%showtimes], seat, user); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpuUsed := time.Since(start), cpuTime()-cpu
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "holds/s")
	b.ReportMetric(float64(cpuUsed.Microseconds())/float64(b.N), "cpu-us/op")
	if pgErr == nil {
		if pgAfter, err := sqlbaseline.BackendCPU(ctx, m.pool.Pool(), m.dbs); err == nil {
			b.ReportMetric(float64(sqlbaseline.CPUSince(pgBefore, pgAfter).Microseconds())/float64(b.N), "pg-cpu-us/op")
		}
	}
}

// flushMeter wraps the seat store to measure the grain's group commits:
// events per store write (one AppendSeatsMany call of the node's journal
// committer, carrying many showtimes) and how long each took.
type flushMeter struct {
	next             boxoffice.SeatStore
	calls, events, d atomic.Int64
	failed           atomic.Pointer[error] // the first failed write, for the log
}

func (f *flushMeter) wrap(next boxoffice.SeatStore) boxoffice.SeatStore {
	f.next = next
	return f
}

func (f *flushMeter) LoadSeats(ctx context.Context, id string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	return f.next.LoadSeats(ctx, id)
}

func (f *flushMeter) AppendSeats(ctx context.Context, id string, evs []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	start := time.Now()
	err := f.next.AppendSeats(ctx, id, evs, snap)
	f.d.Add(int64(time.Since(start)))
	f.calls.Add(1)
	f.events.Add(int64(len(evs)))
	if err != nil {
		err := fmt.Errorf("write of %d events after %v: %w", len(evs), time.Since(start), err)
		f.failed.CompareAndSwap(nil, &err)
	}
	return err
}

func (f *flushMeter) AppendSeatsMany(ctx context.Context, appends []boxoffice.SeatAppend) []error {
	start := time.Now()
	errs := f.next.AppendSeatsMany(ctx, appends)
	events := 0
	for _, a := range appends {
		events += len(a.Events)
	}
	if events == 0 {
		return errs // a write of snapshots only
	}
	f.d.Add(int64(time.Since(start)))
	f.calls.Add(1)
	f.events.Add(int64(events))
	for _, err := range errs {
		if err != nil {
			err := fmt.Errorf("write of %d events of %d showtimes after %v: %w", events, len(appends), time.Since(start), err)
			f.failed.CompareAndSwap(nil, &err)
			break
		}
	}
	return errs
}

// ConcurrentWrites passes on what the store says, so that the engine
// sizes its journal committer as it would without the meter.
func (f *flushMeter) ConcurrentWrites() int {
	if cw, ok := f.next.(interface{ ConcurrentWrites() int }); ok {
		return cw.ConcurrentWrites()
	}
	return actors.JournalWritesDefault
}

func (f *flushMeter) reset() {
	f.calls.Store(0)
	f.events.Store(0)
	f.d.Store(0)
}

// report adds events/flush and flush-ms (the mean time of one write).
func (f *flushMeter) report(b *testing.B) {
	if err := f.failed.Load(); err != nil {
		b.Logf("a group commit failed: %v", *err)
	}
	if n := f.calls.Load(); n > 0 {
		b.ReportMetric(float64(f.events.Load())/float64(n), "events/flush")
		b.ReportMetric(float64(f.d.Load())/float64(n)/1e6, "flush-ms")
	}
}
