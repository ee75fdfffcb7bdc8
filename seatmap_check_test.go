package boxoffice_test

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

// TestCheckHoldSeats: the checks a caller can run without a seat map answer
// as SeatMap.Hold does.
func TestCheckHoldSeats(t *testing.T) {
	tests := []struct {
		seats   []string
		message string
	}{
		{[]string{"A1"}, ""},
		{[]string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"}, ""},
		{nil, "seats: at least one seat is required"},
		{[]string{}, "seats: at least one seat is required"},
		{[]string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11"}, "seats: at most 10 seats per hold"},
		{[]string{"A1", "B2", "A1"}, "seats: A1 appears twice"},
	}
	for _, tt := range tests {
		err := boxoffice.CheckHoldSeats(tt.seats)
		if tt.message == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.seats, err)
			}
			continue
		}
		if boxoffice.ErrorCode(err) != boxoffice.EINVALID || boxoffice.ErrorMessage(err) != tt.message {
			t.Errorf("%v: %v, want invalid %q", tt.seats, err, tt.message)
		}
	}
}
