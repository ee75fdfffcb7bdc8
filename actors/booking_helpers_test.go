package actors_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cardgateway"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/clocktest"
	"github.com/boxoffice/boxoffice/internal/leaktest"
	"github.com/boxoffice/boxoffice/webhook"
)

// Names here start with "booking" or "bk": the showtime tests of this
// package keep their own helpers.

// BookingOptions configures MustOpenBookingEngine; zero values are
// defaults: fresh SQLite stores, a fake clock at the current time, a new
// simulated gateway, no webhook.
type BookingOptions struct {
	Stores        *boxoffice.Stores // reuse (a restart)
	Clock         *clocktest.Clock
	Gateway       *cardgateway.Simulator
	Provider      boxoffice.PaymentProvider // wraps Gateway; default Gateway itself
	WebhookURL    string
	ChargeTimeout time.Duration
	ShowtimeID    string        // reuse; "" creates one 48h ahead of the clock
	IdleTimeout   time.Duration // booking grains passivate after it; 0: the default
}

// BookingEnv is one node running the booking, payment and notification
// services on real stores.
type BookingEnv struct {
	Engine     *actors.Engine
	Node       *cluster.Node
	Stores     *boxoffice.Stores
	Clock      *clocktest.Clock
	Gateway    *cardgateway.Simulator
	ShowtimeID string
	opts       BookingOptions
}

// Seat prices of the test hall.
const (
	bkPriceStandard = 1200
	bkPricePremium  = 1800
)

// MustOpenBookingEngine starts a single-node cluster with an engine (its
// payment and notification actors and recovery started) on SQLite stores,
// with a showtime in a 20-seat hall: row A standard, row B premium. The
// engine and node stop when the test ends, before the stores close.
func MustOpenBookingEngine(tb testing.TB, opts BookingOptions) *BookingEnv {
	tb.Helper()
	if opts.Stores == nil {
		opts.Stores = MustOpenStores(tb)
	}
	if opts.Clock == nil {
		opts.Clock = clocktest.New(time.Now())
	}
	if opts.Gateway == nil {
		opts.Gateway = cardgateway.NewSimulator()
	}
	if opts.Provider == nil {
		opts.Provider = opts.Gateway
	}
	if opts.ChargeTimeout == 0 {
		opts.ChargeTimeout = 2 * time.Second
	}
	if opts.ShowtimeID == "" {
		opts.ShowtimeID = bkCreateShowtime(tb, opts.Stores, opts.Clock.Now().Add(48*time.Hour))
	}
	e := &BookingEnv{Stores: opts.Stores, Clock: opts.Clock, Gateway: opts.Gateway, ShowtimeID: opts.ShowtimeID, opts: opts}
	var sender boxoffice.NotificationSender
	if opts.WebhookURL != "" {
		hook := webhook.New(opts.WebhookURL)
		tb.Cleanup(hook.Close) // after the engine stops: cleanups run last first
		sender = hook
	}
	e.Engine = actors.New(actors.Config{
		Stores: opts.Stores, Clock: opts.Clock, Logger: bkLogger(tb),
		CardGateway: opts.Provider, ChargeTimeout: opts.ChargeTimeout,
		NotificationSender: sender, NotifySweepEvery: 20 * time.Millisecond, BookingIdleTimeout: opts.IdleTimeout,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := cluster.Start(ctx, cluster.Config{Name: "b1", Kinds: e.Engine.Kinds(), RemoteAddr: "127.0.0.1:0", Logger: bkLogger(tb)})
	if err != nil {
		tb.Fatalf("start node: %v", err)
	}
	e.Node = n
	e.Engine.Attach(n.Cluster())
	tb.Cleanup(func() { bkStopNode(tb, n) })
	if err := e.Engine.Start(ctx); err != nil {
		tb.Fatalf("start engine: %v", err)
	}
	tb.Cleanup(func() { e.Stop(tb) })
	return e
}

// Stop stops the engine and then the node (both idempotent).
func (e *BookingEnv) Stop(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := e.Engine.Stop(ctx); err != nil {
		tb.Errorf("stop engine: %v", err)
	}
	bkStopNode(tb, e.Node)
}

// Restart stops this node and starts another engine on the same stores,
// clock, gateway and showtime, as a process restart would.
func (e *BookingEnv) Restart(tb testing.TB) *BookingEnv {
	tb.Helper()
	e.Stop(tb)
	return MustOpenBookingEngine(tb, e.opts)
}

func bkStopNode(tb testing.TB, n *cluster.Node) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		tb.Errorf("stop node: %v", err)
	}
}

