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
