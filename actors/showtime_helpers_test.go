package actors_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/actors"
	"github.com/boxoffice/boxoffice/cluster"
	"github.com/boxoffice/boxoffice/internal/racedetect"
	"github.com/boxoffice/boxoffice/internal/testwait"
	"github.com/boxoffice/boxoffice/persistence/sqlite"
)

// ShowtimeOptions configures MustOpenShowtimes. Zero values are defaults:
// fresh SQLite stores, the system clock, a 10 minute hold TTL.
type ShowtimeOptions struct {
	Clock       boxoffice.Clock
	HoldTTL     time.Duration
	IdleTimeout time.Duration
	// Stores are reused (a restart, a second node on the same database);
	// nil opens SQLite stores in a temporary directory.
	Stores *boxoffice.Stores
	// Seats wraps the seat store the engine uses (a *seatSpy, a no-op store).
	Seats func(boxoffice.SeatStore) boxoffice.SeatStore
	// ShowtimeID reuses a showtime; "" creates one in the catalog.
	ShowtimeID string
	// HoldCaps are the engine's caps on what one user may hold. Zero: off,
	// as most tests hold many seats as one user.
	HoldCaps boxoffice.HoldCaps
	// JournalWrites is the engine's journal writes in flight (0: default).
	JournalWrites int
	// Epoch and FenceLoads are the engine's (Config.Epoch, FenceLoads).
	Epoch      func() uint64
	FenceLoads bool
	// Metrics counts what the engine does; nil: nothing is counted.
	Metrics *actors.Metrics
}

// ShowtimeEnv is one node hosting showtime grains.
type ShowtimeEnv struct {
	Engine     *actors.Engine
	Node       *cluster.Node
	Stores     *boxoffice.Stores // unwrapped: what the database has
	ShowtimeID string
	Clock      boxoffice.Clock
	opts       ShowtimeOptions
	tb         testing.TB // the test that opened it: restarts stop with it
}

// Holds is the engine's showtime service.
func (e *ShowtimeEnv) Holds() *actors.Showtimes { return e.Engine.Showtimes() }

// MustOpenShowtimes starts a single-node cluster with an engine on real
// stores and creates a showtime 48h ahead of the clock in a 500-seat hall
// (rows A-J of 50 seats; I and J are "premium"). The node stops when the
// test ends, before the stores close.
func MustOpenShowtimes(tb testing.TB, opts ShowtimeOptions) *ShowtimeEnv {
	tb.Helper()
	return openShowtimes(tb, tb, opts)
}

// openShowtimes fails through tb and stops the node when owner ends.
func openShowtimes(tb, owner testing.TB, opts ShowtimeOptions) *ShowtimeEnv {
	tb.Helper()
	if opts.Clock == nil {
		opts.Clock = boxoffice.SystemClock{}
	}
	if opts.Stores == nil {
		opts.Stores = MustOpenStores(tb)
	}
	if opts.ShowtimeID == "" {
		opts.ShowtimeID = MustCreateShowtime(tb, opts.Stores, opts.Clock.Now().Add(48*time.Hour))
	}
	e := &ShowtimeEnv{Stores: opts.Stores, ShowtimeID: opts.ShowtimeID, Clock: opts.Clock, opts: opts, tb: owner}
	e.Engine, e.Node = startEngine(tb, owner, opts)
	return e
}

// Restart stops the node and starts a new engine and node on the same
// stores (and seat store wrapper). The new node lives as long as the test
// that opened e, even if a subtest restarts it.
func (e *ShowtimeEnv) Restart(tb testing.TB) *ShowtimeEnv {
	tb.Helper()
	MustStopNode(tb, e.Node)
	return openShowtimes(tb, e.tb, e.opts)
}

// MustOpenStores opens SQLite stores in a temporary directory, closed when
// the test ends.
func MustOpenStores(tb testing.TB) *boxoffice.Stores {
	tb.Helper()
	if onPostgres(tb) {
		return postgresStores(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sqlite.Open(ctx, tb.TempDir())
	if err != nil {
		tb.Fatalf("open sqlite stores: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close stores: %v", err)
		}
	})
	return s
}