// bkCreateShowtime stores a movie, a cinema with a 20-seat hall and a
// showtime starting at startsAt.
func bkCreateShowtime(tb testing.TB, s *boxoffice.Stores, startsAt time.Time) string {
	tb.Helper()
	ctx := bkCtx(tb)
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := &boxoffice.Movie{ID: boxoffice.NewID(), Title: "Ronin", DurationMinutes: 122, Genres: []string{"action"}, CreatedAt: now}
	if err := s.Catalog.CreateMovie(ctx, m); err != nil {
		tb.Fatalf("create movie: %v", err)
	}
	hall := boxoffice.Hall{ID: boxoffice.NewID(), Name: "2", Rows: []boxoffice.Row{
		{Row: "A", Seats: 10, Category: "standard"}, {Row: "B", Seats: 10, Category: "premium"},
	}}
	c := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: "Odeon", City: "Nice", CreatedAt: now}
	hall.CinemaID = c.ID
	c.Halls = []boxoffice.Hall{hall}
	if err := s.Catalog.CreateCinema(ctx, c); err != nil {
		tb.Fatalf("create cinema: %v", err)
	}
	st := &boxoffice.Showtime{ID: boxoffice.NewID(), MovieID: m.ID, CinemaID: c.ID, HallID: hall.ID,
		StartsAt: startsAt.UTC().Truncate(time.Millisecond), Currency: "EUR", Status: boxoffice.ShowtimeScheduled,
		Prices: map[string]int64{"standard": bkPriceStandard, "premium": bkPricePremium}, CreatedAt: now}
	if err := s.Catalog.CreateShowtime(ctx, st); err != nil {
		tb.Fatalf("create showtime: %v", err)
	}
	return st.ID
}

// Hold places a hold for user on seats of the env's showtime.
func (e *BookingEnv) Hold(tb testing.TB, user string, seats ...string) *boxoffice.Hold {
	tb.Helper()
	h, err := e.Engine.Showtimes().Hold(bkCtx(tb), e.ShowtimeID, user, seats)
	if err != nil {
		tb.Fatalf("hold %v for %s: %v", seats, user, err)
	}
	return h
}

// Book runs the saga for a hold with a card token.
func (e *BookingEnv) Book(tb testing.TB, user, holdID, token, key string) (*boxoffice.Booking, error) {
	tb.Helper()
	return e.Engine.Bookings().CreateBooking(bkCtx(tb), boxoffice.CreateBookingRequest{
		UserID: user, HoldID: holdID, PaymentMethod: boxoffice.PaymentMethodCard, PaymentToken: token,
		IdempotencyKey: key, RequestHash: holdID + "|" + token,
	})
}

// MustBook books seats for user with tok_visa and checks it is confirmed.
func (e *BookingEnv) MustBook(tb testing.TB, user string, seats ...string) *boxoffice.Booking {
	tb.Helper()
	h := e.Hold(tb, user, seats...)
	b, err := e.Book(tb, user, h.ID, cardgateway.TokenVisa, "")
	if err != nil {
		tb.Fatalf("book %v: %v", seats, err)
	}
	if b.Status != boxoffice.BookingConfirmed {
		tb.Fatalf("booking status = %s, want confirmed", b.Status)
	}
	return b
}

// Stored reads a booking from the store.
func (e *BookingEnv) Stored(tb testing.TB, id string) *boxoffice.Booking {
	tb.Helper()
	b, err := e.Stores.Bookings.Booking(bkCtx(tb), id)
	if err != nil {
		tb.Fatalf("booking %s: %v", id, err)
	}
	return b
}

// Seats returns the public status of each seat of the showtime.
func (e *BookingEnv) Seats(tb testing.TB) map[string]boxoffice.SeatStatus {
	tb.Helper()
	v, err := e.Engine.Showtimes().SeatMap(bkCtx(tb), e.ShowtimeID)
	if err != nil {
		tb.Fatalf("seat map: %v", err)
	}
	out := map[string]boxoffice.SeatStatus{}
	for _, s := range v.Seats {
		out[s.ID] = s.Status
	}
	return out
}

// MustBalance checks that the money the gateway kept is the value of the
// confirmed bookings: captured - refunded == sum of confirmed totals.
func (e *BookingEnv) MustBalance(tb testing.TB) {
	tb.Helper()
	bs, err := e.Stores.Bookings.BookingsByStatus(bkCtx(tb), 10_000, boxoffice.BookingConfirmed)
	if err != nil {
		tb.Fatal(err)
	}
	var confirmed int64
	for _, b := range bs {
		confirmed += b.TotalCents
	}
	captured, refunded, _ := e.Gateway.Totals()
	if captured-refunded != confirmed {
		tb.Errorf("money does not balance: captured %d - refunded %d = %d, confirmed bookings are worth %d",
			captured, refunded, captured-refunded, confirmed)
	}
}

// Notes lists a user's notifications.
func (e *BookingEnv) Notes(tb testing.TB, user string) []*boxoffice.Notification {
	tb.Helper()
	ns, _, err := e.Engine.Notifications(bkCtx(tb), user, boxoffice.Page{})
	if err != nil {
		tb.Fatal(err)
	}
	return ns
}

// bkHasNote tells whether ns has a notification of kind about a booking.
// (Order is not checked: the fake clock gives them all one time.)
func bkHasNote(ns []*boxoffice.Notification, kind, bookingID string) bool {
	for _, n := range ns {
		if n.Kind == kind && n.BookingID == bookingID {
			return true
		}
	}
	return false
}

func bkCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func bkWantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := boxoffice.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// bkLogger shows the services' logs under -v only.
func bkLogger(tb testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// bkNoLeaks checks, when the test has stopped everything, that no
// goroutine it started is left. Call it first: cleanups run last-in,
// first-out, so this one runs after the engine, node and stores stop.
func bkNoLeaks(tb testing.TB) {
	tb.Helper()
	ignore := goleak.IgnoreCurrent()
	tb.Cleanup(func() {
		goleak.VerifyNone(tb, leaktest.Options(ignore)...)
	})
}
