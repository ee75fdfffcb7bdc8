package loadtest

import (
	"context"
	"fmt"
	"time"
)

// Hall shape limits of the API: rows are letters A..Z of at most 99 seats.
const (
	hallRowsMax    = 26
	rowSeatsMax    = 99
	hallSeatsMax   = hallRowsMax * rowSeatsMax
	rowSeatsPlain  = 20 // seats per row in the halls the harness builds
	priceStandard  = 1200
	pricePremium   = 1800
	showtimeLeadIn = 7 * 24 * time.Hour // showtimes start a week out: holds and cancels stay allowed
)

// Venue is the movie and the hall every showtime of a run is made in.
type Venue struct {
	MovieID string
	HallID  string
	Seats   []string // seat labels of the hall, row by row
	Prices  map[string]int64
}

// hallRows lays out n seats in rows of rowSeatsPlain (rows of 99 when n is
// too large for that); the last row is premium so that totals mix prices.
func hallRows(n int) ([]map[string]any, []string) {
	per := rowSeatsPlain
	if n > hallRowsMax*per {
		per = rowSeatsMax
	}
	var rows []map[string]any
	var seats []string
	for r := 0; n > 0; r++ {
		k := min(per, n)
		n -= k
		category := "standard"
		if n == 0 && r > 0 {
			category = "premium"
		}
		row := string(rune('A' + r))
		rows = append(rows, map[string]any{"row": row, "seats": k, "category": category})
		for i := 1; i <= k; i++ {
			seats = append(seats, fmt.Sprintf("%s%d", row, i))
		}
	}
	return rows, seats
}

// setupVenue creates, as admin, a movie and a cinema with one hall of n
// seats.
func setupVenue(ctx context.Context, c *Client, admin *User, runID string, n int) (*Venue, error) {
	tok := admin.Token(ctx, c)
	var movie struct {
		ID string `json:"id"`
	}
	res := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/movies", Token: tok, Body: map[string]any{
		"title": "Load test " + runID, "description": "created by boxoffice loadtest", "genres": []string{"drama"},
		"duration_minutes": 120, "rating": "PG-13", "release_date": "2026-01-01"}})
	if err := res.expect(201, "create movie", &movie); err != nil {
		return nil, err
	}
	rows, seats := hallRows(n)
	var cinema struct {
		Halls []struct {
			ID string `json:"id"`
		} `json:"halls"`
	}
	res = c.Do(ctx, Request{Method: "POST", Path: "/api/v1/cinemas", Token: tok, Body: map[string]any{
		"name": "Load test " + runID, "city": "Loadtown",
		"halls": []any{map[string]any{"name": "Hall LT", "rows": rows}}}})
	if err := res.expect(201, "create cinema", &cinema); err != nil {
		return nil, err
	}
	if len(cinema.Halls) != 1 {
		return nil, fmt.Errorf("create cinema: %d halls in the answer, want 1", len(cinema.Halls))
	}
	return &Venue{MovieID: movie.ID, HallID: cinema.Halls[0].ID, Seats: seats,
		Prices: map[string]int64{"standard": priceStandard, "premium": pricePremium}}, nil
}

// createShowtime puts a new showtime of the venue on sale.
func createShowtime(ctx context.Context, c *Client, admin *User, v *Venue) (string, error) {
	var st struct {
		ID string `json:"id"`
	}
	res := c.Do(ctx, Request{Method: "POST", Path: "/api/v1/showtimes", Token: admin.Token(ctx, c), Body: map[string]any{
		"movie_id": v.MovieID, "hall_id": v.HallID, "prices": v.Prices, "currency": "EUR",
		"starts_at": time.Now().Add(showtimeLeadIn).UTC().Format(time.RFC3339)}})
	if err := res.expect(201, "create showtime", &st); err != nil {
		return "", err
	}
	return st.ID, nil
}
