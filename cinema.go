package boxoffice

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Seat categories are free-form labels ("standard", "premium"); a showtime
// gives each category a price.

// Limits on cinema layouts.
const (
	HallsMax       = 50
	RowsMax        = 26 // rows are letters A..Z
	SeatsPerRowMax = 99
	CategoryLenMax = 30
)

// Cinema is a building with halls.
type Cinema struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	City      string    `json:"city"`
	Halls     []Hall    `json:"halls"`
	CreatedAt time.Time `json:"created_at"`
}

// Hall is a screen room with a fixed seat layout.
type Hall struct {
	ID       string `json:"id"`
	CinemaID string `json:"cinema_id"`
	Name     string `json:"name"`
	Rows     []Row  `json:"rows"`
}

// Row is one row of seats, all of one category. Seats are numbered 1..Seats.
type Row struct {
	Row      string `json:"row"`
	Seats    int    `json:"seats"`
	Category string `json:"category"`
}

// Validate checks a cinema and its halls.
func (c *Cinema) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	c.City = strings.TrimSpace(c.City)
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > TitleLenMax:
		return Errorf(EINVALID, "name is required (at most %d characters)", TitleLenMax)
	case c.City == "" || utf8.RuneCountInString(c.City) > TitleLenMax:
		return Errorf(EINVALID, "city is required (at most %d characters)", TitleLenMax)
	case len(c.Halls) == 0 || len(c.Halls) > HallsMax:
		return Errorf(EINVALID, "a cinema needs 1 to %d halls", HallsMax)
	}
	for i := range c.Halls {
		if err := c.Halls[i].Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a hall's layout: rows are distinct letters A-Z, each with
// 1..99 seats and a category.
func (h *Hall) Validate() error {
	h.Name = strings.TrimSpace(h.Name)
	if h.Name == "" || utf8.RuneCountInString(h.Name) > TitleLenMax {
		return Errorf(EINVALID, "hall name is required (at most %d characters)", TitleLenMax)
	}
	if len(h.Rows) == 0 || len(h.Rows) > RowsMax {
		return Errorf(EINVALID, "hall %q needs 1 to %d rows", h.Name, RowsMax)
	}
	seen := make(map[string]bool, len(h.Rows))
	for i := range h.Rows {
		r := &h.Rows[i]
		r.Row = strings.ToUpper(strings.TrimSpace(r.Row))
		r.Category = strings.TrimSpace(r.Category)
		if len(r.Row) != 1 || r.Row[0] < 'A' || r.Row[0] > 'Z' {
			return Errorf(EINVALID, "hall %q: row must be one letter A-Z, got %q", h.Name, r.Row)
		}
		if seen[r.Row] {
			return Errorf(EINVALID, "hall %q: row %s appears twice", h.Name, r.Row)
		}
		seen[r.Row] = true
		if r.Seats < 1 || r.Seats > SeatsPerRowMax {
			return Errorf(EINVALID, "hall %q: row %s needs 1 to %d seats", h.Name, r.Row, SeatsPerRowMax)
		}
		if r.Category == "" || len(r.Category) > CategoryLenMax {
			return Errorf(EINVALID, "hall %q: row %s needs a category (at most %d bytes)", h.Name, r.Row, CategoryLenMax)
		}
	}
	return nil
}

// Categories returns the distinct seat categories of the hall.
func (h *Hall) Categories() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range h.Rows {
		if !seen[r.Category] {
			seen[r.Category] = true
			out = append(out, r.Category)
		}
	}
	return out
}

// SeatLayout lists every seat of the hall with its price, in row order.
func (h *Hall) SeatLayout(prices map[string]int64) []Seat {
	var seats []Seat
	for _, r := range h.Rows {
		for n := 1; n <= r.Seats; n++ {
			seats = append(seats, Seat{
				ID:         fmt.Sprintf("%s%d", r.Row, n),
				Category:   r.Category,
				PriceCents: prices[r.Category],
			})
		}
	}
	return seats
}
