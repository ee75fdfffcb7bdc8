package actors

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// env is what every actor of a node shares: stores, clock, settings.
type env struct {
	catalog     boxoffice.CatalogStore
	seats       boxoffice.SeatStore
	clock       boxoffice.Clock
	log         *slog.Logger
	holdTTL     time.Duration
	idleTimeout time.Duration
	active      sync.Map // showtime ID -> struct{}: grains live on this node
}

// loadSeatMap builds a showtime's seat map from the catalog (layout and
// prices) and the seat journal.
func (e *env) loadSeatMap(ctx context.Context, showtimeID string) (*boxoffice.SeatMap, error) {
	if !boxoffice.ValidID(showtimeID) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "showtime %q not found", showtimeID)
	}
	st, err := e.catalog.Showtime(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	hall, err := e.catalog.Hall(ctx, st.HallID)
	if err != nil {
		return nil, fmt.Errorf("hall of showtime %s: %w", showtimeID, err)
	}
	snap, events, err := e.seats.LoadSeats(ctx, showtimeID)
	if err != nil {
		return nil, err
	}
	m := boxoffice.NewSeatMap(st, hall)
	if err := m.Restore(snap, events); err != nil {
		return nil, err
	}
	return m, nil
}