// MustCreateShowtime stores a movie, a cinema with one 500-seat hall and a
// showtime of it starting at startsAt; returns the showtime ID.
func MustCreateShowtime(tb testing.TB, s *boxoffice.Stores, startsAt time.Time) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := &boxoffice.Movie{ID: boxoffice.NewID(), Title: "Heat", DurationMinutes: 170, Genres: []string{"crime"}, CreatedAt: now}
	if err := s.Catalog.CreateMovie(ctx, m); err != nil {
		tb.Fatalf("create movie: %v", err)
	}
	c := &boxoffice.Cinema{ID: boxoffice.NewID(), Name: "Rex", City: "Paris", CreatedAt: now}
	hall := boxoffice.Hall{ID: boxoffice.NewID(), CinemaID: c.ID, Name: "1"}
	for r := 'A'; r <= 'J'; r++ {
		cat := "standard"
		if r >= 'I' {
			cat = "premium"
		}
		hall.Rows = append(hall.Rows, boxoffice.Row{Row: string(r), Seats: 50, Category: cat})
	}
	c.Halls = []boxoffice.Hall{hall}
	if err := s.Catalog.CreateCinema(ctx, c); err != nil {
		tb.Fatalf("create cinema: %v", err)
	}
	st := &boxoffice.Showtime{ID: boxoffice.NewID(), MovieID: m.ID, CinemaID: c.ID, HallID: hall.ID,
		StartsAt: startsAt.UTC().Truncate(time.Millisecond), Prices: map[string]int64{"standard": 1200, "premium": 1800},
		Currency: "EUR", Status: boxoffice.ShowtimeScheduled, CreatedAt: now}
	if err := s.Catalog.CreateShowtime(ctx, st); err != nil {
		tb.Fatalf("create showtime: %v", err)
	}
	return st.ID
}

// mustAddShowtime stores another showtime of the movie and hall of
// showtime like, starting at startsAt; returns its ID.
func mustAddShowtime(tb testing.TB, s *boxoffice.Stores, like string, startsAt time.Time) string {
	tb.Helper()
	ctx := testCtx(tb)
	st, err := s.Catalog.Showtime(ctx, like)
	if err != nil {
		tb.Fatal(err)
	}
	st.ID, st.StartsAt = boxoffice.NewID(), startsAt.UTC().Truncate(time.Millisecond)
	if err := s.Catalog.CreateShowtime(ctx, st); err != nil {
		tb.Fatalf("create showtime: %v", err)
	}
	return st.ID
}

// MustStartEngine starts an engine and a single-node cluster hosting its
// kinds; the node stops when the test ends.
func MustStartEngine(tb testing.TB, opts ShowtimeOptions) (*actors.Engine, *cluster.Node) {
	tb.Helper()
	return startEngine(tb, tb, opts)
}

func startEngine(tb, owner testing.TB, opts ShowtimeOptions) (*actors.Engine, *cluster.Node) {
	tb.Helper()
	stores := *opts.Stores
	if opts.Seats != nil {
		stores.Seats = opts.Seats(stores.Seats)
	}
	e := actors.New(actors.Config{Stores: &stores, Clock: opts.Clock, HoldTTL: opts.HoldTTL,
		IdleTimeout: opts.IdleTimeout, Logger: testLogger(tb), HoldCaps: opts.HoldCaps,
		JournalWrites: opts.JournalWrites, Epoch: opts.Epoch, FenceLoads: opts.FenceLoads, Metrics: opts.Metrics})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := cluster.Start(ctx, cluster.Config{Name: "n1", Kinds: e.Kinds(), RemoteAddr: "127.0.0.1:0", Logger: testLogger(tb)})
	if err != nil {
		tb.Fatalf("start node: %v", err)
	}
	e.Attach(n.Cluster())
	owner.Cleanup(func() {
		MustStopNode(owner, n)
		// Never started, the engine has nothing to stop but its
		// dispatcher's idle goroutines.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			owner.Errorf("stop engine: %v", err)
		}
	})
	return e, n
}

// MustStopNode stops n within 15s; stopping twice is fine.
func MustStopNode(tb testing.TB, n *cluster.Node) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		tb.Errorf("stop node: %v", err)
	}
}

