package boxoffice_test

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

// TestValidateSeatEvents pins the journal's numbering rule that every seat
// store applies before it writes: a batch is numbered 1, 2, ... without
// gaps, and an empty batch (a snapshot alone) passes.
func TestValidateSeatEvents(t *testing.T) {
	for name, tc := range map[string]struct {
		events []boxoffice.SeatEvent
		want   string
	}{
		"Empty":       {nil, ""},
		"One":         {[]boxoffice.SeatEvent{{Seq: 7}}, ""},
		"Consecutive": {[]boxoffice.SeatEvent{{Seq: 3}, {Seq: 4}, {Seq: 5}}, ""},
		"Gap":         {[]boxoffice.SeatEvent{{Seq: 1}, {Seq: 3}}, boxoffice.EINVALID},
		"SeqZero":     {[]boxoffice.SeatEvent{{Seq: 0}}, boxoffice.EINVALID},
		"Reorder":     {[]boxoffice.SeatEvent{{Seq: 2}, {Seq: 1}}, boxoffice.EINVALID},
		"Repeat":      {[]boxoffice.SeatEvent{{Seq: 1}, {Seq: 1}}, boxoffice.EINVALID},
	} {
		t.Run(name, func(t *testing.T) {
			err := boxoffice.ValidateSeatEvents("st", tc.events)
			if got := boxoffice.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q, want %q (error: %v)", got, tc.want, err)
			}
		})
	}
}
