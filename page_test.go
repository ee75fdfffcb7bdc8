package boxoffice_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/boxoffice/boxoffice"
)

// TestTrimPage proves the paging rule every store uses: a fetch of one more
// than the limit tells whether a next page exists, and its cursor is the
// last item kept.
func TestTrimPage(t *testing.T) {
	cursor := func(v int) string { return strconv.Itoa(v) }
	for _, tt := range []struct {
		name     string
		items    []int
		limit    int
		want     []int
		wantNext string
	}{
		{"Empty", nil, 2, nil, ""},
		{"FewerThanLimit", []int{1}, 2, []int{1}, ""},
		{"ExactlyLimit", []int{1, 2}, 2, []int{1, 2}, ""},
		{"OneMore", []int{1, 2, 3}, 2, []int{1, 2}, "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, next := boxoffice.TrimPage(tt.items, tt.limit, cursor)
			if !slices.Equal(got, tt.want) || next != tt.wantNext {
				t.Fatalf("TrimPage = %v, %q; want %v, %q", got, next, tt.want, tt.wantNext)
			}
		})
	}
}

// TestScanLimit proves that a scan without a limit is bounded, and that a
// limit given is kept.
func TestScanLimit(t *testing.T) {
	for limit, want := range map[int]int{0: boxoffice.PageLimitMax, -1: boxoffice.PageLimitMax, 5: 5, 5000: 5000} {
		if got := boxoffice.ScanLimit(limit); got != want {
			t.Errorf("ScanLimit(%d) = %d, want %d", limit, got, want)
		}
	}
}