// testLogger shows warnings and errors under -v only.
func testLogger(tb testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// parallel marks a test parallel, except under -race. protoactor's
// remote.Start sets gRPC's process-wide logger (grpclog.SetLoggerV2) while
// the gRPC server of any other live node may read it: a race inside the
// libraries whenever two nodes overlap in one process. Run one at a time, a
// node stops (and its gRPC server goroutines end) before the next starts,
// so -race reports only what our code does.
func parallel(t *testing.T) {
	if !racedetect.Enabled {
		t.Parallel()
	}
}

// skipTwoNodesUnderRace skips a test that runs two nodes at once under
// -race (see parallel), unless RACE_ALL is set, as in package cluster.
func skipTwoNodesUnderRace(t *testing.T) {
	if racedetect.Enabled && os.Getenv("RACE_ALL") == "" {
		t.Skip("two live nodes race inside protoactor (grpclog.SetLoggerV2); run without -race or set RACE_ALL=1")
	}
}

// testCtx bounds a test's calls: generous, for -race on a busy machine.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// seatIDs returns n seat IDs of the 500-seat hall from position from, in
// layout order (A1..A50, B1..).
func seatIDs(from, n int) []string {
	out := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, fmt.Sprintf("%c%d", 'A'+i/50, i%50+1))
	}
	return out
}

func mustCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := boxoffice.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// seatStatuses returns the seat map as seat -> status.
func seatStatuses(tb testing.TB, e *ShowtimeEnv) (map[string]boxoffice.SeatStatus, uint64) {
	tb.Helper()
	v, err := e.Holds().SeatMap(testCtx(tb), e.ShowtimeID)
	if err != nil {
		tb.Fatalf("seat map: %v", err)
	}
	out := make(map[string]boxoffice.SeatStatus, len(v.Seats))
	for _, s := range v.Seats {
		out[s.ID] = s.Status
	}
	return out, v.Version
}

// watchResult is the answer to a WatchSeats call made in the background.
type watchResult struct {
	c   *boxoffice.SeatChanges
	err error
}

// watchParked calls WatchSeats from since in the background and returns
// once the grain has parked the call (however soon it is answered); the
// answer arrives on the channel.
func watchParked(tb testing.TB, ctx context.Context, e *ShowtimeEnv, since uint64) <-chan watchResult {
	tb.Helper()
	parks := actors.WatchersParked(e.ShowtimeID)
	got := make(chan watchResult, 1)
	go func() {
		c, err := e.Holds().WatchSeats(ctx, e.ShowtimeID, since)
		got <- watchResult{c, err}
	}()
	testwait.Until(tb, 10*time.Second, "the watcher parked", func() bool { return actors.WatchersParked(e.ShowtimeID) > parks })
	return got
}

// mustLoadJournal reads a showtime's journal from the store; it must have
// no snapshot (tests that write fewer than 500 events).
func mustLoadJournal(tb testing.TB, s boxoffice.SeatStore, showtimeID string) []boxoffice.SeatEvent {
	tb.Helper()
	snap, evs, err := s.LoadSeats(testCtx(tb), showtimeID)
	if err != nil {
		tb.Fatalf("load seats: %v", err)
	}
	if snap != nil {
		tb.Fatalf("journal of %s has a snapshot at %d: the test wants the whole journal", showtimeID, snap.Seq)
	}
	return evs
}

// mustReplay builds a fresh seat map from a snapshot (may be nil) and
// events, failing the test if the journal does not replay (a seat taken
// twice, a gap in Seq).
func mustReplay(tb testing.TB, s *boxoffice.Stores, showtimeID string, snap *boxoffice.SeatSnapshot, evs []boxoffice.SeatEvent) *boxoffice.SeatMap {
	tb.Helper()
	ctx := testCtx(tb)
	st, err := s.Catalog.Showtime(ctx, showtimeID)
	if err != nil {
		tb.Fatal(err)
	}
	hall, err := s.Catalog.Hall(ctx, st.HallID)
	if err != nil {
		tb.Fatal(err)
	}
	m := boxoffice.NewSeatMap(st, hall)
	if err := m.Restore(snap, evs); err != nil {
		tb.Fatalf("journal does not replay: %v", err)
	}
	return m
}

