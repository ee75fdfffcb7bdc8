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

	"github.com/boxoffice/boxoffice/internal/pgserver"
)

// BenchmarkBookingWrites measures what pool size and a merged-transaction
// layer (group commit) give PostgreSQL: 64 goroutines each run
// booking-sized writes (UPDATE the seat row, INSERT the booking, INSERT
// the payment) through a pool of 4, 8, 16 or 32 connections: one
// transaction per booking, a round trip per statement ("tx"); the three
// as autocommit statements, three commits, as the stores write today
// ("stmt"); one transaction per booking sent as one pipelined batch, one
// round trip ("pipelined"); or through writers (one per connection) that
// take every booking waiting and run them in ONE transaction, a SAVEPOINT
// each, sent as one pipelined batch ("group": group commit).
func BenchmarkBookingWrites(b *testing.B) {
	// A private durable server: the machine's shared one may have no
	// connections to spare for 32 more.
	url := pgserver.Start(b, pgserver.Options{Fsync: true}).URL()
	ctx := context.Background()
	schema := "bench"
	admin, err := pgx.Connect(ctx, url)
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
		`INSERT INTO ` + schema + `.payments VALUES ($1, $1, 1200, 'captured')`,
	}
	// args are each statement's arguments for a booking of seat.
	args := func(seat int, id int64) [][]any { return [][]any{{seat}, {seat, id}, {id}} }
	var ids atomic.Int64
	for _, conns := range []int32{4, 8, 16, 32} {
		for _, mode := range []string{"tx", "stmt", "pipelined", "group"} {
			if mode != "tx" && conns > 16 {
				continue
			}
			b.Run(fmt.Sprintf("%s/pool=%d", mode, conns), func(b *testing.B) {
				pcfg, err := pgxpool.ParseConfig(url)
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
						for i, a := range args(seat, id) {
							if _, err := tx.Exec(ctx, stmts[i], a...); err != nil {
								return err
							}
						}
						return nil
					})
				}
				switch mode {
				case "stmt":
					write = func(seat int, id int64) error {
						for i, a := range args(seat, id) {
							if _, err := pool.Exec(ctx, stmts[i], a...); err != nil {
								return err
							}
						}
						return nil
					}
				case "pipelined":
					write = func(seat int, id int64) error {
						batch := &pgx.Batch{}
						batch.Queue(`BEGIN`)
						for i, a := range args(seat, id) {
							batch.Queue(stmts[i], a...)
						}
						batch.Queue(`COMMIT`)
						return pool.SendBatch(ctx, batch).Close()
					}
				case "group":
					g := startGroup(ctx, pool, int(conns), stmts, args)
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

func startGroup(ctx context.Context, pool *pgxpool.Pool, writers int, stmts []string, args func(int, int64) [][]any) *benchGroup {
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
					for i, a := range args(w.seat, w.id) {
						batch.Queue(stmts[i], a...)
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
