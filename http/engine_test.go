package http_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/cluster"
)

// testEngine is the real actors engine of a test server, on a single-node
// cluster over the server's own stores and clock. It starts on the first
// showtime or booking call: a node takes a second to start, and most tests
// never reach the engine, so only those that do pay for it. It adds no
// behaviour of its own: every method is the engine's.
type testEngine struct {
	tb     testing.TB
	stores *boxoffice.Stores
	clock  boxoffice.Clock

	once   sync.Once
	engine *actors.Engine
	node   *cluster.Node
	err    error
}

var (
	_ boxoffice.ShowtimeService = (*testEngine)(nil)
	_ boxoffice.BookingService  = (*testEngine)(nil)
)

// newTestEngine returns an engine that starts on first use and stops when
// tb ends, before the stores close (they were opened earlier, so their
// cleanup runs later).
func newTestEngine(tb testing.TB, stores *boxoffice.Stores, clock boxoffice.Clock) *testEngine {
	e := &testEngine{tb: tb, stores: stores, clock: clock}
	tb.Cleanup(e.stop)
	return e
}

// start starts the engine once; later calls return the first outcome.
func (e *testEngine) start() (*actors.Engine, error) {
	e.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		eng := actors.New(actors.Config{Stores: e.stores, Clock: e.clock, Logger: testLogger(),
			CardGateway: cardgateway.NewSimulator()})
		n, err := cluster.Start(ctx, cluster.Config{Name: "h1", Kinds: eng.Kinds(), RemoteAddr: "127.0.0.1:0",
			Logger: testLogger(), BeforeJoin: eng.Attach})
		if err != nil {
			e.err = boxoffice.Errorf(boxoffice.EINTERNAL, "start node: %v", err)
			return
		}
		e.node = n
		if err := eng.Start(ctx); err != nil {
			e.err = boxoffice.Errorf(boxoffice.EINTERNAL, "start engine: %v", err)
			return
		}
		e.engine = eng
	})
	if e.err != nil {
		e.tb.Errorf("test engine: %v", e.err)
	}
	return e.engine, e.err
}

// stop stops the engine and its node, if they started.
func (e *testEngine) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if e.engine != nil {
		if err := e.engine.Stop(ctx); err != nil {
			e.tb.Errorf("stop engine: %v", err)
		}
	}
	if e.node != nil {
		if err := e.node.Stop(ctx); err != nil {
			e.tb.Errorf("stop node: %v", err)
		}
	}
}

func (e *testEngine) Hold(ctx context.Context, showtimeID, owner string, seats []string) (*boxoffice.Hold, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Showtimes().Hold(ctx, showtimeID, owner, seats)
}

func (e *testEngine) HoldByID(ctx context.Context, holdID string, c boxoffice.Caller) (*boxoffice.Hold, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Showtimes().HoldByID(ctx, holdID, c)
}

func (e *testEngine) ReleaseHold(ctx context.Context, holdID string, c boxoffice.Caller) error {
	eng, err := e.start()
	if err != nil {
		return err
	}
	return eng.Showtimes().ReleaseHold(ctx, holdID, c)
}

func (e *testEngine) SeatMap(ctx context.Context, showtimeID string) (*boxoffice.SeatMapView, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Showtimes().SeatMap(ctx, showtimeID)
}

func (e *testEngine) WatchSeats(ctx context.Context, showtimeID string, since uint64) (*boxoffice.SeatChanges, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Showtimes().WatchSeats(ctx, showtimeID, since)
}

func (e *testEngine) CreateBooking(ctx context.Context, req boxoffice.CreateBookingRequest) (*boxoffice.Booking, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Bookings().CreateBooking(ctx, req)
}

func (e *testEngine) Booking(ctx context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Bookings().Booking(ctx, id, c)
}

func (e *testEngine) Bookings(ctx context.Context, c boxoffice.Caller, p boxoffice.Page) ([]*boxoffice.Booking, string, error) {
	eng, err := e.start()
	if err != nil {
		return nil, "", err
	}
	return eng.Bookings().Bookings(ctx, c, p)
}

func (e *testEngine) CancelBooking(ctx context.Context, id string, c boxoffice.Caller) (*boxoffice.Booking, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Bookings().CancelBooking(ctx, id, c)
}

func (e *testEngine) CancelShowtime(ctx context.Context, showtimeID string) (*boxoffice.Showtime, error) {
	eng, err := e.start()
	if err != nil {
		return nil, err
	}
	return eng.Bookings().CancelShowtime(ctx, showtimeID)
}
