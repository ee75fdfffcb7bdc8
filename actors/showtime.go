package actors

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"google.golang.org/protobuf/proto"

	"github.com/boxoffice/boxoffice"
)

// KindShowtime is the cluster kind of showtime grains; the identity is the
// showtime ID.
const KindShowtime = "showtime"

// Bounds of a showtime grain.
const (
	waitersMax     = 20_000 // replies waiting for a write; past it, answer 503 at once
	watchersMax    = 10_000 // parked live-feed requests
	feedBatchesMax = 256    // committed batches the live feed can replay
	watchWaitMax   = 25 * time.Second
	snapshotEvery  = 500 // events between snapshots
	writeTimeout   = 5 * time.Second
	stopWriteWait  = 8 * time.Second        // a stopping grain waits this long for its write
	supersedeWait  = time.Second            // a load waits this long for the older activation to stop
	loadRetryPause = 250 * time.Millisecond // see showtimeGrain.loadFailedAt
	expiryCheckMax = time.Second            // longest expiry timer: see armExpiry
)

// showtimeGrain serializes the seat holds of one showtime. It decides every
// command in memory with the pure boxoffice.SeatMap and replies only after
// the events are durable. While one write is in flight it goes on deciding
// and collects the next batch (group commit), so one showtime takes many
// holds per database round trip.
type showtimeGrain struct {
	env  *env
	id   string
	log  *slog.Logger
	self *actor.PID         // this activation, named in the activated events it writes
	root *actor.RootContext // to tell an older activation to stop: see supersede

	m        *boxoffice.SeatMap // nil until loaded, and after a failed write
	epoch    uint64             // the node's fence epoch when m was loaded
	counted  map[string]int     // open holds per user this grain added to the node's count
	loadErr  error              // a permanent load error (not found)
	lastSnap uint64
	// loadFailedAt is when a load last failed (store down): commands in
	// the next loadRetryPause answer unavailable at once instead of
	// waiting for another load to fail.
	loadFailedAt time.Time
	fenced       bool // leaving: another activation wrote first, or nothing to serve

	pending  *batch // decided, not yet written
	inflight *batch // being written
	waiting  int    // replies in pending and inflight

	feed     []feedBatch // committed changes, oldest first
	watchers []*watcher

	claims        map[string]holdClaim // hold ID: the booking being charged for it
	claimsSweepAt int

	expiry  *time.Timer
	idle    *time.Timer // passivation: see passivate
	lastCmd time.Time   // when the last command came in (wall clock)
}

// batch is one group commit: events to write and the replies that may go
// out once they are durable.
type batch struct {
	events  []boxoffice.SeatEvent
	changes []boxoffice.SeatChange
	replies []pendingReply
	snap    *boxoffice.SeatSnapshot
	done    chan error // closed-over result, for a grain that stops mid-write
}

type pendingReply struct {
	to  *actor.PID
	msg proto.Message
}

type feedBatch struct {
	from, to uint64 // versions: changes take the map from `from` to `to`
	changes  []boxoffice.SeatChange
}

type watcher struct {
	to    *actor.PID
	since uint64
	timer *time.Timer
	done  bool
}

// Messages the grain sends itself; they never leave the node.
type (
	writeDone struct {
		b   *batch
		err error
	}
	expireTick   struct{}
	watchTimeout struct{ w *watcher }
	idleTick     struct{}
)

func newShowtimeGrain(e *env) actor.Actor { return &showtimeGrain{env: e} }

// Receive handles one message at a time.
func (g *showtimeGrain) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *pcluster.ClusterInit:
		g.id = msg.Identity.Identity
		g.log = g.env.log.With("showtime", g.id)
		g.self, g.root = ctx.Self(), ctx.ActorSystem().Root
		g.env.active.Store(g.id, struct{}{})
		g.env.metrics.activated(grainShowtime)
		g.lastCmd = time.Now()
		g.armIdle(ctx, g.env.idleTimeout)
		if g.load() == nil {
			g.armExpiry(ctx) // holds loaded from the store expire on time too
		}
	case *idleTick:
		g.passivate(ctx)
	case *actor.Stopping:
		g.stopping(ctx)
		g.uncountHolds()
		g.env.active.Delete(g.id)
	case *writeDone:
		g.written(ctx, msg)
	case *expireTick:
		g.expire(ctx)
	case *watchTimeout:
		g.unpark(ctx, msg.w, nil)
	case *Supersede:
		g.superseded(ctx, msg)
	case proto.Message:
		g.command(ctx, msg)
	}
	g.observe()
}

