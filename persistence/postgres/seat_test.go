package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/persistence/postgres/pgtest"
)

// TestAppendSeatsRejectsGaps guards the journal against a batch whose seqs
// are not 1, 2, ...: a gap would hide a lost event from later activations.
func TestAppendSeatsRejectsGaps(t *testing.T) {
	t.Parallel()
	s := pgtest.MustOpen(t)
	for name, events := range map[string][]boxoffice.SeatEvent{
		"Gap":     {{Seq: 1}, {Seq: 3}},
		"SeqZero": {{Seq: 0}},
		"Reorder": {{Seq: 2}, {Seq: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Seats.AppendSeats(t.Context(), boxoffice.NewID(), events, nil)
			require.Equal(t, boxoffice.EINVALID, boxoffice.ErrorCode(err), "error: %v", err)
		})
	}
}

// BenchmarkAppendSeats measures durable journal writes (synchronous_commit
// on: one WAL flush per commit) from one writer, with one event per call
// (a grain without group commit) and with batches of 100 (one multi-row
// statement, as group commit writes). events/s is the figure to compare.
func BenchmarkAppendSeats(b *testing.B) {
	s := pgtest.MustOpen(b)
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			st := boxoffice.NewID()
			at := time.Now().UTC()
			events := make([]boxoffice.SeatEvent, batch)
			seq := uint64(0)
			for b.Loop() {
				for i := range events {
					seq++
					events[i] = boxoffice.SeatEvent{Seq: seq, Kind: boxoffice.EventHeld, At: at,
						HoldID: "hold", Owner: "owner", Seats: []string{"A1", "A2"}, ExpiresAt: at}
				}
				if err := s.Seats.AppendSeats(b.Context(), st, events, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(seq)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
