package actors

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
)

// env is what every actor of a node shares: stores, clock, settings.
type env struct {
	catalog     boxoffice.CatalogStore
	seats       boxoffice.SeatStore
	journal     *journal               // writes the seats: see journal.go
	bookings    boxoffice.BookingStore // read at load: see checkJournal
	clock       boxoffice.Clock
	log         *slog.Logger
	idleTimeout time.Duration
	// healthy is the node's self-fencing verdict (Config.Healthy, true
	// when unset); showtime grains check it on every command.
	healthy func() bool
	// epoch is the node's fence epoch (Config.Epoch) and fenceLoads
	// Config.FenceLoads: see showtimeGrain.load.
	epoch      func() uint64
	fenceLoads bool
	// gone is Config.Gone.
	gone    func(memberID string) bool
	active  sync.Map // showtime ID -> struct{}: grains live on this node
	layouts layoutCache
	// holdCaps bound what one user may hold (zero fields: off); the seat
	// maps check the caps per showtime, openHolds the one across them.
	holdCaps  boxoffice.HoldCaps
	openHolds openHolds
	metrics   *Metrics // nil: not counted
}

// layoutsMax bounds the layout cache; past it the cache starts over.
const layoutsMax = 1024

// layoutCache shares seat layouts between the showtimes of one hall at
// the same prices. Halls never change once created, so an entry never goes
// stale.
type layoutCache struct {
	mu sync.Mutex
	m  map[string]*boxoffice.SeatLayout
}

func (c *layoutCache) get(hall *boxoffice.Hall, prices map[string]int64) *boxoffice.SeatLayout {
	cats := slices.Sorted(maps.Keys(prices))
	var key strings.Builder
	key.WriteString(hall.ID)
	for _, cat := range cats {
		fmt.Fprintf(&key, "|%s=%d", cat, prices[cat])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.m[key.String()]; l != nil {
		return l
	}
	if c.m == nil || len(c.m) >= layoutsMax {
		c.m = map[string]*boxoffice.SeatLayout{}
	}
	l := boxoffice.NewSeatLayout(hall, prices)
	c.m[key.String()] = l
	return l
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
	m := boxoffice.NewSeatMapWithLayout(st, e.layouts.get(hall, st.Prices))
	if err := m.SetHoldCaps(e.holdCaps); err != nil {
		return nil, err
	}
	if err := m.Restore(snap, events); err != nil {
		return nil, err
	}
	return m, nil
}