// command decides one request and queues its reply behind the writes it
// depends on.
func (g *showtimeGrain) command(ctx actor.Context, msg proto.Message) {
	if ctx.Sender() == nil {
		return // a request without a reply address has no one to answer
	}
	g.lastCmd = time.Now()
	if !g.env.healthy() {
		// Self-fencing: the others may have declared this node dead and
		// activated the showtime elsewhere. Leaving finishes a write in
		// flight; the store's sequence check fences any later one.
		ctx.Respond(failureOf(errFenced))
		g.retire(ctx)
		return
	}
	if g.fenced && g.loadErr == nil {
		ctx.Respond(failureOf(unavailable("showtime %s is moving; retry shortly", g.id)))
		return
	}
	if g.m != nil && g.epoch != g.env.epoch() && !g.unload() {
		ctx.Respond(failureOf(unavailable("showtime %s is loading again; retry shortly", g.id)))
		return
	}
	if g.waiting >= waitersMax {
		ctx.Respond(failureOf(boxoffice.Errorf(boxoffice.ETOOMANYREQUESTS, "showtime is overloaded; retry shortly")))
		return
	}
	if g.releaseClaim(ctx, msg) {
		return
	}
	if writes(msg) && g.env.journal.busy() {
		ctx.Respond(failureOf(unavailable("the node is busy saving seats; retry shortly")))
		return
	}
	if err := g.ready(ctx); err != nil {
		ctx.Respond(failureOf(err))
		g.stopIfGone(ctx)
		return
	}
	now := g.env.clock.Now()
	// Holds past their deadline end before anything is decided or read,
	// and the reply waits for their end to be durable: a caller told that
	// a hold expired (or shown its seats free) can rely on it even if the
	// clock then steps back, and the timer may be late after a step
	// forward.
	if due := g.m.Expire(now); len(due) > 0 {
		g.enqueue(ctx, due, pendingReply{})
	}
	var (
		evs   []boxoffice.SeatEvent
		reply proto.Message
		err   error
	)
	switch req := msg.(type) {
	case *Hold:
		evs, reply, err = g.hold(now, req)
	case *GetHold:
		var h *boxoffice.Hold
		if h, err = g.m.HoldByID(now, req.HoldId, req.Owner); err == nil {
			reply = &HoldReply{Hold: holdInfo(h)}
		}
	case *ReleaseHold:
		evs, err = g.m.Release(now, req.HoldId, req.Owner)
		reply = &Done{}
	case *ConfirmHold:
		var h *boxoffice.Hold
		h, evs, err = g.m.Confirm(now, req.HoldId, req.Owner, req.BookingId)
		if err == nil {
			reply = &HoldReply{Hold: holdInfo(h)}
		}
	case *ClaimHold:
		reply, err = g.claim(now, req)
	case *CancelSeats:
		evs, err = g.m.Cancel(now, req.BookingId)
		reply = &Done{}
	case *CancelShowtime:
		evs, reply = g.m.CancelShowtime(now), &Done{}
	case *GetSeats:
		reply = seatsReply(g.m.View(now))
	case *GetBookingSeats:
		seats, confirmed, found := g.m.BookingSeats(req.BookingId)
		reply = &BookingSeatsReply{Seats: seats, Confirmed: confirmed, Found: found}
	case *WatchSeats:
		g.watch(ctx, req)
		return
	default:
		g.log.Warn("showtime grain: unknown message", "type", string(proto.MessageName(msg)))
		return
	}
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.EINTERNAL {
			g.log.Error("showtime command failed", "err", err)
		}
		reply = failureOf(err)
	}
	g.enqueue(ctx, evs, pendingReply{to: ctx.Sender(), msg: reply})
}

func (g *showtimeGrain) hold(now time.Time, req *Hold) ([]boxoffice.SeatEvent, proto.Message, error) {
	// Holds past their deadline end first, so they do not count against
	// their owner's open holds.
	evs := g.m.Expire(now)
	g.countHolds("")
	if err := g.reserveHold(req.Owner); err != nil {
		return evs, nil, err
	}
	ttl := time.Duration(req.TtlMs) * time.Millisecond
	h, more, err := g.m.Hold(now, boxoffice.HoldRequest{HoldID: req.HoldId, Owner: req.Owner, Seats: req.Seats, TTL: ttl})
	evs = append(evs, more...)
	g.countHolds(req.Owner) // the held event, if any, replaces the reservation
	if err != nil {
		return evs, nil, err
	}
	return evs, &HoldReply{Hold: holdInfo(h)}, nil
}

// ready loads the seat map if it is not in memory, and arms the expiry
// timer for the holds it loaded.
func (g *showtimeGrain) ready(ctx actor.Context) error {
	if g.loadErr != nil {
		return g.loadErr
	}
	if g.m == nil {
		if time.Since(g.loadFailedAt) < loadRetryPause {
			return unavailable("seats of showtime %s cannot be loaded now; retry shortly", g.id)
		}
		if err := g.load(); err != nil {
			return err
		}
		g.armExpiry(ctx)
	}
	return nil
}

// Bounds of a fenced load (Config.FenceLoads).
const fenceTries = 3 // loads in a row that another activation's writes may overtake

