package sqlite

import (
	"context"
	"database/sql"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkConcurrentWrites runs small write transactions (one INSERT)
// from 64 goroutines on one database file, each transaction committed
// alone (BeginTx and Commit on the file's connection, as the stores did
// before group commit) and through the group commit; tx/commit is how
// many transactions shared one commit.
func BenchmarkConcurrentWrites(b *testing.B) {
	alone := func(d *db, ctx context.Context, fn func(*sql.Tx) error) error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	grouped := func(d *db, ctx context.Context, fn func(*sql.Tx) error) error { return d.withTx(ctx, fn) }
	for _, bc := range []struct {
		name  string
		write func(d *db, ctx context.Context, fn func(*sql.Tx) error) error
	}{{"alone", alone}, {"group", grouped}} {
		b.Run(bc.name, func(b *testing.B) {
			d := mustOpenGroupDB(b)
			var next atomic.Int64
			commits := d.db.gc.commits.Load()
			b.SetParallelism(64 / max(1, testingProcs()))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					k := int(next.Add(1))
					if err := bc.write(d, ctx, func(tx *sql.Tx) error { return insert(ctx, tx, k) }); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			if n := d.db.gc.commits.Load() - commits; n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "tx/commit")
			}
		})
	}
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
