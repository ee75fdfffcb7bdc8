package postgres_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// BenchmarkBookingWrites measures what pool size and a merged-transaction
// layer (group commit) give PostgreSQL: 64 goroutines each run
// booking-sized write transactions (UPDATE the seat row, INSERT the
// booking, INSERT the payment, COMMIT), through a pool of 4, 16, 32 or 64
// connections, one transaction per booking ("tx"); or through writers
// (one per connection) that take every booking waiting and run them in
// ONE transaction, a SAVEPOINT each, sent as one pipelined batch
// ("group").
func BenchmarkBookingWrites(b *testing.B) {
	cfg := pgtest.MustTestConfig(b)
	ctx := context.Background()
	schema := pgx.Identifier{cfg.Prefix + "_bench"}.Sanitize()
	admin, err := pgx.Connect(ctx, cfg.BaseURL)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = admin.Close(ctx) }()
	const workers = 64
	for _, ddl := range []string{
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + schema + `.seats (id int PRIMARY KEY, version bigint NOT NULL DEFAULT 0)`,
		`CREATE TABLE ` + schema + `.bookings (id bigint PRIMARY KEY, seat int NOT NULL, status text NOT NULL, total_cents int NOT NULL)`,
		`CREATE TABLE ` + schema + `.payments (id bigint PRIMARY KEY, booking bigint NOT NULL, amount_cents int NOT NULL, status text NOT NULL)`,
		`INSERT INTO ` + schema + `.seats (id) SELECT generate_series(0, ` + strconv.Itoa(workers*4) + `)`,
	} {
		if _, err := admin.Exec(ctx, ddl); err != nil {
			b.Fatal(err)
		}
	}
	defer func() { _, _ = admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`) }()
	stmts := []string{
		`UPDATE ` + schema + `.seats SET version = version + 1 WHERE id = $1`,
		`INSERT INTO ` + schema + `.bookings VALUES ($2, $1, 'confirmed', 1200)`,
		`INSERT INTO ` + schema + `.payments VALUES ($2, $2, 1200, 'captured')`,
	}
	var ids atomic.Int64
	for _, conns := range []int32{4, 16, 32, 64} {
		for _, mode := range []string{"tx", "group"} {
			if mode == "group" && conns > 16 {
				continue
			}
			b.Run(fmt.Sprintf("%s/pool=%d", mode, conns), func(b *testing.B) {
				pcfg, err := pgxpool.ParseConfig(cfg.BaseURL)
				if err != nil {
					b.Fatal(err)
				}
				pcfg.MaxConns = conns
				pool, err := pgxpool.NewWithConfig(ctx, pcfg)
				if err != nil {
					b.Fatal(err)
				}
				defer pool.Close()
				write := func(seat int, id int64) error {
					return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						for _, s := range stmts {
							if _, err := tx.Exec(ctx, s, seat, id); err != nil {
								return err
							}
						}
						return nil
					})
				}
				if mode == "group" {
					g := startGroup(ctx, pool, int(conns), stmts)
					defer g.stop()
					write = g.write
				}
				var seats atomic.Int64
				b.SetParallelism(workers / runtime.GOMAXPROCS(0))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					seat := int(seats.Add(1))
					for pb.Next() {
						if err := write(seat, ids.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}
}

// benchGroup is the merged-transaction layer measured against plain
// transactions: writers that each run every booking waiting in one
// transaction.
type benchGroup struct {
	queue chan benchWrite
	done  chan struct{}
}

type benchWrite struct {
	seat int
	id   int64
	errc chan error
}

func startGroup(ctx context.Context, pool *pgxpool.Pool, writers int, stmts []string) *benchGroup {
	g := &benchGroup{queue: make(chan benchWrite, 1024), done: make(chan struct{})}
	for range writers {
		go func() {
			for {
				var group []benchWrite
				select {
				case w := <-g.queue:
					group = append(group, w)
				case <-g.done:
					return
				}
			fill:
				for len(group) < 64 {
					select {
					case w := <-g.queue:
						group = append(group, w)
					default:
						break fill
					}
				}
				batch := &pgx.Batch{}
				batch.Queue(`BEGIN`)
				for _, w := range group {
					batch.Queue(`SAVEPOINT b`)
					for _, s := range stmts {
						batch.Queue(s, w.seat, w.id)
					}
					batch.Queue(`RELEASE b`)
				}
				batch.Queue(`COMMIT`)
				err := pool.SendBatch(ctx, batch).Close()
				for _, w := range group {
					w.errc <- err
				}
			}
		}()
	}
	return g
}

func (g *benchGroup) write(seat int, id int64) error {
	errc := make(chan error, 1)
	g.queue <- benchWrite{seat: seat, id: id, errc: errc}
	return <-errc
}

func (g *benchGroup) stop() { close(g.done) }