// mustStoreMap replays what the store has for the showtime.
func mustStoreMap(tb testing.TB, e *ShowtimeEnv) *boxoffice.SeatMap {
	tb.Helper()
	snap, evs, err := e.Stores.Seats.LoadSeats(testCtx(tb), e.ShowtimeID)
	if err != nil {
		tb.Fatalf("load seats: %v", err)
	}
	return mustReplay(tb, e.Stores, e.ShowtimeID, snap, evs)
}

// mustAgree checks that the grain's seat map is the store's at now.
func mustAgree(tb testing.TB, e *ShowtimeEnv) {
	tb.Helper()
	got, version := seatStatuses(tb, e)
	m := mustStoreMap(tb, e)
	want := m.View(e.Clock.Now())
	if version != want.Version {
		tb.Errorf("grain version %d, store version %d", version, want.Version)
	}
	for _, s := range want.Seats {
		if got[s.ID] != s.Status {
			tb.Errorf("seat %s: grain says %s, store says %s", s.ID, got[s.ID], s.Status)
		}
	}
}

// mustMatchGrain checks that the live grain and the seat map m agree on
// every seat, the version, each of holds (found or not, and its seats,
// total and deadline) and each of bookings.
func mustMatchGrain(tb testing.TB, e *ShowtimeEnv, m *boxoffice.SeatMap, holds, bookings []string) {
	tb.Helper()
	ctx, now := testCtx(tb), e.Clock.Now()
	got, version := seatStatuses(tb, e)
	want := m.View(now)
	if version != want.Version {
		tb.Errorf("live grain at version %d, the seat map at %d", version, want.Version)
	}
	for _, s := range want.Seats {
		if got[s.ID] != s.Status {
			tb.Errorf("seat %s: live grain says %s, the seat map %s", s.ID, got[s.ID], s.Status)
		}
	}
	admin := boxoffice.Caller{UserID: "root", Admin: true}
	for _, id := range holds {
		g, gerr := e.Holds().HoldByID(ctx, id, admin)
		w, werr := m.HoldByID(now, id, "")
		if boxoffice.ErrorCode(gerr) != boxoffice.ErrorCode(werr) {
			tb.Errorf("hold %s: live grain %v, the seat map %v", id, gerr, werr)
			continue
		}
		if gerr == nil && (!slices.Equal(g.Seats, w.Seats) || g.TotalCents != w.TotalCents ||
			!g.ExpiresAt.Equal(w.ExpiresAt.Truncate(time.Millisecond)) || g.Owner != w.Owner) {
			tb.Errorf("hold %s: live grain %+v, the seat map %+v", id, g, w)
		}
	}
	for _, id := range bookings {
		gs, gc, gf, err := e.Holds().BookingSeats(ctx, e.ShowtimeID, id)
		if err != nil {
			tb.Fatalf("booking %s: %v", id, err)
		}
		ws, wc, wf := m.BookingSeats(id)
		if !slices.Equal(gs, ws) || gc != wc || gf != wf {
			tb.Errorf("booking %s: live grain %v confirmed=%v found=%v, the seat map %v %v %v", id, gs, gc, gf, ws, wc, wf)
		}
	}
}

// seatSpy wraps a seat store: it counts loads and appends, records batch
// sizes and the events it stored, and can delay, block or fail writes.
type seatSpy struct {
	next boxoffice.SeatStore

	loads   atomic.Int64
	appends atomic.Int64
	writing atomic.Int64 // appends in progress

	mu         sync.Mutex
	batches    []int                               // events per append
	calls      [][]string                          // showtimes of each store call that carried events
	stores     map[string][][]boxoffice.SeatEvent  // each successful append's events
	journal    map[string][]boxoffice.SeatEvent    // events of successful appends
	snaps      map[string][]boxoffice.SeatSnapshot // snapshots of successful appends
	delay      time.Duration
	gate       chan struct{} // appends wait for it to close
	fail       error         // appends fail with it, storing nothing...
	failStored bool          // ...or after storing (an ambiguous failure)
	failFor    string        // if set, fail hits this showtime's appends only
}