// load builds the seat map from the catalog and the journal. Every
// activation loads: a showtime may have lived on another node a moment ago.
// On a clustered node it then writes an activated event after the journal's
// last one (env.fence), so that no older activation can write after this
// load; if one wrote in between, it loads again.
func (g *showtimeGrain) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	epoch := g.env.epoch() // before reading: a move during the load loads again
	var (
		m   *boxoffice.SeatMap
		err error
	)
	for try := 1; ; try++ {
		var confirmed []string
		confirmed, err = g.env.confirmedBookings(ctx, g.id) // before the journal: see checkJournal
		if err == nil {
			m, err = g.env.loadSeatMap(ctx, g.id)
		}
		if err == nil {
			err = checkJournal(g.id, m, confirmed)
		}
		var older string
		if err == nil && g.env.fenceLoads {
			older = m.Activation()
			err = g.env.fence(ctx, g.id, m, g.activation())
		}
		if err == nil {
			g.supersede(older)
		}
		if boxoffice.ErrorCode(err) != boxoffice.ECONFLICT || try == fenceTries {
			break
		}
		g.log.Info("showtime grain: another activation wrote during the load; loading again", "try", try)
	}
	if err != nil {
		if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
			g.loadErr = err
			return err
		}
		g.log.Error("showtime grain: load failed", "err", err)
		g.loadFailedAt = time.Now()
		return unavailable("seats of showtime %s cannot be loaded now; retry shortly", g.id)
	}
	g.m, g.lastSnap, g.epoch = m, m.Seq(), epoch
	g.uncountHolds() // a reload counts the holds it finds afresh
	g.countHolds("")
	g.feed = nil // versions before this load may have been rewritten
	return nil
}

// fence writes an activated event naming activation right after the last
// event m has, and applies it: from then on an older activation of the
// showtime cannot write (its next event's Seq is taken), and what it wrote
// before is in m. ECONFLICT when another activation wrote since m was read.
func (e *env) fence(ctx context.Context, showtimeID string, m *boxoffice.SeatMap, activation string) error {
	ev := boxoffice.SeatEvent{Seq: m.Seq() + 1, Kind: boxoffice.EventActivated, At: e.clock.Now(), Owner: activation}
	if err := e.seats.AppendSeatsMany(ctx, []boxoffice.SeatAppend{{ShowtimeID: showtimeID, Events: []boxoffice.SeatEvent{ev}}})[0]; err != nil {
		return fmt.Errorf("fence the journal of showtime %s at seq %d: %w", showtimeID, ev.Seq, err)
	}
	return m.Apply(ev)
}

// unload drops the seat map loaded before the node's fence epoch moved, so
// that the next command loads it again; false while a write is in flight
// or decided (their replies must come from the map that decided them).
func (g *showtimeGrain) unload() bool {
	if g.inflight != nil || g.pending != nil {
		return false
	}
	g.log.Info("showtime grain: the node's right to serve was in doubt since the load; loading again",
		"loaded_epoch", g.epoch, "epoch", g.env.epoch())
	g.m = nil
	g.uncountHolds()
	return true
}

// checkJournal refuses a seat journal that is behind the bookings store.
// The booking saga confirms the seats in the journal before it records the
// booking confirmed, so every booking the store holds as confirmed is in
// the journal read after the store (confirmed, or cancelled since: a
// cancellation records the booking cancelling, then frees the seats). One
// that is not means the seat store lost writes (restored from an old
// backup, recreated empty): serving the map would sell its seats again, so
// the showtime stays unavailable (and says so in the log) until an
// operator restores the seat store. Reading the journal first instead would
// race with the saga: a booking confirmed between the two reads would look
// lost. It runs at every load, not at node start, so its cost is one
// showtime's confirmed bookings (at most one per seat), read a page at a
// time, and not every booking ever made.
func checkJournal(showtimeID string, m *boxoffice.SeatMap, confirmed []string) error {
	for _, id := range confirmed {
		if _, _, ok := m.BookingSeats(id); !ok {
			return fmt.Errorf("the seat journal of showtime %s is behind its bookings (confirmed booking %s is not booked in it, "+
				"journal at seq %d): the seats store lost writes; restore it from a backup that has them", showtimeID, id, m.Seq())
		}
	}
	return nil
}

// confirmedBookings lists the IDs of a showtime's confirmed bookings.
func (e *env) confirmedBookings(ctx context.Context, showtimeID string) ([]string, error) {
	var ids []string
	p := boxoffice.Page{Limit: boxoffice.PageLimitMax}
	for {
		bs, next, err := e.bookings.BookingsByShowtime(ctx, showtimeID, p, boxoffice.BookingConfirmed)
		if err != nil {
			return nil, fmt.Errorf("confirmed bookings of showtime %s: %w", showtimeID, err)
		}
		for _, b := range bs {
			ids = append(ids, b.ID)
		}
		if next == "" {
			return ids, nil
		}
		p.Cursor = next
	}
}

// stopIfGone stops a grain whose showtime does not exist, so a stream of
// requests for garbage IDs does not keep actors alive.
func (g *showtimeGrain) stopIfGone(ctx actor.Context) {
	if g.loadErr != nil && g.inflight == nil && !g.fenced {
		g.fenced = true // nothing to serve: queued requests get the load error
		ctx.Poison(ctx.Self())
	}
}
