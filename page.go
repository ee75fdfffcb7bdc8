package boxoffice

// Page limits for list endpoints.
const (
	PageLimitDefault = 50
	PageLimitMax     = 200
)

// Page selects a slice of a list: up to Limit items after Cursor. Cursors
// are opaque to clients; stores make them (usually the last item's ID, as
// IDs are time-ordered).
type Page struct {
	Limit  int
	Cursor string
}

// Normalize applies the default and the maximum to p.Limit.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = PageLimitDefault
	}
	if p.Limit > PageLimitMax {
		p.Limit = PageLimitMax
	}
	return p
}

// TrimPage cuts items, fetched with one more than limit to learn whether
// another page follows, to limit, and returns the cursor of the last item
// kept, or "" when there is no more. Every store pages this way.
func TrimPage[T any](items []T, limit int, cursor func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, cursor(items[limit-1])
}

// ScanLimit bounds a scan that is not a client page (recovery, sweeps)
// when its caller gives no limit: zero or less takes PageLimitMax rather
// than everything. A larger limit is kept as asked: a caller that reads
// "fewer than limit" as "done" must not be cut short.
func ScanLimit(limit int) int {
	if limit <= 0 {
		return PageLimitMax
	}
	return limit
}