func newSeatSpy(next boxoffice.SeatStore) *seatSpy {
	return &seatSpy{next: next, journal: map[string][]boxoffice.SeatEvent{}, snaps: map[string][]boxoffice.SeatSnapshot{},
		stores: map[string][][]boxoffice.SeatEvent{}}
}

// wrap is a ShowtimeOptions.Seats that puts s in front of the store.
func (s *seatSpy) wrap(next boxoffice.SeatStore) boxoffice.SeatStore {
	s.next = next
	return s
}

func (s *seatSpy) LoadSeats(ctx context.Context, id string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	s.loads.Add(1)
	return s.next.LoadSeats(ctx, id)
}

func (s *seatSpy) AppendSeats(ctx context.Context, id string, evs []boxoffice.SeatEvent, snap *boxoffice.SeatSnapshot) error {
	return s.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: id, Events: evs, Snapshot: snap}})[0]
}

// AppendSeatsMany counts and records each append that carries events (a
// snapshot alone is recorded, not counted) and applies the faults: fail
// hits every append, or those of showtime failFor only when it is set.
func (s *seatSpy) AppendSeatsMany(ctx context.Context, appends []boxoffice.SeatAppend) []error {
	s.writing.Add(1)
	defer s.writing.Add(-1)
	s.mu.Lock()
	var call []string
	for _, a := range appends {
		if len(a.Events) > 0 {
			s.appends.Add(1)
			s.batches = append(s.batches, len(a.Events))
			call = append(call, a.ShowtimeID)
		}
	}
	if call != nil {
		s.calls = append(s.calls, call)
	}
	delay, gate, fail, failStored, failFor := s.delay, s.gate, s.fail, s.failStored, s.failFor
	s.mu.Unlock()
	errs := make([]error, len(appends))
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			for i := range errs {
				errs[i] = ctx.Err()
			}
			return errs
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	faulty := func(a boxoffice.SeatAppend) bool { return fail != nil && (failFor == "" || failFor == a.ShowtimeID) }
	var pass []boxoffice.SeatAppend
	var at []int
	for i, a := range appends {
		if faulty(a) && !failStored {
			errs[i] = fail
			continue
		}
		pass, at = append(pass, a), append(at, i)
	}
	stored := s.next.AppendSeatsMany(ctx, pass)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, err := range stored {
		i, a := at[k], pass[k]
		errs[i] = err
		if err != nil {
			continue
		}
		s.journal[a.ShowtimeID] = append(s.journal[a.ShowtimeID], slices.Clone(a.Events)...)
		if len(a.Events) > 0 {
			s.stores[a.ShowtimeID] = append(s.stores[a.ShowtimeID], slices.Clone(a.Events))
		}
		if a.Snapshot != nil {
			s.snaps[a.ShowtimeID] = append(s.snaps[a.ShowtimeID], *a.Snapshot)
		}
		if faulty(a) {
			errs[i] = fail
		}
	}
	return errs
}

// set changes the fault settings under the lock.
func (s *seatSpy) set(f func(s *seatSpy)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// stored returns the events and snapshots the spy saw stored.
func (s *seatSpy) stored(id string) ([]boxoffice.SeatEvent, []boxoffice.SeatSnapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.journal[id]), slices.Clone(s.snaps[id])
}

// storedBatches returns the events of each successful append of a
// showtime, in the order they were stored.
func (s *seatSpy) storedBatches(id string) [][]boxoffice.SeatEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.stores[id])
}

// storeCalls returns the showtimes of each store call that carried events.
func (s *seatSpy) storeCalls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *seatSpy) batchSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// noopSeats stores nothing: it isolates the grain's own cost.
type noopSeats struct{}

func (noopSeats) LoadSeats(context.Context, string) (*boxoffice.SeatSnapshot, []boxoffice.SeatEvent, error) {
	return nil, nil, nil
}

func (noopSeats) AppendSeats(context.Context, string, []boxoffice.SeatEvent, *boxoffice.SeatSnapshot) error {
	return nil
}

func (noopSeats) AppendSeatsMany(_ context.Context, appends []boxoffice.SeatAppend) []error {
	return make([]error, len(appends))
}

var errDiskFull = errors.New("disk I/O error: disk full (injected)")
